"""Plumes: steam off a cup, smoke off a fire, rising where the photo's subject is.

A photo of a coffee cup has no steam in it to move, so steam is drawn: a column of soft
noise that scrolls upward out of a source, sways, widens and thins as it rises, and fades
out at the top. The source is the top of the subject the scene analysis found (its box's
top edge, at its middle), or the top of the photo's fire for smoke above flames; without
either, the middle of the lower third. Steam is a pale, screened wisp; smoke a grey veil
blended over the frame.

Closed-form in time like every effect (frames in any order, the seed decides the noise),
computed on the effects' coarse field grid and enlarged with the rest of the light layer.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from stillmotion.engines.motion.regions import smoothstep

RISE = 0.5  # how far up the plume reaches, of the frame height
WIDTH = 0.35  # its width at the source, of the subject's width (at least MIN_WIDTH)
MIN_WIDTH = 0.04  # of the frame width
SPEED = 0.12  # how fast its texture rises, of the frame height per second
OPACITY = {"steam": 0.8, "smoke": 0.75}
COLOUR = {"steam": (0.93, 0.94, 0.96), "smoke": (0.55, 0.55, 0.57)}


class Plume:
    """One plume on a field of (columns, rows); field() gives its opacity at a time."""

    def __init__(self, kind: str, source: tuple[float, float], width: float,
                 field_size: tuple[int, int], noise: tuple[np.ndarray, np.ndarray],
                 phase: float) -> None:
        """`source`: where it starts (normalised x, y); `width`: there, normalised; `noise`:
        two tileable noise images (0..1, any size) for its texture; `phase`: the seed's
        offset of its sway."""
        self.kind = kind
        self.colour = COLOUR[kind]
        fw, fh = field_size
        self.size = field_size
        self._noise = noise
        self._phase = phase
        x = (np.arange(fw, dtype=np.float32) + 0.5) / fw
        y = (np.arange(fh, dtype=np.float32) + 0.5) / fh
        self._x, self._y = np.meshgrid(x, y)
        sx, sy = source
        self._height = (sy - self._y) / RISE  # 0 at the source, 1 at the plume's top
        self._sx = sx
        self._width = max(MIN_WIDTH, width)
        self._aspect = fw / fh

    def field(self, t: float, strength: float) -> np.ndarray:
        """Opacity (float32, field size) at time t, eased in by `strength`."""
        h = self._height
        inside = (h > 0.0) & (h < 1.0)
        sway = 0.04 * np.sin(2 * math.pi * (0.35 * t - 0.8 * h) + self._phase) * h
        spread = self._width * (1.0 + 2.5 * np.clip(h, 0.0, 1.0))
        across = (self._x - self._sx - sway) / spread
        envelope = np.exp(-across * across * 2.0) * smoothstep(0.0, 0.08, h) \
            * np.clip(1.0 - h, 0.0, 1.0) ** 1.5
        texture = self._texture(t)
        wisps = 0.3 + 0.7 * smoothstep(0.35, 0.7, texture)
        opacity = np.where(inside, envelope * wisps, 0.0)
        return (OPACITY[self.kind] * strength * opacity).astype(np.float32)

    def _texture(self, t: float) -> np.ndarray:
        """The plume's noise, scrolled upward (the two layers at different speeds, so the
        wisps change shape as they rise), sampled bilinearly at the field's points."""
        fw, fh = self.size
        out = np.zeros((fh, fw), np.float32)
        for noise, speed, weight in zip(self._noise, (SPEED, SPEED * 1.6), (0.6, 0.4),
                                        strict=True):
            nh, _ = noise.shape
            map_x = (self._x * self._aspect * nh * 0.5).astype(np.float32)
            map_y = ((self._y + speed * t) * nh * 0.5).astype(np.float32)
            out += weight * cv2.remap(noise, map_x, map_y, cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_WRAP)
        return out
