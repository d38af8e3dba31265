"""Where things that move in reality are in a photo, and what must never bend: weight-free.

Local motion (living.py) moves a region only where a person would agree it is that thing,
and never bends what is rigid, whatever the prompt asks:

* **sky**: smooth (little fine detail) and joined, without a break, to the top of the
  picture; not the subject, not vegetation.
* **water**: low in the frame, below a horizon, smooth, with the horizontal streaks of
  reflections and ripples, mirroring the sky's colour or blue. Conservative on purpose: a
  missed lake stays still, a wrong guess shimmers a floor or a coat.
* **vegetation**: green in chromaticity (the excess-green index 2g - r - b of normalised
  rgb, as crop and plant imaging uses), or textured and yellow-green to dark-green, and
  not sky. Not "textured and away from the subject": a facade is textured too.
* **hair**: around a face (OpenCV's Haar cascades, shipped with it), a head-sized
  ellipse above the mouth less the face itself, where it is textured. No face, no hair:
  a pagoda's spire is not hair.
* **fire**: bright, saturated, warm (red to yellow) pixels, grown a little.
* **rigid**: long straight edges (OpenCV's line segment detector, at REGION_SIZE) grown
  by a band, the subject's matte and the faces: a warp's mask is multiplied by 1 - rigid,
  so a window frame, a railing, a mast, a bus roof or a face never bends.

Every mask is float32 0..1 at the analysis size (scene.ANALYSIS_SIZE on the long side),
the same grid as the scene's matte and depth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from stillmotion.engines.motion.scene import Analysis

REGION_SIZE = 480  # straight edges are found at this size (long side): finer than analysis
LINE_MIN = 0.06  # a straight edge at least this long (of the long side) is structure
LINE_BAND = 0.012  # ... protected this far either side (of the long side, ~3 px at 240)
LEVEL_DEGREES = 12  # water protects only straight edges steeper than this
EXG_GREEN = (0.04, 0.12)  # excess green (2g - r - b, chromaticity) from not to surely green
FINE_OVER_FLOOR = 4.0  # detail this many times a region's median counts as something in it
FACE_SIZE = 360  # faces are looked for at this size (long side): 50 ms a cascade at 480
FACE_MIN = 0.055  # the smallest face looked for, of the long side (20 px at FACE_SIZE)
FEATHER = 1 / 60  # masks are softened by a Gaussian this wide, of the long side


def smoothstep(edge0: float, edge1: float, x: np.ndarray | float) -> np.ndarray:
    """0 below edge0, 1 above edge1, Hermite-smooth between (float32)."""
    t = np.clip((np.asarray(x, np.float32) - edge0) / (edge1 - edge0), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


@dataclass(frozen=True)
class Regions:
    """Soft masks (float32 0..1, at analysis size) of what may move and what may not."""

    sky: np.ndarray
    water: np.ndarray
    vegetation: np.ndarray
    hair: np.ndarray
    fire: np.ndarray
    rigid: np.ndarray  # long straight edges and the subject: never deformed
    lines: np.ndarray  # the straight edges alone
    face: np.ndarray  # the faces found (ellipses)
    slanted: np.ndarray  # ... those not level (what water protects)


def straight_edges(image: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Long straight edges of `image` (RGB, any size) as masks at `shape` (h, w): 1 on a
    band LINE_BAND wide either side of each segment at least LINE_MIN long; all of them,
    and those more than LEVEL_DEGREES off the horizontal (a water surface's own streaks
    are level, and a level edge carried along itself by a flow stays straight)."""
    h, w = image.shape[:2]
    scale = min(1.0, REGION_SIZE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    gray = cv2.cvtColor(cv2.resize(image, size, interpolation=cv2.INTER_AREA),
                        cv2.COLOR_RGB2GRAY)
    found = cv2.createLineSegmentDetector().detect(gray)[0]
    rows, columns = shape
    every, slanted = np.zeros(shape, np.uint8), np.zeros(shape, np.uint8)
    if found is None:
        return every.astype(np.float32), slanted.astype(np.float32)
    segments = found.reshape(-1, 4)
    length = np.hypot(segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1])
    segments = segments[length >= LINE_MIN * max(size)]
    thickness = max(1, round(2 * LINE_BAND * max(shape)))
    sx, sy = columns / size[0], rows / size[1]
    for x0, y0, x1, y1 in segments:
        ends = (round(x0 * sx), round(y0 * sy)), (round(x1 * sx), round(y1 * sy))
        cv2.line(every, *ends, 1, thickness, cv2.LINE_8)
        angle = abs(math.degrees(math.atan2(y1 - y0, x1 - x0))) % 180
        if min(angle, 180 - angle) > LEVEL_DEGREES:
            cv2.line(slanted, *ends, 1, thickness, cv2.LINE_8)
    return every.astype(np.float32), slanted.astype(np.float32)


