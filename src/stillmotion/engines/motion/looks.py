"""Looks: how weather and the hour change the whole picture, not only what falls through it.

Rain under a clear sky reads as a filter laid on top; under an overcast sky the light is
flat, cool and dim, shadows are soft, and rain reads as weather. Golden hour and sunset
are warm, and lit from one low side. A look is a colour grade (one 256-entry table per
channel, applied to the frame in one pass) and, for the low sun, a warm glow from the
photo's brighter side screened over it with the overlays (effects.py).

Every look eases in with the effects' strength (0 at frame 0, so frame 0 is the photo):
the table is the identity blended toward the look's.
"""

from __future__ import annotations

import numpy as np

# overcast: contrast about the mid grey (lower), shadows lifted, per-channel gains (cool)
OVERCAST_CONTRAST = 0.78
OVERCAST_LIFT = 14.0  # levels added to the shadows (fading out toward white)
OVERCAST_GAIN = (0.93, 0.97, 1.04)
# golden hour: per-channel gains (warm), a touch more contrast, and the glow's reach
GOLDEN_GAIN = (1.08, 1.0, 0.85)
GOLDEN_CONTRAST = 1.05
GOLDEN_GLOW = 0.32  # the side glow's strength at the bright edge (screened)
GOLDEN_REACH = 0.55  # ... falling off over this share of the frame's width
SHOULDER = 225.0  # graded values above this roll off toward white (_shoulder)


def _shoulder(x: np.ndarray) -> np.ndarray:
    """Values above SHOULDER roll off smoothly toward 255 instead of clipping: a warm
    gain must not burn the highlights it brightens into flat white."""
    room = 255.0 - SHOULDER
    over = np.maximum(x - SHOULDER, 0.0)
    return np.where(x > SHOULDER, SHOULDER + room * (1.0 - np.exp(-over / room)), x)


def _curve(gain: tuple[float, float, float], contrast: float, lift: float) -> np.ndarray:
    """The look's table, (256, 3) float: contrast about 128, a lift of the shadows that
    fades out toward white, then the gains, then the shoulder."""
    v = np.arange(256, dtype=np.float64)
    base = 128.0 + (v - 128.0) * contrast + lift * (1.0 - v / 255.0) ** 2
    return np.stack([np.clip(_shoulder(base * g), 0.0, 255.0) for g in gain], axis=-1)


def grade_table(effects: tuple[str, ...], levels: dict[str, float],
                strength: float) -> np.ndarray | None:
    """The frame's grade at `strength` (0..1) as a (256, 1, 3) uint8 table for cv2.LUT,
    or None when no look applies (or at strength 0)."""
    if strength <= 0.0:
        return None
    identity = np.repeat(np.arange(256, dtype=np.float64)[:, None], 3, axis=1)
    table = identity.copy()
    if "rain" in effects:
        amount = min(1.0, 0.75 * levels.get("rain", 1.0))
        target = _curve(OVERCAST_GAIN, OVERCAST_CONTRAST, OVERCAST_LIFT)
        table = table + amount * (target - identity)
    if "golden" in effects:
        target = _curve(GOLDEN_GAIN, GOLDEN_CONTRAST, 0.0)
        table = table + (target - identity)
    if np.array_equal(table, identity):
        return None
    blended = identity + strength * (table - identity)
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)[:, None, :]


def side_glow(size: tuple[int, int], bright_left: bool) -> np.ndarray:
    """The low sun's glow at (width, height), 0..1 float32: strongest at the top of the
    bright side, falling off across GOLDEN_REACH of the width and a little downward."""
    width, height = size
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    across = x if bright_left else 1.0 - x
    glow = np.exp(-across / (GOLDEN_REACH / 2.5)) * (1.0 - 0.45 * y)
    return (GOLDEN_GLOW * glow).astype(np.float32)
