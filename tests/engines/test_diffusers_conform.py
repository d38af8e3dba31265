"""The diffusers engine's torch-free steps: native sizing, optical-flow retiming, conforming."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from stillmotion.engines.diffusers.conform import anchor_weights, conform
from stillmotion.engines.diffusers.profile import Profile
from stillmotion.engines.diffusers.retime import duplicate, retime, source_positions
from stillmotion.engines.diffusers.sizing import MIN_AREA_SHARE, native_frames, native_size
from stillmotion.media.resize import resize_to
from tests.conftest import photo, psnr

# --- sizing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("out", [(1280, 720), (720, 1280), (640, 360), (1920, 1080),
                                 (1080, 1920), (542, 360), (360, 360), (1620, 1080)])
@pytest.mark.parametrize("max_area,multiple", [(832 * 480, 16), (1024 * 576, 64),
                                               (768 * 512, 32), (1280 * 720, 16)])
def test_native_size_is_on_multiples_within_budget_and_near_the_aspect(
        out: tuple[int, int], max_area: int, multiple: int) -> None:
    width, height = native_size(*out, max_area, multiple)
    assert width % multiple == 0 and height % multiple == 0
    budget = min(max_area, max(out[0] * out[1], max_area * MIN_AREA_SHARE))
    assert width * height <= budget
    # within a snap of the ideal area, and the aspect within a multiple over the short side
    assert width * height >= budget * 0.6
    aspect_error = abs(math.log(width / height / (out[0] / out[1])))
    assert aspect_error <= math.log(1 + multiple / min(width, height))


def test_native_size_follows_the_resolution_class_up_to_the_models_budget() -> None:
    wan480 = 832 * 480
    small = native_size(640, 360, wan480, 16)
    large = native_size(1280, 720, wan480, 16)
    assert small[0] * small[1] < large[0] * large[1] <= wan480  # never past the model
    assert native_size(1920, 1080, 1024 * 576, 64) == (1024, 576)  # SVD's own size


@pytest.mark.parametrize("max_area,multiple", [(832 * 480, 16), (768 * 512, 32)])
def test_sixteen_by_nine_is_kept_within_one_percent(max_area: int, multiple: int) -> None:
    """A coarse multiple (LTX's 32) still finds a near-exact 16:9 (800x448), rather than
    the nearest-area size with a 4% stretch (832x448)."""
    for out in ((1280, 720), (1920, 1080), (720, 1280)):
        width, height = native_size(*out, max_area, multiple)
        assert abs(width / height / (out[0] / out[1]) - 1) < 0.01, (out, width, height)


@pytest.mark.parametrize("duration,fps,max_frames,factor,expected", [
    (4, 16, 81, 4, 65), (8, 16, 81, 4, 81), (4, 24, 257, 8, 97), (8, 24, 257, 8, 193),
    (4, 6, 25, 1, 25), (8, 6, 25, 1, 25), (4, 8, 257, 4, 33)])
def test_native_frames_follow_the_family_rule_and_cap(
        duration: int, fps: int, max_frames: int, factor: int, expected: int) -> None:
    frames = native_frames(duration, fps, max_frames, factor)
    assert frames == expected
    assert (frames - 1) % factor == 0 and frames <= max_frames


def test_profile_overrides_are_checked() -> None:
    base = Profile(fps=16, max_frames=81, max_area=832 * 480, steps=40, guidance=5.0)
    assert base.overridden({"max_area": 921600, "steps": 8}).max_area == 921600
    with pytest.raises(ValueError, match="unknown profile field"):
        base.overridden({"max_aera": 1})
    with pytest.raises(ValueError, match="positive"):
        base.overridden({"steps": 0})


# --- retiming -------------------------------------------------------------------------------

def moving_pattern(frame_count: int, speed: float) -> list[np.ndarray]:
    """A textured scene panning `speed` px per frame right and half that down, rendered with
    sub-pixel accuracy: the ground truth at every instant."""
    rng = np.random.default_rng(3)
    texture = cv2.GaussianBlur(rng.random((420, 640, 3)).astype(np.float32), (0, 0), 3)
    texture = cv2.normalize(texture, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    frames = []
    for t in range(frame_count):
        shift = np.float32([[1, 0, -speed * t - 40], [0, 1, -0.5 * speed * t - 40]])
        frames.append(cv2.warpAffine(texture, shift, (256, 160), flags=cv2.INTER_LINEAR))
    return frames


def test_flow_retiming_beats_frame_duplication_on_motion() -> None:
    """8 fps -> 24 fps: the frames between the model's are measured against the truth."""
    truth = moving_pattern(97, speed=2.0)  # 4 s at 24 fps
    at_8fps = truth[::3]  # what a model at 8 fps gives: 33 frames
    flow = list(retime(at_8fps, 97))
    dup = list(duplicate(at_8fps, 97))
    between = [i for i in range(97) if i % 3]

    def mse(frames: list[np.ndarray]) -> float:
        return float(np.mean([np.mean((frames[i].astype(float) - truth[i]) ** 2)
                              for i in between]))

    flow_error, dup_error = mse(flow), mse(dup)
    assert len(flow) == 97
    assert all(np.array_equal(flow[i], truth[i]) for i in range(0, 97, 3))  # on the grid
    assert flow_error < dup_error / 20, (flow_error, dup_error)  # measured: 0.97 vs 165


def test_retiming_hits_the_exact_count_from_any_source_count() -> None:
    frames = moving_pattern(25, speed=3.0)
    for count in (96, 192, 24, 1):
        out = list(retime(frames, count))
        assert len(out) == count
        assert np.array_equal(out[0], frames[0])
        if count > 1:
            assert np.array_equal(out[-1], frames[-1])
    positions = source_positions(25, 96)
    assert positions[0] == 0 and positions[-1] == pytest.approx(24)
    assert np.all(np.diff(positions) > 0)


# --- conforming -----------------------------------------------------------------------------

def test_conform_starts_on_the_photo_and_fades_into_the_models_frames() -> None:
    image = photo("chelsea")
    # a model's rendering: its own (darker, softer) take on the photo, drifting right
    native = []
    for t in range(33):
        shifted = np.roll(resize_to(image, 96, 64), t // 4, axis=1)
        native.append(cv2.GaussianBlur((shifted * 0.8).astype(np.uint8), (3, 3), 0))
    frames = list(conform(native, image, 542, 360, 96, 24))
    assert len(frames) == 96
    assert all(f.shape == (360, 542, 3) and f.dtype == np.uint8 for f in frames)
    assert np.array_equal(frames[0], resize_to(image, 542, 360))  # exactly the photo
    # no pop at frame 1: it stays within the photo's neighbourhood...
    assert psnr(frames[1], frames[0]) > 30
    # ...and by the end of the fade the frames are the model's own
    settled = resize_to(native[-1], 542, 360)
    assert np.array_equal(frames[-1], settled)
    weights = anchor_weights(96, 24)
    assert weights[0] == 1 and weights[12] == 0 and np.all(np.diff(weights) <= 0)
