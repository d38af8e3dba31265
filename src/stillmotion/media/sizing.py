"""Output frame size from the input's shape and the resolution class (CONTRACT.md)."""

from __future__ import annotations

from stillmotion import defaults


def output_size(width: int, height: int, resolution: str) -> tuple[int, int]:
    """(width, height): the short side equals the class, the aspect is kept, both even.

    The long side is rounded to the nearest even number so 16:9 at 720p is exactly 1280x720
    and 9:16 at 1080p exactly 1080x1920.
    """
    short = defaults.SHORT_SIDE_BY_RESOLUTION[resolution]
    if width >= height:
        long_side = max(2, 2 * round(short * width / height / 2))
        return long_side, short
    long_side = max(2, 2 * round(short * height / width / 2))
    return short, long_side
