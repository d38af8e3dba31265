"""A lake made from a real photo, for water motion: the sample photos have no water."""

from __future__ import annotations

import cv2
import numpy as np

from tests.support.shots import real_photo


def lake(name: str = "chelsea", horizon: float = 0.7) -> np.ndarray:
    """A real photo standing over water: below `horizon` its own reflection, smeared
    sideways and striped by ripples, darkened, as a lake shows what stands on its shore.
    (The sample photos have no water in them.)"""
    image = real_photo(name)
    h = image.shape[0]
    cut = round(h * horizon)
    mirrored = cv2.blur(image[:cut][::-1][: h - cut].astype(np.float32), (15, 1))
    rows = np.arange(h - cut, dtype=np.float32)[:, None, None]
    below = np.clip(mirrored * (0.8 + 0.04 * np.sin(rows / 1.1)), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.vstack([image[:cut], below]))
