"""Step 4, rendering: a Pose of the camera sampled into an output frame.

Two pre-filtered levels are kept, like a mip-map: the photo at output size (level 0,
made with area averaging, which is frame 0 exactly) and the photo at output size times
the largest zoom of the shot (level 1, so the deepest zoom is sampled 1:1 and stays
sharp). Moderate shots sample level 1 alone after frame 0; deep ones blend the two by
log(s) / log(zoom_max), each resampled bilinearly at a scale where it does not alias.

Parallax is a displacement field from the depth proxy, added before the camera's affine
map: near pixels are displaced further than far ones. The field is smooth (the depth is
blurred), so it stretches content a little at depth edges instead of tearing it, and it
is computed at a quarter of the output size and enlarged, which costs a few milliseconds.

Local motion (water, leaves, hair: see effects.py) is another displacement field in output
pixels. The renderer takes it on its own grid and composes it with the parallax there
(output p looks where p + motion(p) looked), so each frame is still sampled once: one
interpolation instead of two, and the cost of a second full-frame resampling saved.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from stillmotion.engines.motion import projection
from stillmotion.engines.motion.camera import Pose

FIELD_STEP = 4  # the displacement field is computed on a grid this much coarser
# Up to this deepest zoom, the detail level alone serves every frame after frame 0:
# bilinear shrinking by at most this factor matched the area-averaged level 0 at 42-45 dB
# luma on the sample photos (no visible step after frame 0), at half the cost of blending
# two levels. Deeper shots blend the levels, where bilinear would start to alias.
SINGLE_LEVEL_MAX_ZOOM = 1.5


def resize_to(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area averaging when shrinking (no aliasing), bicubic when enlarging."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    shrinking = width * height <= w * h
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return cv2.resize(image, (width, height), interpolation=interpolation)


class FrameRenderer:
    """Holds one task's resampled photo levels and depth field, and draws any Pose."""

    def __init__(self, image: np.ndarray, width: int, height: int, zoom_max: float,
                 depth: np.ndarray | None = None,
                 focus: tuple[float, float] = (0.5, 0.5)) -> None:
        self.size = (width, height)
        self.base = np.ascontiguousarray(resize_to(image, width, height))
        self.zoom_max = max(1.0, zoom_max)
        self.detail: np.ndarray | None = None
        if self.zoom_max > 1.0 + 1e-6:
            self.detail = np.ascontiguousarray(resize_to(
                image, round(width * self.zoom_max), round(height * self.zoom_max)))
        self.focus = focus
        fw, fh = max(2, math.ceil(width / FIELD_STEP)), max(2, math.ceil(height / FIELD_STEP))
        self._gx, self._gy = projection.grid(width, height, fw, fh)
        self._full: tuple[np.ndarray, np.ndarray] | None = None  # made on first parallax frame
        self._cells: tuple[np.ndarray, np.ndarray] | None = None  # grid indices, likewise
        self._falloff = projection.ellipse_falloff(self._gx, self._gy, width, height)
        self._near = projection.near_weight(depth, fw, fh) if depth is not None else None

    @property
    def grid_size(self) -> tuple[int, int]:
        """(columns, rows) of the coarse grid a `motion` field passed to render() is on; its
        points are where projection.grid places them."""
        return self._gx.shape[1], self._gx.shape[0]

    def render(self, pose: Pose,
               motion: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """The frame the camera sees at `pose`; `motion` (dx, dy in output pixels on the
        coarse grid, see grid_size) moves content locally: output p shows what p + motion(p)
        would have shown."""
        if pose.is_identity and motion is None:
            return self.base
        displacement = (self._displacement(pose)
                        if projection.has_parallax(pose, self._near) else None)
        if motion is not None:
            displacement = self._compose(displacement, motion)

        def sample(level: np.ndarray) -> np.ndarray:
            if displacement is None:
                return self._warp(level, pose)
            return self._remap(level, pose, displacement)

        weight = self._detail_weight(pose.zoom)
        if self.detail is None or weight <= 1e-4:
            return sample(self.base)
        if weight >= 1 - 1e-4:
            return sample(self.detail)
        return cv2.addWeighted(sample(self.base), 1.0 - weight, sample(self.detail), weight, 0.0)

    def _detail_weight(self, zoom: float) -> float:
        """Level 1's share of a frame at this zoom: all of it for moderate shots, else the
        log-zoom blend."""
        if self.detail is None:
            return 0.0
        if self.zoom_max <= SINGLE_LEVEL_MAX_ZOOM:
            return 1.0
        return min(1.0, max(0.0, math.log(zoom) / math.log(self.zoom_max)))

    def _affine(self, level: np.ndarray, pose: Pose) -> tuple[float, float, float, float]:
        return projection.affine(pose, self.size, (level.shape[1], level.shape[0]))

    def _warp(self, level: np.ndarray, pose: Pose) -> np.ndarray:
        ax, bx, ay, by = self._affine(level, pose)
        matrix = np.array([[ax, 0.0, bx], [0.0, ay, by]], dtype=np.float64)
        return cv2.warpAffine(level, matrix, self.size,
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REFLECT_101)

    def _displacement(self, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
        return projection.displacement(pose, self._gx, self._gy, self._near, self._falloff,
                                       self.size, self.focus)

    def _compose(self, parallax: tuple[np.ndarray, np.ndarray] | None,
                 motion: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """One field for both: p + motion(p) + parallax(p + motion(p)), on the grid.

        The parallax field is read at the moved points by a bilinear remap of the small grid
        (its sample spacing is the grid's cell size), which costs well under a millisecond.
        """
        mx, my = motion
        if parallax is None:
            return mx, my
        columns, rows = self.grid_size
        width, height = self.size
        if self._cells is None:
            cx, cy = np.meshgrid(np.arange(columns, dtype=np.float32),
                                 np.arange(rows, dtype=np.float32))
            self._cells = (cx, cy)
        at_x = cv2.scaleAdd(mx, columns / width, self._cells[0])
        at_y = cv2.scaleAdd(my, rows / height, self._cells[1])
        moved = cv2.remap(cv2.merge(parallax), at_x, at_y, cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
        return cv2.add(mx, moved[..., 0]), cv2.add(my, moved[..., 1])

    def _remap(self, level: np.ndarray, pose: Pose,
               displacement: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Sample a level through affine(p + displacement(p)); the affine part stays exact
        at full resolution, only the smooth displacement is interpolated from the grid."""
        ax, bx, ay, by = self._affine(level, pose)
        dx, dy = displacement
        up_x = cv2.resize(dx * ax + bx, self.size, interpolation=cv2.INTER_LINEAR)
        up_y = cv2.resize(dy * ay + by, self.size, interpolation=cv2.INTER_LINEAR)
        if self._full is None:
            width, height = self.size
            full_x, full_y = np.meshgrid(np.arange(width, dtype=np.float32),
                                         np.arange(height, dtype=np.float32))
            self._full = (full_x, full_y)
        map_x = cv2.scaleAdd(self._full[0], ax, up_x, dst=up_x)
        map_y = cv2.scaleAdd(self._full[1], ay, up_y, dst=up_y)
        # remap quantises float maps to 1/32 px internally anyway; converting them once to
        # that fixed-point form first makes the whole resampling 13% cheaper on two threads,
        # 35% on one (measured at 720p)
        fixed, fraction = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2)
        return cv2.remap(level, fixed, fraction, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REFLECT_101)
