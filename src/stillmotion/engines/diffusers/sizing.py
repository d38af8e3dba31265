"""The contract's size class -> the model's native size, and the clip's length -> native frames.

Why here and not in each adapter: every family has the same two kinds of constraint, a
spatial multiple (VAE downsampling times the transformer's patch) and a temporal rule
(frames = k * the VAE's temporal factor + 1), read off the loaded pipeline by its adapter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Models fall apart well below their trained size: never generate under this share of the
# native pixel budget, even for a small contract size (2/3 of the native side).
MIN_AREA_SHARE = 1 / 2.25


@dataclass(frozen=True)
class NativeShape:
    width: int
    height: int
    frames: int
    fps: float  # the frame rate the frames span the clip at (frames - 1) / duration


def native_size(out_width: int, out_height: int, max_area: int, multiple: int) -> tuple[int, int]:
    """A size on `multiple`s with an area of about min(max_area, output area), but at least
    MIN_AREA_SHARE of max_area, whose aspect is the nearest to the output's.

    Of the sizes one multiple either side of the ideal, the one with the closest aspect
    within the budget wins (the larger on a tie); conforming resizes the small aspect
    error back exactly.
    """
    area = min(max_area, max(out_width * out_height, max_area * MIN_AREA_SHARE))
    aspect = out_width / out_height
    ideal_w = math.sqrt(area * aspect)
    ideal_h = ideal_w / aspect

    def around(side: float) -> list[int]:
        low = max(multiple, int(side // multiple) * multiple)
        return [low, low + multiple]

    candidates = [(w, h) for w in around(ideal_w) for h in around(ideal_h) if w * h <= area]
    if not candidates:  # the budget is under one multiple squared: the smallest size
        return multiple, multiple
    return min(candidates, key=lambda s: (abs(math.log(s[0] / s[1] / aspect)), -s[0] * s[1]))


def native_frames(duration: int, fps: int, max_frames: int, temporal_factor: int) -> int:
    """Frames for `duration` seconds at `fps` (+1: both ends), capped at `max_frames`, on the
    family's k * temporal_factor + 1 rule (rounded down, as the pipelines themselves do)."""
    wanted = min(duration * fps + 1, max_frames)
    k = max(1, (wanted - 1) // temporal_factor)
    return k * temporal_factor + 1


def native_shape(out_width: int, out_height: int, duration: int, *, max_area: int,
                 multiple: int, fps: int, max_frames: int, temporal_factor: int,
                 fixed: tuple[int, int] | None = None) -> NativeShape:
    """`fixed`: the model makes one size only; it is used whatever the output's aspect (the
    photo is stretched to it and conforming stretches the frames back)."""
    width, height = fixed or native_size(out_width, out_height, max_area, multiple)
    frames = native_frames(duration, fps, max_frames, temporal_factor)
    return NativeShape(width, height, frames, (frames - 1) / duration)
