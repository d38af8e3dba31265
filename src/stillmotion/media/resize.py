"""Resizing a frame the way every engine should, so engines agree on what frame 0 is."""

from __future__ import annotations

import cv2
import numpy as np


def resize_to(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area averaging when shrinking (no aliasing), bicubic when enlarging. A fourth
    channel (an alpha drawn beside the photo) is resized on its own: OpenCV rounds a
    four-channel area average differently, and the colour must match the same photo
    resized without it to the level."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    if image.ndim == 3 and image.shape[2] == 4:
        return np.dstack([resize_to(np.ascontiguousarray(image[..., :3]), width, height),
                          resize_to(np.ascontiguousarray(image[..., 3]), width, height)])
    shrinking = width * height <= w * h
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return cv2.resize(image, (width, height), interpolation=interpolation)