def _texture(gray: np.ndarray, sigma: float) -> np.ndarray:
    """Local detail energy, 0..1 (1 from the picture's 90th percentile up)."""
    lap = cv2.Laplacian(gray, cv2.CV_32F)
    energy = np.sqrt(cv2.GaussianBlur(lap * lap, (0, 0), sigma))
    return np.clip(energy / (float(np.percentile(energy, 90)) + 1e-6), 0.0, 1.0)


def fire_mask(small: np.ndarray) -> np.ndarray:
    """Fire in a photo at analysis size (RGB): bright, saturated, warm (red to yellow)
    pixels, grown a little and softened, 0..1 float32. Alone, without the other regions'
    work, for a smoke plume that rises from it."""
    h, w = small.shape[:2]
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV_FULL).astype(np.float32)
    hue, sat, val = hsv[..., 0] * (360 / 256), hsv[..., 1] / 255, hsv[..., 2] / 255
    warm = (hue < 55) | (hue > 345)
    fire = (warm * smoothstep(0.45, 0.7, sat) * smoothstep(0.7, 0.9, val)).astype(np.float32)
    fire = cv2.GaussianBlur(cv2.dilate(fire, np.ones((3, 3), np.uint8)), (0, 0),
                            max(1.0, max(h, w) * FEATHER))
    return _clip(fire)


def _joined_to_top(smooth: np.ndarray, reach: float) -> np.ndarray:
    """The parts of a smooth mask connected (4-neighbours) to the top `reach` of rows."""
    h = smooth.shape[0]
    count, labels = cv2.connectedComponents((smooth > 0.5).astype(np.uint8), connectivity=4)
    top = np.unique(np.asarray(labels)[: max(1, round(reach * h))])
    top = top[top > 0]
    if count <= 1 or not len(top):
        return np.zeros(smooth.shape, np.float32)
    return np.isin(np.asarray(labels), top).astype(np.float32)


def find_regions(image: np.ndarray, analysis: Analysis, look_for_faces: bool = True) -> Regions:
    """The regions of one photo (RGB, any size) whose scene is `analysis`. Without
    `look_for_faces` (nothing asked of hair, and no warp whose faces need keeping still)
    there is no hair and no face: the cascades are the costliest part."""
    matte = analysis.matte.astype(np.float32)
    h, w = matte.shape
    small = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    feather = max(1.0, max(h, w) * FEATHER)
    rgb = small.astype(np.float32) / 255
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    rows = np.repeat(np.linspace(0, 1, h, dtype=np.float32)[:, None], w, axis=1)
    texture = _texture(gray, feather)
    smooth = 1.0 - smoothstep(0.15, 0.5, texture)
    subject = cv2.GaussianBlur(cv2.dilate(matte, np.ones((5, 5), np.uint8)), (0, 0), feather)
    free = 1.0 - subject

    total = rgb.sum(axis=-1) + 1e-3
    r, g, b = (rgb[..., i] / total for i in range(3))
    exg = 2 * g - r - b
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV_FULL).astype(np.float32)
    hue, sat, val = hsv[..., 0] * (360 / 256), hsv[..., 1] / 255, hsv[..., 2] / 255
    # green by chromaticity, or a dark-to-mid yellow-green/green hue with some colour
    greenish = np.maximum(smoothstep(*EXG_GREEN, exg),
                          smoothstep(0.12, 0.25, sat) * smoothstep(60, 80, hue)
                          * (1.0 - smoothstep(160, 185, hue)) * smoothstep(0.04, 0.12, val))

    # not `free`: a stream's alpha is cut at the subject's own edge at output size, so the
    # sky reaches the hair instead of stopping a band short of it (a static ring that the
    # drifting sky then showed around the head)
    sky = _joined_to_top(smooth * (1.0 - greenish), 0.06) * (1.0 - matte)
    sky = cv2.GaussianBlur(sky, (0, 0), feather)
    sky *= clear_of_fine_structure(gray)

    vegetation = greenish * (0.3 + 0.7 * smoothstep(0.1, 0.4, texture)) * free
    vegetation = cv2.GaussianBlur(vegetation * (1.0 - sky), (0, 0), feather)
    vegetation = smoothstep(0.25, 0.6, vegetation)

    water = _water(small, gray, rows, smooth, feather) * free

    hair, face = _heads((h, w), faces(image) if look_for_faces else [], texture)

    fire = fire_mask(small)

    lines, slanted = straight_edges(image, (h, w))
    # a straight stretch of a tree's own outline is no structure: amid vegetation the
    # edges bend with it (held still, they left a motionless seam that the sway smeared)
    plant = 1.0 - smoothstep(0.4, 0.8, vegetation)
    lines, slanted = lines * plant, slanted * plant
    rigid = np.maximum.reduce([cv2.GaussianBlur(lines, (0, 0), 0.5 * feather) * 1.5, matte,
                               face])
    return Regions(sky=_clip(sky), water=_clip(water), vegetation=_clip(vegetation),
                   hair=hair, fire=fire, rigid=_clip(rigid), lines=lines,
                   face=face, slanted=slanted)


