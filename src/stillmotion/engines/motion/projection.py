"""Where each output pixel looks in the photo for a camera Pose: the one geometric model
shared by the renderer (on a dense grid, to sample frames) and the planner (on a sparse
grid, to predict how much motion a shot will show before rendering it).

Output pixel p looks at affine(p + d(p)): the affine part is the camera window (zoom and
centre); d is a smooth displacement that moves the subject against the rest (parallax).
The subject is the plane parallax is measured at: its map is one similarity (the pose's
lateral and held shifts, its depth and held zooms about the subject's anchor:
`subject_displacement`), so it never bends; the rest moves by its nearness (the depth
proxy, 0 far .. 1 near), with the zooms and the held shift fading out toward the frame's
edge so that no edge is revealed.

Without layers (the default), a trusted subject that is an object (`RigidSubject`) takes
its own map on the grid points that show it and hands over to the background's over a
feather outside it: the picture around the subject stretches to make room, which the
planner keeps from folding (MotionProbe.min_stretch). With layers (a trusted subject
matte), the subject's map draws the foreground and the background's map, from the depth
proxy with the subject taken out of it, draws an inpainted plate; where the two disagree
next to the subject the plate shows through: `MotionProbe.reveal` says how far that can
reach, which is how much of the plate must be inpainted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from stillmotion.engines.motion.camera import Pose, camera_shift

DEPTH_BLUR = 0.02  # of the field's diagonal: smooth enough that the field never folds
# A rigid subject's map hands over to the background's over this many DEPTH_BLUR widths
# outside its matte (smoothstep, about 12% of the diagonal). The ring absorbs what the
# subject does against the background (a held orbit's slide, a dolly zoom's growth, a
# pull-out's shrink), so its width bounds how far those go before the map folds (the
# planner's guard, MotionEngine's MIN_STRETCH): at 3.5 widths a medium dolly zoom got a
# third of what it does at 6; at 10 an orbit held most of the frame with its subject.
RIGID_FEATHER = 6.0
# ... and is held whole this far (of the matte's long side) past the matte's edge first:
# GrabCut at analysis size misses thin parts of an object (the rocket's nose cone, 10 px
# above its matte at 240 px, and a pixel or two of its flanks), which a feather starting
# on the matte would shear sideways; the halo it adds is background that moves with the
# subject, which reads as nothing on sky and little on texture.
RIGID_GROW = 0.04


def resized(values: np.ndarray, width: int, height: int) -> np.ndarray:
    """A map at (width, height), bilinear; the map itself when it is that size already."""
    if values.shape[1] == width and values.shape[0] == height:
        return values
    return cv2.resize(values, (width, height), interpolation=cv2.INTER_LINEAR)


def follow(values: np.ndarray, pose: Pose | None, size: tuple[int, int]) -> np.ndarray:
    """A map in photo coordinates (a mask, the depth) as the camera at `pose` sees it, at
    `size`: effects and local motion stay on the things they belong to as the camera
    moves. Only the camera window (zoom, travel) is followed, not parallax: that shifts
    things by a few pixels, which the maps' feathering hides."""
    if pose is None or pose.is_identity:
        return resized(values, *size)
    ax, bx, ay, by = affine(pose, size, (values.shape[1], values.shape[0]))
    matrix = np.array([[ax, 0.0, bx], [0.0, ay, by]], np.float64)
    return cv2.warpAffine(values, matrix, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def grid(width: int, height: int, columns: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample points of a coarse grid, placed where cv2.resize expects them when it enlarges
    the grid to full size: sample i at (i + 0.5) * size / count - 0.5."""
    xs = ((np.arange(columns) + 0.5) * width / columns - 0.5).astype(np.float32)
    ys = ((np.arange(rows) + 0.5) * height / rows - 0.5).astype(np.float32)
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy


def ellipse_falloff(gx: np.ndarray, gy: np.ndarray, width: int, height: int) -> np.ndarray:
    """1 in the middle, 0 on and outside the ellipse inscribed in the frame, smooth between:
    displacements fade out before the frame's edge, so no edge is ever revealed."""
    r2 = ((gx + 0.5 - width / 2) / (width / 2)) ** 2 + ((gy + 0.5 - height / 2) / (height / 2)) ** 2
    return np.where(r2 < 1.0, (1.0 - r2) ** 2, 0.0).astype(np.float32)


def _depth_field(depth: np.ndarray, columns: int, rows: int) -> np.ndarray:
    field = cv2.resize(depth.astype(np.float32), (columns, rows), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(field, (0, 0), max(0.5, DEPTH_BLUR * math.hypot(columns, rows)))


def _normalised(field: np.ndarray, reference: np.ndarray) -> np.ndarray:
    far, near = np.quantile(reference, 0.1), np.quantile(reference, 0.9)
    return np.clip((field - far) / max(0.05, float(near - far)), 0.0, 1.0).astype(np.float32)


def rigid_cover(matte: np.ndarray, columns: int, rows: int) -> np.ndarray:
    """How much of each grid point belongs to the rigid subject: 1 on the matte and
    RIGID_GROW beyond it, falling smoothly to 0 over RIGID_FEATHER depth-blur widths
    further out (never inside it).

    Made at the matte's own size (a distance transform of the outside, then smoothstep)
    and area-resized to the grid, so a subject a grid cell thin still registers."""
    h, w = matte.shape
    outside = cv2.distanceTransform((matte == 0).astype(np.uint8), cv2.DIST_L2, 5)
    reach = RIGID_FEATHER * DEPTH_BLUR * math.hypot(w, h)
    grow = RIGID_GROW * max(h, w)
    t = np.clip((outside - grow) / reach, 0.0, 1.0)
    cover = 1.0 - t * t * (3.0 - 2.0 * t)
    return cv2.resize(cover.astype(np.float32), (columns, rows), interpolation=cv2.INTER_AREA)


def near_weight(depth: np.ndarray, columns: int, rows: int) -> np.ndarray:
    """0 for the farthest tenth of the picture, 1 for the nearest tenth, smooth between."""
    field = _depth_field(depth, columns, rows)
    return _normalised(field, field)


@dataclass(frozen=True)
class LayerWeights:
    """The background layer's near weights on a grid, and where the foreground is (whose
    weight is 1: it is the plane that parallax is measured at, subject_displacement)."""

    background: np.ndarray  # per grid point, from the depth without the subject
    cover: np.ndarray  # the subject's share of each grid cell, 0..1


def layer_weights(depth: np.ndarray, matte: np.ndarray, columns: int,
                  rows: int) -> LayerWeights:
    """Near weights of the background and the foreground layer: the subject's is 1 (it is
    the plane parallax is measured at), the background's on near_weight's scale (its
    quantiles), so a layered shot moves like the single field would away from the subject."""
    field = _depth_field(depth, columns, rows)
    cover = cv2.resize(matte.astype(np.float32), (columns, rows), interpolation=cv2.INTER_AREA)
    # the background's depth where the subject stands: filled from around the subject by a
    # normalised convolution (a smooth guess; only its smoothness matters, nothing shows it)
    h, w = depth.shape
    grow = max(3, round(max(h, w) / 40)) | 1
    keep = 1.0 - cv2.dilate(matte.astype(np.uint8), np.ones((grow, grow), np.uint8)).astype(
        np.float32)
    sigma = max(h, w) / 20
    weight = cv2.GaussianBlur(keep, (0, 0), sigma)
    spread = cv2.GaussianBlur(depth.astype(np.float32) * keep, (0, 0), sigma)
    filled = np.where(keep > 0, depth, spread / np.maximum(weight, 1e-4)).astype(np.float32)
    if keep.sum() < 1:  # the subject is the whole picture: nothing to fill from
        filled = depth.astype(np.float32)
    background = _normalised(_depth_field(filled, columns, rows), field)
    # Parallax is measured against the subject: it is the plane a shot's parallax terms
    # move exactly (weight 1, subject_displacement), the background by its own nearness.
    return LayerWeights(background=background, cover=cover)


@dataclass(frozen=True)
class RigidSubject:
    """A trusted subject that the single field moves as one piece (subject_displacement):
    where it is on the grid (rigid_cover), and the field without it (the background's)."""

    cover: np.ndarray  # float32 0..1 per grid point, where the photo has it (frame 0)
    background: np.ndarray  # the near weight with the subject taken out (layer_weights)


def rigid_subject(depth: np.ndarray, matte: np.ndarray, columns: int,
                  rows: int) -> RigidSubject:
    """The subject of `matte` (0/1, any size) on a (columns, rows) grid, as one object at
    one distance. The depth proxy ramps with the vertical position, and the field's blur
    mixes a thin subject with the background beside it, so without this a tall subject's
    top gets less parallax than its foot and it visibly bends on a truck or an orbit.

    Around it the field is the background's (the depth with the subject filled from its
    surroundings): the subject's own nearness does not leak into the background beside
    it through the blur, so the handover from the subject's weight happens within the
    cover's feather alone and the background past it keeps its own parallax."""
    weights = layer_weights(depth, matte, columns, rows)
    return RigidSubject(cover=rigid_cover(matte, columns, rows),
                        background=weights.background)


def has_parallax(pose: Pose, near: np.ndarray | None) -> bool:
    return near is not None and pose.parallax


def anchor_on_screen(pose: Pose, size: tuple[int, int],
                     anchor: tuple[float, float]) -> tuple[float, float]:
    """Where the subject's anchor (a photo point, normalised) is on screen at `pose`, in
    output pixels: moved by the camera's window and by the subject's own shifts. Depth
    zooms scale about it, so a subject shrinks, grows or holds its size in place."""
    width, height = size
    shift = camera_shift(pose.zoom, pose.cx, pose.cy, anchor)
    return ((anchor[0] + shift[0] + pose.lateral[0] + pose.held[0]) * width - 0.5,
            (anchor[1] + shift[1] + pose.lateral[1] + pose.held[1]) * height - 0.5)


def _displace(pose: Pose, gx: np.ndarray, gy: np.ndarray, near: np.ndarray | float,
              falloff: np.ndarray | float, size: tuple[int, int],
              centre: tuple[float, float], own: np.ndarray | float
              ) -> tuple[np.ndarray, np.ndarray]:
    """The displacement for things of nearness `near` (1: the subject): the lateral shift
    in full (the camera made room for it), the held shift and the depth zoom faded by
    `falloff` toward the frame's edge, and the subject's own held zoom by `own` (1 on the
    subject, 0 on the background where a subject is drawn apart, else `near * falloff`)."""
    width, height = size
    dx = np.zeros_like(gx)
    dy = np.zeros_like(gy)
    # Near things shift further: sample against the shift.
    shift_x = pose.lateral[0] * near + pose.held[0] * near * falloff
    shift_y = pose.lateral[1] * near + pose.held[1] * near * falloff
    if pose.lateral[0] or pose.held[0]:
        dx -= shift_x * width
    if pose.lateral[1] or pose.held[1]:
        dy -= shift_y * height
    if pose.depth_zoom or pose.held_zoom:
        fx, fy = centre
        shrink = np.exp(-pose.depth_zoom * near * falloff - pose.held_zoom * own) - 1.0
        dx += (gx - fx) * shrink
        dy += (gy - fy) * shrink
    return dx, dy


def _turned(pose: Pose, gx: np.ndarray, gy: np.ndarray, size: tuple[int, int],
            centre: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Where each output point was on the subject's plane before the plane turned by
    pose.turn about the vertical through `centre` (output px): the inverse of the
    perspective map x' = x cos(a) / (1 - s x), y' = y / (1 - s x), s = sin(a) / D, with the
    plane D = one frame width from the camera. A positive turn brings the plane's right
    side nearer (it grows) and takes the left away, as orbiting right shows it."""
    if pose.turn == 0.0:
        return gx, gy
    cx, cy = centre
    slope = math.sin(pose.turn) / size[0]
    x, y = gx - cx, gy - cy
    flat = x / (math.cos(pose.turn) + slope * x)
    return cx + flat, cy + y * (1.0 - slope * flat)


def subject_displacement(pose: Pose, gx: np.ndarray, gy: np.ndarray, size: tuple[int, int],
                         anchor: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """The subject's map: weight 1 everywhere and no falloff, so the subject is moved by one
    similarity (the camera's, then its parallax shift and its depth zoom about its anchor)
    and, on an orbit, turned a little in perspective: it never bends, which a dolly zoom's
    held size and a pull-out's receding subject need exactly."""
    centre = anchor_on_screen(pose, size, anchor)
    tx, ty = _turned(pose, gx, gy, size, centre)
    dx, dy = _displace(pose, tx, ty, 1.0, 1.0, size, centre, 1.0)
    return tx + dx - gx, ty + dy - gy


def displacement(pose: Pose, gx: np.ndarray, gy: np.ndarray, near: np.ndarray | None,
                 falloff: np.ndarray, size: tuple[int, int],
                 anchor: tuple[float, float],
                 rigid: RigidSubject | None = None) -> tuple[np.ndarray, np.ndarray]:
    """How far each grid point looks away from itself, in output pixels, before the affine.

    With a `rigid` subject, the grid points that show it take the subject's own map
    (subject_displacement) and the others the background's (the depth proxy with the
    subject filled in from its surroundings), blended by the subject's cover. The field
    follows the camera: the background's near weight and the subject's cover (maps of the
    photo, on the grid) are read at the photo point each grid point shows, through the
    camera's window (`affine`) and, for the cover, the subject's own map. That is exact
    for a rigid subject however far the camera has zoomed or travelled; reading the maps
    in place would put the subject where it stood in frame 0."""
    if near is None:
        return np.zeros_like(gx), np.zeros_like(gy)
    centre = anchor_on_screen(pose, size, anchor)
    if rigid is None:
        return _displace(pose, gx, gy, near, falloff, size, centre, near * falloff)
    rows, columns = rigid.cover.shape
    ax, bx, ay, by = affine(pose, size, (columns, rows))

    def read(values: np.ndarray, dx: np.ndarray | float, dy: np.ndarray | float,
             ) -> np.ndarray:
        at_x = ((gx + dx) * ax + bx).astype(np.float32)
        at_y = ((gy + dy) * ay + by).astype(np.float32)
        return np.asarray(cv2.remap(values, at_x, at_y, cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE))

    sx, sy = subject_displacement(pose, gx, gy, size, anchor)
    cover = read(rigid.cover, sx, sy)
    bx_, by_ = _displace(pose, gx, gy, read(rigid.background, 0.0, 0.0), falloff, size,
                         centre, 0.0)
    return bx_ + cover * (sx - bx_), by_ + cover * (sy - by_)


def affine(pose: Pose, size: tuple[int, int],
           source: tuple[int, int]) -> tuple[float, float, float, float]:
    """Output pixel -> source pixel for a source of `source` size: x_src = ax * x + bx."""
    out_w, out_h = size
    src_w, src_h = source
    ax = src_w / (out_w * pose.zoom)
    ay = src_h / (out_h * pose.zoom)
    bx = (pose.cx - 0.5 / pose.zoom) * src_w + 0.5 * ax - 0.5
    by = (pose.cy - 0.5 / pose.zoom) * src_h + 0.5 * ay - 0.5
    return ax, bx, ay, by


class MotionProbe:
    """Predicts the on-screen motion of a shot from its poses alone, no pixels rendered.

    A sparse grid of output points is followed through the model: the photo point each one
    shows at frame t, and how far that point has moved on screen by frame t+1. The result
    is the mean speed in percent of the frame diagonal per second, the unit of the
    movement_amplitude bands. With a `matte` the shot is layered, as the renderer draws it:
    grid points on the subject follow the foreground's map, the others the background's.
    Without one, `rigid` is the subject the single field moves as one piece (rigid_subject).
    """

    def __init__(self, size: tuple[int, int], depth: np.ndarray | None,
                 anchor: tuple[float, float], columns: int = 24,
                 matte: np.ndarray | None = None, rigid: np.ndarray | None = None) -> None:
        """`anchor`: the subject's point that depth zooms scale about (MotionPlan.anchor)."""
        width, height = size
        rows = max(2, round(columns * height / width))
        self.size, self.anchor = size, anchor
        self.gx, self.gy = grid(width, height, columns, rows)
        self.falloff = ellipse_falloff(self.gx, self.gy, width, height)
        self.near: np.ndarray | None = None
        self.layered = False  # True: the foreground layer has a map of its own
        self.cover: np.ndarray | None = None
        self.rigid: RigidSubject | None = None
        if depth is not None and matte is not None and matte.any():
            weights = layer_weights(depth, matte, columns, rows)
            self.near = weights.background
            self.layered = True
            self.cover = weights.cover > 0.5
        elif depth is not None:
            self.near = near_weight(depth, columns, rows)
            if rigid is not None and rigid.any():
                self.rigid = rigid_subject(depth, rigid, columns, rows)

    def photo_points(self, pose: Pose, subject: bool = False,
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Normalised photo coordinates that the grid points show under `pose`, through the
        background's (or the single) map, or with `subject` the foreground layer's."""
        dx: np.ndarray | float = 0.0
        dy: np.ndarray | float = 0.0
        if has_parallax(pose, self.near):
            if subject:
                dx, dy = subject_displacement(pose, self.gx, self.gy, self.size, self.anchor)
            else:
                dx, dy = displacement(pose, self.gx, self.gy, self.near, self.falloff,
                                      self.size, self.anchor, self.rigid)
        ax, bx, ay, by = affine(pose, self.size, (1, 1))
        return (self.gx + dx) * ax + bx + 0.5, (self.gy + dy) * ay + by + 0.5

    def _moved(self, poses: list[Pose], subject: bool = False) -> list[np.ndarray]:
        """Per step, how far (output px) each grid point's photo point moved on screen.

        The photo point a grid point shows at frame t is found at frame t+1 where the next
        pose shows it: one Newton step through the next pose's local Jacobian, which is
        exact for the affine part and accurate for the smooth displacement.
        """
        step_x = float(self.gx[0, 1] - self.gx[0, 0])
        step_y = float(self.gy[1, 0] - self.gy[0, 0])
        steps = []
        previous = self.photo_points(poses[0], subject)
        for pose in poses[1:]:
            current = self.photo_points(pose, subject)
            # Jacobian of output pixel -> photo coordinates, per grid point.
            xx = np.gradient(current[0], step_x, axis=1)
            xy = np.gradient(current[0], step_y, axis=0)
            yx = np.gradient(current[1], step_x, axis=1)
            yy = np.gradient(current[1], step_y, axis=0)
            det = xx * yy - xy * yx
            # Where a map squeezes hard or folds (the planner's guard is still to find
            # out, MotionEngine.plan) the inverse explodes: bound the determinant at a
            # quarter of the camera's own, so one fold cannot pass for a fast shot.
            width, height = self.size
            floor = 0.25 / (width * height * pose.zoom * pose.zoom)
            det = np.where(det < 0, -1.0, 1.0) * np.maximum(np.abs(det), floor)
            ex, ey = previous[0] - current[0], previous[1] - current[1]
            steps.append(np.hypot((yy * ex - xy * ey) / det, (-yx * ex + xx * ey) / det))
            previous = current
        return steps

    def speed(self, poses: list[Pose], fps: int) -> float:
        """Mean on-screen speed, % of the diagonal per second."""
        width, height = self.size
        diagonal = math.hypot(width, height)
        steps = self._moved(poses)
        if self.layered and self.cover is not None:
            steps = [np.where(self.cover, front, back) for front, back in
                     zip(self._moved(poses, subject=True), steps, strict=True)]
        total = sum(float(moved.mean()) for moved in steps)
        return total / max(1, len(poses) - 1) * fps / diagonal * 100.0

    def min_stretch(self, poses: list[Pose]) -> float:
        """The smallest local stretch of the shot's maps over `poses`: photo distance per
        output distance between neighbouring grid points, along x and along y, relative to
        the camera's own (1 without parallax, 0 where the map folds back on itself, which
        would show content mirrored). With layers, each layer's map on its own."""
        width, height = self.size
        step_x = float(self.gx[0, 1] - self.gx[0, 0])
        step_y = float(self.gy[1, 0] - self.gy[0, 0])
        smallest = 1.0
        for pose in poses:
            if not has_parallax(pose, self.near):
                continue
            for subject in ((False, True) if self.layered else (False,)):
                px, py = self.photo_points(pose, subject)
                sx = np.diff(px, axis=1) * width * pose.zoom / step_x
                sy = np.diff(py, axis=0) * height * pose.zoom / step_y
                smallest = min(smallest, float(sx.min()), float(sy.min()))
        return smallest

    def reveal(self, poses: list[Pose]) -> float:
        """The largest distance (px of the photo at output size) between what the
        foreground and the background layer show at one output point near the subject,
        over the shot: how deep into the subject the background can ever be seen.
        0 without layers."""
        if not self.layered or self.cover is None:
            return 0.0
        near_subject = cv2.dilate(self.cover.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        width, height = self.size
        largest = 0.0
        for pose in poses:
            if not has_parallax(pose, self.near):
                continue
            bx, by = self.photo_points(pose)
            fx, fy = self.photo_points(pose, subject=True)
            apart = np.hypot((bx - fx) * width, (by - fy) * height)[near_subject]
            largest = max(largest, float(apart.max()))
        return largest
