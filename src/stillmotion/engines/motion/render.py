"""Step 3, rendering: a View of the photo sampled into an output frame.

Two pre-filtered levels are kept, like a mip-map: the photo at output size (level 0,
made with area averaging, which is frame 0 exactly) and the photo at output size times
the largest zoom of the shot (level 1, so the deepest zoom is sampled 1:1 and stays
sharp). A frame at zoom s blends the two by log(s) / log(zoom_max). Each level is
resampled bilinearly at a scale within [1, zoom_max], where bilinear does not alias,
and the blend moves smoothly, so nothing pops as the zoom grows.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from stillmotion.engines.motion.camera import View


def resize_to(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area averaging when shrinking (no aliasing), bicubic when enlarging."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    shrinking = width * height <= w * h
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return cv2.resize(image, (width, height), interpolation=interpolation)


class FrameRenderer:
    """Holds one task's resampled photo levels and draws any View from them."""

    def __init__(self, image: np.ndarray, width: int, height: int, zoom_max: float,
                 recede_max: float = 0.0) -> None:
        self.size = (width, height)
        self.base = np.ascontiguousarray(resize_to(image, width, height))
        self.zoom_max = max(1.0, zoom_max)
        self.detail: np.ndarray | None = None
        if self.zoom_max > 1.0 + 1e-6:
            self.detail = np.ascontiguousarray(resize_to(
                image, round(width * self.zoom_max), round(height * self.zoom_max)))
        self._recede_field = _recede_field(width, height) if recede_max > 0 else None

    def render(self, view: View) -> np.ndarray:
        if view.recede > 0:
            return self._render_recede(view.recede)
        if view.zoom <= 1.0 + 1e-9 and abs(view.cx - 0.5) < 1e-9 and abs(view.cy - 0.5) < 1e-9:
            return self.base
        weight = math.log(view.zoom) / math.log(self.zoom_max) if self.detail is not None else 0
        weight = min(1.0, max(0.0, weight))
        if weight <= 1e-4 or self.detail is None:
            return self._warp(self.base, view)
        if weight >= 1 - 1e-4:
            return self._warp(self.detail, view)
        coarse = self._warp(self.base, view)
        fine = self._warp(self.detail, view)
        return cv2.addWeighted(coarse, 1.0 - weight, fine, weight, 0.0)

    def _warp(self, level: np.ndarray, view: View) -> np.ndarray:
        """Output pixel centres mapped to the level's pixel grid by one affine map."""
        out_w, out_h = self.size
        src_h, src_w = level.shape[:2]
        ax = src_w / (out_w * view.zoom)
        ay = src_h / (out_h * view.zoom)
        bx = (view.cx - 0.5 / view.zoom) * src_w + 0.5 * ax - 0.5
        by = (view.cy - 0.5 / view.zoom) * src_h + 0.5 * ay - 0.5
        matrix = np.array([[ax, 0.0, bx], [0.0, ay, by]], dtype=np.float64)
        return cv2.warpAffine(level, matrix, self.size,
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REFLECT_101)

    def _render_recede(self, strength: float) -> np.ndarray:
        assert self._recede_field is not None
        grid_x, grid_y, push_x, push_y = self._recede_field
        map_x = cv2.scaleAdd(push_x, strength, grid_x)
        map_y = cv2.scaleAdd(push_y, strength, grid_y)
        return cv2.remap(self.base, map_x, map_y, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REFLECT_101)


def _recede_field(width: int, height: int) -> tuple[np.ndarray, ...]:
    """A smooth radial field that shrinks the middle of the photo while its edges stay put.

    Output pixel p samples p + k * (p - c) * (1 - r^2)^2, r being the distance from the
    centre on the ellipse inscribed in the frame. Outside the ellipse nothing moves, so no
    edge is ever revealed; the radial map r -> r (1 + k (1 - r^2)^2) is increasing for
    k < 1.25, so the picture never folds over itself.
    """
    xs = np.arange(width, dtype=np.float32)
    ys = np.arange(height, dtype=np.float32)
    grid_x, grid_y = np.meshgrid(xs, ys)
    dx = grid_x + 0.5 - width / 2.0
    dy = grid_y + 0.5 - height / 2.0
    r2 = (dx / (width / 2.0)) ** 2 + (dy / (height / 2.0)) ** 2
    falloff = np.where(r2 < 1.0, (1.0 - r2) ** 2, 0.0).astype(np.float32)
    return grid_x, grid_y, (dx * falloff).astype(np.float32), (dy * falloff).astype(np.float32)
