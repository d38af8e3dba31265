"""Layered parallax: a feathered foreground over an inpainted background plate, measured on
real photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data as skdata

from stillmotion.engines.base import RenderRequest
from stillmotion.engines.motion import MotionEngine, MotionPlan
from stillmotion.engines.motion.engine import layerable
from stillmotion.engines.motion.layers import REVEAL_MARGIN
from stillmotion.engines.motion.render import FrameRenderer
from tests.conftest import photo, psnr
from tests.engines.test_motion import SETTLED, subject_and_background_flow

# Layered parallax is off by default (MotionEngine's docstring says why); these tests
# measure it switched on.
_ENGINE = MotionEngine(layered_parallax=True)


LAYERED_PHOTOS = ("astronaut", "coffee", "rocket", "camera", "motorcycle")


def rgb(name: str) -> np.ndarray:
    if name == "motorcycle":  # scikit-image's stereo pair: its left view
        return np.ascontiguousarray(skdata.stereo_motorcycle()[0])
    return photo(name)


def plan_for(image: np.ndarray, prompt: str, amplitude: str = "large",
             seed: int = 3) -> MotionPlan:
    request = RenderRequest(prompt, 4, "360p", amplitude, seed, image.shape[1],
                            image.shape[0])
    return _ENGINE.plan(request, image)


def test_only_photos_whose_matte_separates_two_things_are_layered() -> None:
    for name in LAYERED_PHOTOS:
        assert layerable(_ENGINE.analysis(rgb(name))), name
        assert _ENGINE.layered(_ENGINE.analysis(rgb(name))), name
    # chelsea's matte is the middle of the cat's face, inside the same fur: cutting it
    # out would tear the face, so it keeps the single smoothly bent field
    chelsea = rgb("chelsea")
    assert not _ENGINE.layered(_ENGINE.analysis(chelsea))
    assert _ENGINE.renderer(plan_for(chelsea, "orbit right"), chelsea).layers is None
    flat = np.full((300, 400, 3), 128, np.uint8)
    assert not _ENGINE.layered(_ENGINE.analysis(flat))


def test_layered_parallax_is_off_by_default() -> None:
    """The default engine draws every photo as one field, a layerable one included."""
    default = MotionEngine()
    rocket = rgb("rocket")
    assert layerable(default.analysis(rocket)) and not default.layered(default.analysis(rocket))
    assert default.renderer(plan_for(rocket, "truck left"), rocket).layers is None
    assert _ENGINE.renderer(plan_for(rocket, "truck left"), rocket).layers is not None


@pytest.mark.parametrize("name", LAYERED_PHOTOS)
def test_the_plate_is_filled_only_in_the_band_the_shot_can_reveal(name: str) -> None:
    image = rgb(name)
    renderer = _ENGINE.renderer(plan_for(image, "truck left"), image)
    made = renderer.layers
    assert made is not None
    subject = made.alpha > 0
    changed = np.any(made.plate != renderer.base, axis=-1)
    assert changed.any()
    assert not (changed & ~made.band).any()  # zero changed pixels outside the band
    assert not (made.band & ~subject).any()
    # the band reaches no deeper into the subject than the shot's largest reveal
    depth = cv2.distanceTransform(subject.astype(np.uint8), cv2.DIST_L2, 5)
    assert float(depth[made.band].max()) <= renderer.reveal + REVEAL_MARGIN + 8
    # a band, not the whole subject: from a fraction of a wide subject (coffee) to 0.83
    # of a thin one (rocket) on these truck shots at 360p, where the subject moves 0.12
    # of the frame further than the far background
    assert made.band.sum() < 0.9 * subject.sum()
    # the two layers blended at rest are the photo (to rounding, and where unmixing the
    # feather clipped), so the first moving frames do not jump
    alpha = made.alpha[..., None]
    rest = alpha * made.foreground + (1 - alpha) * made.plate.astype(np.float32)
    assert psnr(np.clip(np.rint(rest), 0, 255).astype(np.uint8), renderer.base) > 45.0
    assert np.array_equal(made.foreground[made.alpha >= 1], renderer.base[made.alpha >= 1])


def registered_strip_error(image: np.ndarray, plan: MotionPlan,
                           renderer: FrameRenderer) -> float:
    """Mean absolute difference, in a strip of background just outside the subject on the
    side it moves away from, between the photo and the last frame registered back onto it
    by an affine fitted to features of the background alone (RANSAC on ORB matches). A
    rubber-sheet field stretches that strip toward the subject; a rigid background plate
    keeps it where it was."""
    end = plan.pose(1.0)
    width, height = plan.width, plan.height
    base = renderer.base
    matte = cv2.resize(_ENGINE.analysis(image).matte, (width, height),
                       interpolation=cv2.INTER_NEAREST)
    # the subject moves by its lateral and held shifts on screen, against the background
    side = 1 if end.lateral[0] + end.held[0] > 0 else -1
    reach = 12
    beyond_feather = cv2.dilate(matte, np.ones((7, 7), np.uint8)) == 0
    close = cv2.dilate(matte, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) > 0
    trailing = np.roll(matte, -side * reach, axis=1) > 0
    strip = beyond_feather & close & trailing
    last = renderer.render(end)
    orb = cv2.ORB_create(1500)
    background = (cv2.dilate(matte, np.ones((41, 41), np.uint8)) == 0).astype(np.uint8) * 255
    keys0, desc0 = orb.detectAndCompute(cv2.cvtColor(base, cv2.COLOR_RGB2GRAY), background)
    keys1, desc1 = orb.detectAndCompute(cv2.cvtColor(last, cv2.COLOR_RGB2GRAY), None)
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(desc1, desc0)
    there = np.float32([keys1[m.queryIdx].pt for m in matches])
    here = np.float32([keys0[m.trainIdx].pt for m in matches])
    cv2.setRNGSeed(0)
    fit, inliers = cv2.estimateAffine2D(here, there, method=cv2.RANSAC,
                                        ransacReprojThreshold=1.5)
    assert fit is not None and int(inliers.sum()) >= 15
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    back = cv2.warpAffine(last, fit, (width, height), flags=flags)
    seen = cv2.warpAffine(np.full((height, width), 255, np.uint8), fit, (width, height),
                          flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    strip &= cv2.erode(seen, np.ones((5, 5), np.uint8)) == 255
    assert strip.sum() > 500
    return float(np.abs(back.astype(np.float32) - base)[strip].mean())


def test_no_rubber_sheet_smear_beside_the_subject() -> None:
    """The background beside the subject stays put on truck moves: measurably closer to
    the photo than the single smooth field leaves it, on every case. (An orbit holds the
    ground around its subject by design, as a camera circling it sees the ground at the
    subject's distance pivot with it, so the strip beside it is no rigid background.)"""
    ratios = []
    for name in ("astronaut", "coffee", "rocket"):
        image = rgb(name)
        for prompt in ("truck left", "truck right"):
            plan = plan_for(image, prompt)
            layers = _ENGINE.renderer(plan, image)
            single = FrameRenderer(image, plan.width, plan.height, plan.zoom_max,
                                   _ENGINE.analysis(image).depth, plan.anchor)
            assert layers.layers is not None and single.layers is None
            new = registered_strip_error(image, plan, layers)
            old = registered_strip_error(image, plan, single)
            assert new < old, (name, prompt, new, old)
            ratios.append(new / old)
    assert float(np.exp(np.mean(np.log(ratios)))) <= 0.8, ratios


@pytest.mark.parametrize(("name", "prompt"), [
    ("camera", "orbit right"), ("rocket", "truck right"), ("motorcycle", "orbit left"),
    ("camera", "pedestal up"),
])
def test_layered_parallax_is_real(name: str, prompt: str) -> None:
    """As test_motion's test_parallax_is_real, on photos drawn in layers (whose mattes are
    trusted enough for the full parallax: astronaut's confidence of 0.42 scales its
    parallax down, and both renderers measure 1.2-1.35 on it)."""
    image = rgb(name)
    plan = plan_for(image, prompt)
    renderer = _ENGINE.renderer(plan, image)
    assert renderer.layers is not None
    frames = list(_ENGINE.frames(plan, image))
    subject, background = subject_and_background_flow(image, frames[SETTLED:])
    ratio = max(subject, background) / max(1e-6, min(subject, background))
    assert ratio >= 1.5, (subject, background)


@pytest.mark.parametrize("name", ["rocket", "camera"])
def test_pull_out_is_a_parallax_pull_back(name: str) -> None:
    """The background ends on frame 0's framing (it never shrinks below the frame); the
    subject ends smaller than it was: the flow from frame 0 to the last frame converges
    on it."""
    image = rgb(name)
    plan = plan_for(image, "pull out")
    frames = list(_ENGINE.frames(plan, image))
    last = plan.pose(1.0)
    assert abs(last.zoom - 1.0) < 1e-6 and last.depth_zoom < 0
    assert all(plan.pose(i / 95).zoom >= 1.0 for i in range(96))
    h, w = frames[0].shape[:2]
    matte = cv2.resize(_ENGINE.analysis(image).matte, (w, h), interpolation=cv2.INTER_NEAREST)
    # the corners, outside the ellipse where depth-weighted displacements fade to 0, and
    # away from the subject: the camera is back on frame 0's framing
    ys, xs = np.mgrid[0:h, 0:w]
    corners = ((xs + 0.5 - w / 2) / (w / 2)) ** 2 + ((ys + 0.5 - h / 2) / (h / 2)) ** 2 > 1.05
    corners &= cv2.dilate(matte, np.ones((31, 31), np.uint8)) == 0
    assert psnr(frames[-1][corners], frames[0][corners]) > 36.0  # to resampling
    core = cv2.erode(matte, np.ones((9, 9), np.uint8)) > 0
    assert psnr(frames[-1][core], frames[0][core]) < 30.0  # the subject did change size
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    flow = dis.calc(cv2.cvtColor(frames[0], cv2.COLOR_RGB2GRAY),
                    cv2.cvtColor(frames[-1], cv2.COLOR_RGB2GRAY), None)
    ys, xs = np.nonzero(core)
    toward = (xs - xs.mean()) * flow[ys, xs, 0] + (ys - ys.mean()) * flow[ys, xs, 1]
    assert float(toward.mean()) < 0  # converging: the subject recedes


def test_layered_frames_first_frame_borders_and_determinism() -> None:
    image = rgb("astronaut")
    plan = plan_for(image, "orbit left", seed=4)
    first = list(_ENGINE.frames(plan, image))
    again = list(_ENGINE.frames(plan, image))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert np.array_equal(first[0], _ENGINE.renderer(plan, image).base)
    for frame in first:
        for edge in (frame[:2], frame[-2:], frame[:, :2], frame[:, -2:]):
            assert edge.std() > 1.0 and edge.mean() > 4.0
