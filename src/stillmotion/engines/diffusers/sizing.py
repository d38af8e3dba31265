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
    """A size on `multiple`s within a pixel budget of min(max_area, output area), but at
    least MIN_AREA_SHARE of max_area, as close to the output's aspect as the multiples allow.

    Heights down to 3/4 of the ideal are tried, each with the widths either side of its
    aspect; the score weighs aspect error four times as much as budget left unused,
    because conforming resizes an aspect error back (a stretch) while a smaller size only
    loses detail. (LTX at 720p 16:9, on 32 px: 800x448, not 832x448 at 4% stretch.)
    """
    area = min(max_area, max(out_width * out_height, max_area * MIN_AREA_SHARE))
    aspect = out_width / out_height
    ideal_h = math.sqrt(area / aspect)
    lowest = max(1, math.floor(ideal_h * 0.75 / multiple))
    candidates = []
    for h in range(lowest * multiple, int(ideal_h // multiple + 1) * multiple + 1, multiple):
        w_low = max(multiple, int(h * aspect // multiple) * multiple)
        for w in (w_low, w_low + multiple):
            if w * h <= area:
                candidates.append((w, h))
    if not candidates:  # the budget is under one multiple squared: the smallest size
        return multiple, multiple

    def cost(size: tuple[int, int]) -> float:
        w, h = size
        return abs(math.log(w / h / aspect)) + 0.25 * abs(math.log(w * h / area))

    return min(candidates, key=cost)


def native_frames(duration: int, fps: int, max_frames: int, temporal_factor: int) -> int:
    """Frames for `duration` seconds at `fps` (+1: both ends), capped at `max_frames`, on the
    family's k * temporal_factor + 1 rule (rounded down, as the pipelines themselves do)."""
    wanted = min(duration * fps + 1, max_frames)
    k = max(1, (wanted - 1) // temporal_factor)
    return k * temporal_factor + 1


def native_shape(out_width: int, out_height: int, duration: int, *, max_area: int,
                 multiple: int, fps: int, max_frames: int, temporal_factor: int,
                 fixed: tuple[int, int] | None = None,
                 fixed_frames: int | None = None) -> NativeShape:
    """`fixed`, `fixed_frames`: the model makes one size, or one length, only; it is used
    whatever the output (the photo is stretched to the size and conforming stretches the
    frames back; one length is retimed to any duration)."""
    width, height = fixed or native_size(out_width, out_height, max_area, multiple)
    frames = fixed_frames or native_frames(duration, fps, max_frames, temporal_factor)
    return NativeShape(width, height, frames, (frames - 1) / duration)
