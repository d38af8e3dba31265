"""Step 2b, the layers: a feathered foreground matte and a background plate, once per task.

The foreground is the photo itself under a soft alpha: the scene's hard GrabCut matte,
enlarged to the output size, snapped to the photo's edges by a guided filter and
feathered by a pixel or two. The background plate is the photo with the foreground
removed, but only as deep as the shot can ever show: parallax moves the subject against
the background by at most `reveal` pixels (MotionProbe.reveal), so only the band of the
subject within that distance of its silhouette is inpainted (Telea, at reduced size, the
fill enlarged into the band alone). A whole-subject fill smears; a band fill is only ever
seen as a sliver beside the subject. Every pixel where alpha < 1 keeps the photo's value
in the plate, so alpha * photo + (1 - alpha) * plate is the photo exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MATTE_RADIUS = 1 / 160  # the guided filter's window, of the output's long side
MATTE_EPS = 2e-3  # its regularisation (guide in 0..1): edges stronger than ~0.045 snap
FEATHER = 1 / 900  # the filtered matte is softened by a Gaussian this wide, of the long
# side (~1.4 px at 720p), then mapped to alpha: 1 from SOLID up, 0 from CLEAR down. Both sit
# below 0.5, so the alpha reaches a little past the matte's edge: the photo's pixels that
# stay in the plate (alpha < 1) are mostly background, and a subject's edge pixel is rarely
# left behind as a ghost outline when the subject moves off.
SOLID = 0.45
CLEAR = 0.15
REVEAL_MARGIN = 6  # px added to the largest reveal (feather, bilinear footprint, rounding)
FILL_SIZE = 480  # the band is inpainted at most this large on the long side
FILL_RADIUS = 4  # Telea's neighbourhood at the fill size


@dataclass(frozen=True)
class Layers:
    """The two layers at one size: alpha * foreground + (1 - alpha) * plate is the photo."""

    alpha: np.ndarray  # float32 0..1 in steps of 1/255, exactly 1 inside the subject
    foreground: np.ndarray  # RGB uint8: the photo, its feather unmixed from the background
    plate: np.ndarray  # RGB uint8: the photo with the revealable band of the subject filled
    band: np.ndarray  # bool: where the plate may differ from the photo (inside alpha > 0)


def feathered_alpha(image: np.ndarray, matte: np.ndarray) -> np.ndarray:
    """The hard matte (any size, 0/1) as a soft alpha at the image's size."""
    h, w = image.shape[:2]
    hard = cv2.resize(matte.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    guide = image.astype(np.float32) * np.float32(1 / 255)
    radius = max(2, round(max(w, h) * MATTE_RADIUS))
    soft = cv2.ximgproc.guidedFilter(guide, hard, radius, MATTE_EPS)
    soft = cv2.GaussianBlur(soft, (0, 0), max(0.5, max(w, h) * FEATHER))
    alpha = np.clip((soft - CLEAR) / (SOLID - CLEAR), 0.0, 1.0)
    return (np.rint(alpha * 255) * np.float32(1 / 255)).astype(np.float32)


def _fill(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """`image` with `hole` inpainted (Telea), computed at most FILL_SIZE on the long side
    and enlarged back: only its values inside the hole are meant to be used."""
    h, w = image.shape[:2]
    scale = min(1.0, FILL_SIZE / max(h, w))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        small_hole = cv2.resize(hole.astype(np.uint8), size, interpolation=cv2.INTER_AREA)
        # grown by a pixel, so that enlarging the fill never mixes in the subject's colour
        small_hole = cv2.dilate((small_hole > 0).astype(np.uint8), np.ones((3, 3), np.uint8))
    else:
        small, small_hole = image, hole.astype(np.uint8)
    filled = cv2.inpaint(small, small_hole, FILL_RADIUS, cv2.INPAINT_TELEA)
    if scale < 1.0:
        filled = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR)
    return filled


def _split(image: np.ndarray, alpha: np.ndarray, fill: np.ndarray,
           band: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(foreground, plate) at one size. In the band the plate is the fill. In the feather
    (0 < alpha < 1) a pixel of the photo mixes both layers, so the fill is taken as its
    background and the foreground's colour is unmixed from it, (photo - (1 - a) fill) / a:
    the blend of the two is the photo again (to rounding, and where the unmixing clips),
    and no half-subject pixel is left behind in the plate as a ghost of the silhouette."""
    plate = image.copy()
    plate[band] = fill[band]
    foreground = image.copy()
    mixed = band & (alpha < 1.0)
    if mixed.any():
        a = alpha[mixed][:, None]
        photo = image[mixed].astype(np.float32)
        unmixed = np.clip(np.rint((photo - (1.0 - a) * fill[mixed]) / a), 0, 255)
        # where the unmixing clipped (the fill is no fair guess of this pixel's background)
        # the background takes the rest instead; it stays in 0..255 whichever end clipped
        rest = np.clip(np.rint((photo - a * unmixed) / (1.0 - a)), 0, 255)
        foreground[mixed] = unmixed.astype(np.uint8)
        plate[mixed] = rest.astype(np.uint8)
    return foreground, plate


def build(image: np.ndarray, matte: np.ndarray, reveal: float,
          detail: np.ndarray | None = None) -> tuple[Layers, Layers | None]:
    """The layers at the image's size and, given the detail level (the photo enlarged for
    deep zooms), at that size too. `reveal`: the largest parallax reveal, px at the image's
    size (MotionProbe.reveal). The band is the part of the subject (alpha > 0) within
    reveal + REVEAL_MARGIN of its outer edge; only it is filled."""
    alpha = feathered_alpha(image, matte)
    # distance from each pixel of the subject to the nearest pixel outside it
    inside = cv2.distanceTransform((alpha > 0).astype(np.uint8), cv2.DIST_L2, 5)
    solid = cv2.distanceTransform((alpha >= 1.0).astype(np.uint8), cv2.DIST_L2, 5)
    band = (alpha > 0) & ((solid <= reveal + REVEAL_MARGIN) | (alpha < 1.0))
    band &= (inside > 0)
    if band.any():
        # the fill reads the background around the subject, grown a little past its edge
        hole = cv2.dilate(band.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        fill = _fill(image, hole)
    else:
        fill = image
    foreground, plate = _split(image, alpha, fill, band)
    base = Layers(alpha=alpha, foreground=foreground, plate=plate, band=band)
    if detail is None:
        return base, None
    h, w = detail.shape[:2]
    big_alpha = np.rint(cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR) * 255)
    big_alpha = (big_alpha * np.float32(1 / 255)).astype(np.float32)
    big_band = cv2.resize(band.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    big_band |= (big_alpha > 0) & (big_alpha < 1.0)  # the feather, as enlarged
    big_band &= big_alpha > 0
    big_fill = cv2.resize(fill, (w, h), interpolation=cv2.INTER_LINEAR)
    big_fg, big_plate = _split(detail, big_alpha, big_fill, big_band)
    return base, Layers(alpha=big_alpha, foreground=big_fg, plate=big_plate, band=big_band)