def regions_without_photo(analysis: Analysis) -> Regions:
    """Regions from the scene alone, for callers without the photo: the sky is the far,
    upper part of the depth proxy away from the subject; hair the matte's upper rim; no
    water, vegetation or fire is guessed without colour."""
    matte = analysis.matte.astype(np.float32)
    h, w = matte.shape
    rows = np.repeat(np.linspace(0, 1, h, dtype=np.float32)[:, None], w, axis=1)
    free = 1.0 - cv2.GaussianBlur(cv2.dilate(matte, np.ones((5, 5), np.uint8)), (0, 0),
                                  max(1.0, max(h, w) * FEATHER))
    sky = (1.0 - smoothstep(0.35, 0.62, rows)) * (1.0 - smoothstep(0.3, 0.6, analysis.depth))
    none = np.zeros_like(matte)
    return Regions(sky=_clip(sky * free), water=none, vegetation=none,
                   hair=none, fire=none, rigid=matte, lines=none, face=none, slanted=none)


def faces(image: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Faces in a photo (RGB, any size) as normalised (left, top, width, height): OpenCV's
    Haar cascades, which ship with it, at FACE_SIZE. A frontal face counts only with an
    eye found in its upper part (the cascade alone also fires on patterned things, petals
    among them); a profile, either way round, as found, when no face looks at us."""
    h, w = image.shape[:2]
    scale = min(1.0, FACE_SIZE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    gray = cv2.cvtColor(cv2.resize(image, size, interpolation=cv2.INTER_AREA),
                        cv2.COLOR_RGB2GRAY)
    minimum = (max(12, round(FACE_MIN * max(size))),) * 2
    frontal, profile, eye = (_cascade(name) for name in (
        "haarcascade_frontalface_default.xml", "haarcascade_profileface.xml",
        "haarcascade_eye.xml"))
    found = []
    for x, y, fw, fh in frontal.detectMultiScale(gray, 1.1, 5, minSize=minimum):
        upper = gray[y:y + fh * 2 // 3, x:x + fw]
        if len(eye.detectMultiScale(upper, 1.1, 3)):
            found.append((x, y, fw, fh))
    for flipped in (False, True) if not found else ():  # profiles, where none faces us
        view = cv2.flip(gray, 1) if flipped else gray
        for x, y, fw, fh in profile.detectMultiScale(view, 1.1, 5, minSize=minimum):
            found.append((size[0] - x - fw if flipped else x, y, fw, fh))
    return [(float(x) / size[0], float(y) / size[1], float(fw) / size[0], float(fh) / size[1])
            for x, y, fw, fh in found]


def _cascade(name: str) -> cv2.CascadeClassifier:
    """One of OpenCV's shipped Haar cascades, loaded once."""
    if name not in _CASCADES:
        shipped: Any = cv2.data  # type: ignore[attr-defined]  # absent from the stubs
        _CASCADES[name] = cv2.CascadeClassifier(str(Path(shipped.haarcascades) / name))
    return _CASCADES[name]


_CASCADES: dict[str, cv2.CascadeClassifier] = {}


def _heads(shape: tuple[int, int], found: list[tuple[float, float, float, float]],
           texture: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hair, face) masks at `shape` for the faces found: the face is the ellipse of its
    box; the hair a head-sized ellipse around it, above the mouth, less the face, where
    it is textured."""
    h, w = shape
    hair = np.zeros(shape, np.float32)
    face = np.zeros(shape, np.float32)
    for left, top, fw, fh in found:
        cx, cy = (left + fw / 2) * w, (top + fh / 2) * h
        rx, ry = fw / 2 * w, fh / 2 * h
        head = np.zeros(shape, np.uint8)
        cv2.ellipse(head, (round(cx), round(cy - 0.15 * ry)),
                    (round(1.55 * rx), round(1.5 * ry)), 0, 0, 360, 1, -1)
        inner = np.zeros(shape, np.uint8)
        cv2.ellipse(inner, (round(cx), round(cy + 0.05 * ry)), (round(0.8 * rx), round(1.0 * ry)),
                    0, 0, 360, 1, -1)
        head[round(cy + 0.45 * ry):] = 0  # above the mouth: hair, not the collar
        hair = np.maximum(hair, (head * (1 - inner)).astype(np.float32)).astype(np.float32)
        face = np.maximum(face, inner.astype(np.float32)).astype(np.float32)
    feather = max(1.0, max(h, w) * FEATHER)
    textured = hair * (0.2 + 0.8 * smoothstep(0.2, 0.6, texture))
    return _clip(cv2.GaussianBlur(textured, (0, 0), feather)), face


def clear_of_fine_structure(gray: np.ndarray, within: np.ndarray | None = None) -> np.ndarray:
    """0 on and two pixels around fine detail (masts, wires, branches against the sky), 1
    elsewhere (gray 0..1, any size): the sky's region leaves such things out at analysis
    size, and a stream's alpha again at output size, where a lattice too fine for the
    analysis still shows. Detail counts from 0.35 of the picture's 90th percentile of
    detail energy, or, given the region it is looked for `within`, from FINE_OVER_FLOOR
    times that region's median if lower: a dark lattice on a night sky is faint beside the
    lights of the same photo, yet far above the sky's own grain."""
    lap = cv2.Laplacian(gray, cv2.CV_32F)
    fine = np.sqrt(cv2.GaussianBlur(lap * lap, (0, 0), 1.0))
    threshold = 0.35 * float(np.percentile(fine, 90))
    if within is not None and within.any():
        threshold = min(threshold, FINE_OVER_FLOOR * float(np.median(fine[within])))
    fine = fine / (threshold / 0.35 + 1e-6)
    structure = cv2.dilate((fine > 0.35).astype(np.uint8),
                           cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    return (1.0 - cv2.GaussianBlur(structure.astype(np.float32), (0, 0), 1.0)).astype(np.float32)


def _clip(mask: np.ndarray) -> np.ndarray:
    return np.clip(mask, 0.0, 1.0).astype(np.float32)


def _water(small: np.ndarray, gray: np.ndarray, rows: np.ndarray, smooth: np.ndarray,
           feather: float) -> np.ndarray:
    """Water, guessed conservatively: low in the frame, smooth, streaked horizontally,
    mirroring the sky's colour (CIELAB as OpenCV scales it, 8-bit) or blue, and below a
    horizon (smooth ground that runs on unbroken into the top of the picture is a sky, a
    wall or a blurred backdrop seen low in the frame, not water)."""
    h = gray.shape[0]
    gx = cv2.GaussianBlur(np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0)), (0, 0), feather)
    gy = cv2.GaussianBlur(np.abs(cv2.Sobel(gray, cv2.CV_32F, 0, 1)), (0, 0), feather)
    horizontal = np.clip((gy - gx) / (gx + gy + 0.02) * 2, 0, 1)
    rgb = small.astype(np.float32) / 255
    blue = np.clip((rgb[..., 2] - np.maximum(rgb[..., 0], rgb[..., 1]) + 0.02) * 6, 0, 1)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    sky = np.median(lab[: max(1, round(0.15 * h))].reshape(-1, 3), axis=0)
    distance = np.linalg.norm(lab - sky, axis=-1)
    mirrors_sky = np.maximum(1.0 - smoothstep(12.0, 30.0, distance), blue)
    open_to_top = cv2.GaussianBlur(_joined_to_top(smooth, 0.08), (0, 0), feather)
    water = np.minimum(1.0, 2.0 * smoothstep(0.45, 0.68, rows) * horizontal * mirrors_sky
                       * (1.0 - open_to_top))
    # not through fine detail (a mast, a rope, fur): at analysis size a lake's own ripples
    # are smoother than that
    return cv2.GaussianBlur(water.astype(np.float32), (0, 0), feather) \
        * clear_of_fine_structure(gray)
