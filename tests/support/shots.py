"""How a viewer judges a camera move, measured on frames: photos, and the measurements.

Two sets of real photos. DEVELOPMENT photos (scikit-image's) are the ones the motion
engine's constants were tuned on. HELD_OUT photos ship with other well-known packages
(scikit-learn's `china.jpg` and `flower.jpg`, matplotlib's `grace_hopper.jpg`); nothing in
the engine was tuned on them, and tests and benches report them apart.

Each photo carries a hand-drawn box around its subject (normalised left, top, right,
bottom), so the measurements never borrow the engine's own matte: points tracked inside
the box are "the subject", points well outside it "the background".

The measurements:
- `burst_ratio`: the fastest half-second's mean optical-flow speed over the clip's mean
  (a punch-in at the start of a shot shows as a high ratio).
- `group_motion`: a similarity (scale, shift) fitted per frame to Lucas-Kanade tracks of the
  subject's points and of the background's, from frame 0: whether the subject shrinks,
  holds its size, or slides against the background.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data as skdata

# normalised (left, top, right, bottom) boxes around each photo's subject, drawn by hand
DEVELOPMENT = {
    "astronaut": (0.36, 0.08, 0.66, 0.45),  # her face and helmet-free hair
    "chelsea": (0.30, 0.15, 0.70, 0.80),  # the cat's head
    "coffee": (0.25, 0.12, 0.80, 0.75),  # the cup
    "rocket": (0.38, 0.08, 0.58, 0.85),  # the rocket on its pad
    "camera": (0.25, 0.08, 0.62, 0.60),  # the man and his camera
}
HELD_OUT = {
    "china": (0.10, 0.06, 0.58, 0.95),  # the pagoda
    "flower": (0.27, 0.22, 0.70, 0.83),  # the dahlia
    "grace_hopper": (0.30, 0.05, 0.72, 0.50),  # her face and cap
}
_HELD_OUT_FILES = {
    "china": ("sklearn", "datasets/images/china.jpg"),
    "flower": ("sklearn", "datasets/images/flower.jpg"),
    "grace_hopper": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
}
_DIS = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)  # type: ignore[attr-defined]


def held_out_path(name: str) -> Path:
    """The file a held-out photo ships as, found without importing its package."""
    package, relative = _HELD_OUT_FILES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"{package} is not installed (the test extra installs it)")
    return Path(next(iter(spec.submodule_search_locations))) / relative


def real_photo(name: str) -> np.ndarray:
    """A development or held-out photo as 8-bit RGB."""
    if name in _HELD_OUT_FILES:
        return np.asarray(Image.open(held_out_path(name)).convert("RGB"))
    image = getattr(skdata, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3].astype(np.uint8))


def subject_box(name: str) -> tuple[float, float, float, float]:
    return {**DEVELOPMENT, **HELD_OUT}[name]


def gray(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def flow_speeds(frames: list[np.ndarray], stride: int = 1) -> np.ndarray:
    """Mean DIS flow magnitude between frames `stride` apart, px per frame."""
    return np.array([float(np.linalg.norm(_DIS.calc(gray(frames[i]), gray(frames[i + stride]),
                                                    None), axis=-1).mean()) / stride
                     for i in range(0, len(frames) - stride, stride)])


def burst_ratio(frames: list[np.ndarray], fps: int = 24, stride: int = 1) -> float:
    """The fastest half-second's mean speed over the whole clip's mean speed (flow between
    frames `stride` apart: 2 halves the cost and measures sub-pixel motion better)."""
    speeds = flow_speeds(frames, stride)
    window = max(1, fps // 2 // stride)
    means = np.convolve(speeds, np.ones(window) / window, mode="valid")
    return float(means.max() / max(1e-9, speeds.mean()))


@dataclass(frozen=True)
class GroupMotion:
    """A tracked group's similarity from frame 0, per frame: its scale about `origin` (the
    frame-0 centroid of the points fitted at that frame) and that centroid's shift, px."""

    scale: np.ndarray
    shift: np.ndarray  # frames x 2
    origin: np.ndarray  # frames x 2
    points: int

    @property
    def centroid(self) -> np.ndarray:
        """Where the group is (frame 0), as its last fit saw it."""
        return np.asarray(self.origin[-1])

    def moves(self, point: np.ndarray, frame: int = -1) -> np.ndarray:
        """Where this group's similarity takes `point` (px, frame 0) by `frame`, less the
        point: the motion the group implies there."""
        return (self.scale[frame] - 1.0) * (point - self.origin[frame]) + self.shift[frame]


