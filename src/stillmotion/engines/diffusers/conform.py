"""A model's clip -> the contract's clip: exact size, 24 fps, exact frame count, frame 0 the photo.

Why the anchor fades rather than cuts: a model's first frame is the photo after a trip
through its VAE (slightly soft, slightly shifted in colour). Putting the photo itself in as
frame 0 and the model's frames after it would pop at frame 1; instead the difference
between the photo and the model's first frame is added to the first frames and faded out
over ANCHOR_FADE_S, so the clip starts on the photo exactly and slides into the model's
rendering of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from stillmotion.engines.diffusers.retime import retime
from stillmotion.media.resize import resize_to

ANCHOR_FADE_S = 0.5


def anchor_weights(frame_count: int, fps: int) -> np.ndarray:
    """1 at frame 0, easing (smoothstep) to 0 at ANCHOR_FADE_S and after."""
    span = max(1.0, ANCHOR_FADE_S * fps)
    x = np.clip(np.arange(frame_count) / span, 0.0, 1.0)
    return 1.0 - x * x * (3.0 - 2.0 * x)


def conform(frames: Sequence[np.ndarray], photo: np.ndarray, width: int, height: int,
            frame_count: int, fps: int) -> Iterator[np.ndarray]:
    """`frame_count` RGB uint8 frames of `width` x `height` from the model's `frames`
    (any count, any size), the first exactly `photo` resized to the output size."""
    first = resize_to(photo, width, height)
    weights = anchor_weights(frame_count, fps)
    residual: np.ndarray | None = None
    for index, native in enumerate(retime(frames, frame_count)):
        frame = resize_to(native, width, height)
        if residual is None:
            residual = first.astype(np.float32) - frame.astype(np.float32)
        weight = float(weights[index])
        if weight >= 1.0:
            yield first
        elif weight > 0.0:
            yield np.clip(frame.astype(np.float32) + weight * residual, 0, 255).astype(np.uint8)
        else:
            yield frame
