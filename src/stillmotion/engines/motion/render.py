"""Step 4, rendering: a Pose of the camera sampled into an output frame.

Two pre-filtered levels are kept, like a mip-map: the photo at output size (level 0,
made with area averaging, which is frame 0 exactly) and the photo at output size times
the largest zoom of the shot (level 1, so the deepest zoom is sampled 1:1 and stays
sharp). Moderate shots sample level 1 alone after frame 0; deep ones blend the two by
log(s) / log(zoom_max), each resampled bilinearly at a scale where it does not alias.

Parallax is a displacement field (projection.py), added before the camera's affine map:
the subject moves as one similarity, the rest by its nearness. The field is smooth (the
depth is blurred, the subject handed over to the background over a feather), so it
stretches content beside the subject instead of tearing it, and it is computed at a
quarter of the output size and enlarged, which costs a few milliseconds.

With layers (a trusted subject: see layers.py), the frame is two samplings and a blend:
the background plate through the background's map, the photo and its alpha (one RGBA
image) through the subject's similarity, over the subject's on-screen box only, then
alpha * foreground + (1 - alpha) * background. The background's map has no bump at the
subject, so nothing next to the subject stretches: where the subject moves off, the plate's
inpainted band shows. A pose without parallax takes the single path (both maps agree, and
the plate equals the photo wherever alpha < 1, so the result would be the same).

Local motion (water, leaves, hair: see effects.py) is another displacement field in output
pixels. The renderer takes it on its own grid and composes it with the parallax there
(output p looks where p + motion(p) looked), so each frame is still sampled once: one
interpolation instead of two, and the cost of a second full-frame resampling saved.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

from stillmotion.engines.motion import layers, projection
from stillmotion.engines.motion.camera import Pose
from stillmotion.media.resize import resize_to

FIELD_STEP = 4  # the displacement field is computed on a grid this much coarser
# Up to this deepest zoom, the detail level alone serves every frame after frame 0:
# bilinear shrinking by at most this factor matched the area-averaged level 0 at 42-45 dB
# luma on the sample photos (no visible step after frame 0), at half the cost of blending
# two levels. Deeper shots blend the levels, where bilinear would start to alias.
SINGLE_LEVEL_MAX_ZOOM = 1.5


class FrameRenderer:
    """Holds one task's resampled photo levels and depth field, and draws any Pose."""

    def __init__(self, image: np.ndarray, width: int, height: int, zoom_max: float,
                 depth: np.ndarray | None = None,
                 anchor: tuple[float, float] = (0.5, 0.5), matte: np.ndarray | None = None,
                 reveal: float = 0.0, rigid: np.ndarray | None = None,
                 alpha: np.ndarray | None = None) -> None:
        """`matte` (the scene's hard subject matte, any size) with a `depth` draws the shot
        in two layers; `reveal` is the shot's largest parallax reveal (MotionProbe.reveal).
        Without layers, `rigid` (a trusted subject matte) is moved by the single field as
        one piece instead of bending with the depth proxy (projection.near_weight).
        `alpha` (uint8, any size, in photo coordinates: local motion's streams) is drawn
        as a fourth channel beside the photo, so it moves exactly as the photo does; the
        colour levels are made from the photo alone, as without it."""
        self.size = (width, height)
        self.base = np.ascontiguousarray(resize_to(image, width, height))
        self.zoom_max = max(1.0, zoom_max)
        self.detail: np.ndarray | None = None
        if self.zoom_max > 1.0 + 1e-6:
            self.detail = np.ascontiguousarray(resize_to(
                image, round(width * self.zoom_max), round(height * self.zoom_max)))
        if alpha is not None:
            self.base = cv2.merge([self.base, resize_to(alpha, width, height)])
            if self.detail is not None:
                h, w = self.detail.shape[:2]
                self.detail = cv2.merge([self.detail, resize_to(alpha, w, h)])
        self.anchor = anchor
        fw, fh = max(2, math.ceil(width / FIELD_STEP)), max(2, math.ceil(height / FIELD_STEP))
        self._gx, self._gy = projection.grid(width, height, fw, fh)
        self._full: tuple[np.ndarray, np.ndarray] | None = None  # made on first parallax frame
        self._cells: tuple[np.ndarray, np.ndarray] | None = None  # grid indices, likewise
        self._falloff = projection.ellipse_falloff(self._gx, self._gy, width, height)
        self._near = projection.near_weight(depth, fw, fh) if depth is not None else None
        self._rigid = (projection.rigid_subject(depth, rigid, fw, fh)
                       if depth is not None and rigid is not None and rigid.any()
                       else None)
        # the layers: (image with alpha, plate) per level
        self._levels: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._box = (0.0, 0.0, 0.0, 0.0)  # the alpha's support, px of level 0
        self.layers: layers.Layers | None = None  # level 0's layers, for tests and benches
        self.reveal = reveal
        if depth is not None and matte is not None and matte.any():
            weights = projection.layer_weights(depth, matte, fw, fh)
            self._near = weights.background
            self._rigid = None  # the foreground layer moves rigidly already
            base, big = layers.build(self.base, matte, reveal, self.detail)
            self.layers = base
            for level, made in ((self.base, base), (self.detail, big)):
                if level is not None and made is not None:
                    rgba = np.dstack([made.foreground,
                                      np.rint(made.alpha * 255).astype(np.uint8)])
                    self._levels[id(level)] = (np.ascontiguousarray(rgba), made.plate)
            ys, xs = np.nonzero(base.alpha > 0)
            if len(xs):
                self._box = (float(xs.min()), float(ys.min()), float(xs.max()),
                             float(ys.max()))

    @property
    def grid_size(self) -> tuple[int, int]:
        """(columns, rows) of the coarse grid a `motion` field passed to render() is on; its
        points are where projection.grid places them."""
        return self._gx.shape[1], self._gx.shape[0]

    def render(self, pose: Pose, motion: tuple[np.ndarray, np.ndarray] | None = None,
               roi: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """The frame the camera sees at `pose`; `motion` (dx, dy in output pixels on the
        coarse grid, see grid_size) moves content locally: output p shows what p + motion(p)
        would have shown. `roi` (x0, y0, x1, y1): only that box of the frame (the same
        values), for a layer that covers part of it (local motion's plate)."""
        if roi is not None and (self._levels or motion is None):
            x0, y0, x1, y1 = roi
            return np.ascontiguousarray(self.render(pose, motion)[y0:y1, x0:x1])
        if pose.is_identity and motion is None:
            return self.base
        if self._levels and projection.has_parallax(pose, self._near):
            return self._render_layers(pose, motion)
        displacement = (self._displacement(pose)
                        if projection.has_parallax(pose, self._near) else None)
        if motion is not None:
            displacement = self._compose(displacement, motion)

        def sample(level: np.ndarray) -> np.ndarray:
            if displacement is None:
                return self._warp(level, pose)
            return self._remap(level, pose, displacement, roi)

        return self._across_levels(pose.zoom, sample)

    def _across_levels(self, zoom: float,
                       sample: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """`sample` of level 0, of level 1, or of both blended by `_detail_weight`; one
        place for the single-field and the layered renders."""
        weight = self._detail_weight(zoom)
        if self.detail is None or weight <= 1e-4:
            return sample(self.base)
        if weight >= 1 - 1e-4:
            return sample(self.detail)
        return cv2.addWeighted(sample(self.base), 1.0 - weight, sample(self.detail), weight, 0.0)

    @property
    def layered(self) -> bool:
        return bool(self._levels)

    def _render_layers(self, pose: Pose,
                       motion: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
        back = self._displacement(pose)
        front = projection.subject_displacement(pose, self._gx, self._gy, self.size,
                                                self.anchor)
        if motion is not None:
            back = self._compose(back, motion)
            front = self._compose(front, motion)
        roi = self._front_box(pose, front)

        def sample(level: np.ndarray) -> np.ndarray:
            rgba, plate = self._levels[id(level)]
            out = self._remap(plate, pose, back)
            if roi is None:
                return out
            x0, y0, x1, y1 = roi
            subject = self._remap(rgba, pose, front, roi)
            # blendLinear normalises by the weights' sum: alpha and 255 - alpha will do
            alpha = cv2.extractChannel(subject, 3).astype(np.float32)
            out[y0:y1, x0:x1] = cv2.blendLinear(
                cv2.cvtColor(subject, cv2.COLOR_RGBA2RGB), out[y0:y1, x0:x1], alpha,
                np.float32(255.0) - alpha)
            return out

        return self._across_levels(pose.zoom, sample)

    def _front_box(self, pose: Pose, front: tuple[np.ndarray, np.ndarray],
                   ) -> tuple[int, int, int, int] | None:
        """The output box (x0, y0, x1, y1) outside which the foreground's alpha is 0: the
        grid points whose source lies in the alpha's box, grown by a cell and a margin."""
        ax, bx, ay, by = self._affine(self.base, pose)
        sx = (self._gx + front[0]) * ax + bx
        sy = (self._gy + front[1]) * ay + by
        left, top, right, bottom = self._box
        margin = 2.0
        inside = ((sx >= left - margin) & (sx <= right + margin)
                  & (sy >= top - margin) & (sy <= bottom + margin))
        if not inside.any():
            return None
        rows = np.flatnonzero(inside.any(axis=1))
        columns = np.flatnonzero(inside.any(axis=0))
        width, height = self.size
        step_x = width / self._gx.shape[1]
        step_y = height / self._gx.shape[0]
        x0 = max(0, math.floor((columns[0] - 1) * step_x) - 2)
        x1 = min(width, math.ceil((columns[-1] + 2) * step_x) + 2)
        y0 = max(0, math.floor((rows[0] - 1) * step_y) - 2)
        y1 = min(height, math.ceil((rows[-1] + 2) * step_y) + 2)
        return x0, y0, x1, y1

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
                                       self.size, self.anchor, self._rigid)

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
               displacement: tuple[np.ndarray, np.ndarray],
               roi: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """Sample a level through affine(p + displacement(p)); the affine part stays exact
        at full resolution, only the smooth displacement is interpolated from the grid.
        `roi` (x0, y0, x1, y1) samples only that box of the output (the same values)."""
        ax, bx, ay, by = self._affine(level, pose)
        dx, dy = displacement
        up_x = cv2.resize(dx * ax + bx, self.size, interpolation=cv2.INTER_LINEAR)
        up_y = cv2.resize(dy * ay + by, self.size, interpolation=cv2.INTER_LINEAR)
        if self._full is None:
            width, height = self.size
            full_x, full_y = np.meshgrid(np.arange(width, dtype=np.float32),
                                         np.arange(height, dtype=np.float32))
            self._full = (full_x, full_y)
        full_x, full_y = self._full
        if roi is not None:
            x0, y0, x1, y1 = roi
            up_x, up_y = up_x[y0:y1, x0:x1], up_y[y0:y1, x0:x1]
            full_x, full_y = full_x[y0:y1, x0:x1], full_y[y0:y1, x0:x1]
            map_x = cv2.scaleAdd(full_x, ax, up_x)
            map_y = cv2.scaleAdd(full_y, ay, up_y)
        else:
            map_x = cv2.scaleAdd(full_x, ax, up_x, dst=up_x)
            map_y = cv2.scaleAdd(full_y, ay, up_y, dst=up_y)
        # remap quantises float maps to 1/32 px internally anyway; converting them once to
        # that fixed-point form first makes the whole resampling 13% cheaper on two threads,
        # 35% on one (measured at 720p)
        fixed, fraction = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2)
        return cv2.remap(level, fixed, fraction, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REFLECT_101)