def _track(frames: list[np.ndarray], points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lucas-Kanade tracks from frame 0 (frames x points x 2), and per frame which points
    have held on every step so far (forward-backward error under 1 px): a point that
    leaves the frame, or is lost, stops counting from then on."""
    tracks = [points]
    good = np.ones(len(points), bool)
    alive = [good.copy()]
    for a, b in itertools.pairwise(frames):
        ga, gb = gray(a), gray(b)
        forward, ok1, _ = cv2.calcOpticalFlowPyrLK(ga, gb, points, None, winSize=(21, 21),
                                                   maxLevel=3)
        back, ok2, _ = cv2.calcOpticalFlowPyrLK(gb, ga, forward, None, winSize=(21, 21),
                                                maxLevel=3)
        error = np.linalg.norm((back - points).reshape(-1, 2), axis=1)
        good &= (ok1.ravel() == 1) & (ok2.ravel() == 1) & (error < 1.0)
        points = forward
        tracks.append(forward)
        alive.append(good.copy())
    return np.stack([t.reshape(-1, 2) for t in tracks]), np.stack(alive)


def _fit(start: np.ndarray, now: np.ndarray) -> tuple[float, np.ndarray]:
    """Scale and centroid shift of a similarity mapping `start` onto `now` (least squares:
    the ratio of the groups' spreads about their centroids)."""
    c0, c1 = start.mean(0), now.mean(0)
    spread0 = float(np.sqrt(((start - c0) ** 2).sum(1).mean()))
    spread1 = float(np.sqrt(((now - c1) ** 2).sum(1).mean()))
    return spread1 / max(1e-9, spread0), c1 - c0


MIN_POINTS = 6


def group_motion(frames: list[np.ndarray], box: tuple[float, float, float, float],
                 inside: bool) -> GroupMotion:
    """Track corners inside the subject's box (shrunk by a fifth, so its edge is left
    out) or outside it (grown by a fifth of the frame, and above the box's bottom: the
    far background), and fit their motion per frame on the points still tracked."""
    h, w = frames[0].shape[:2]
    left, top, right, bottom = box
    mask = np.zeros((h, w), np.uint8)
    if inside:
        mx, my = (right - left) * 0.2, (bottom - top) * 0.2
        mask[round((top + my) * h):round((bottom - my) * h),
             round((left + mx) * w):round((right - mx) * w)] = 255
    else:
        mask[:] = 255
        grow = 0.2
        mask[max(0, round((top - grow) * h)):round((bottom + grow) * h),
             max(0, round((left - grow) * w)):round((right + grow) * w)] = 0
        # nothing below the subject's foot: the ground in front of it is as near as it
        mask[round(bottom * h):] = 0
        edge = round(0.04 * min(w, h))  # the frame's own border is the least reliable
        mask[:edge], mask[-edge:], mask[:, :edge], mask[:, -edge:] = 0, 0, 0, 0
    corners = cv2.goodFeaturesToTrack(gray(frames[0]), 200, 0.005, 5, mask=mask)
    if corners is None or len(corners) < MIN_POINTS:
        raise ValueError("too few corners to track in the region")
    tracks, alive = _track(frames, corners.astype(np.float32))
    if alive[-1].sum() < MIN_POINTS:
        raise ValueError("too few corners survived tracking")
    scales, shifts, origins = [], [], []
    for i in range(len(frames)):
        start, now = tracks[0][alive[i]], tracks[i][alive[i]]
        scale, shift = _fit(start, now)
        scales.append(scale)
        shifts.append(shift)
        origins.append(start.mean(0))
    return GroupMotion(scale=np.array(scales), shift=np.stack(shifts),
                       origin=np.stack(origins), points=int(alive[-1].sum()))


def parallax_shift(subject: GroupMotion, background: GroupMotion) -> np.ndarray:
    """How far the subject moved against the background by the last frame (px): its own
    shift less the shift the background's similarity implies where the subject is. 0 for
    a pan or a zoom, whatever they do to the whole picture."""
    return subject.shift[-1] - background.moves(subject.centroid)


def relative_displacement(subject: GroupMotion, background: GroupMotion) -> float:
    """How far subject and background slid against each other by the last frame, as a
    share of the larger of their two displacements at the subject (0: one rigid picture;
    1: one of them stood still while the other moved)."""
    own = float(np.linalg.norm(subject.shift[-1]))
    carried = float(np.linalg.norm(background.moves(subject.centroid)))
    return float(np.linalg.norm(parallax_shift(subject, background))) / max(own, carried, 1e-9)


def camera_shift(background: GroupMotion, frames: list[np.ndarray]) -> np.ndarray:
    """The background's motion at the frame's centre by the last frame (px): which way
    the picture went, a zoom's radial part left out."""
    h, w = frames[0].shape[:2]
    return background.moves(np.array([w / 2, h / 2]))


def diagonal(frames: list[np.ndarray]) -> float:
    h, w = frames[0].shape[:2]
    return math.hypot(w, h)
