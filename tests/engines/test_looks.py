"""Weather and the hour as a look (looks.py, effects.py), measured on real photos: rain
is overcast and moves, golden hour is warm, snow has sizes, light rays show on a bright
sky; every look starts from the photo and comes in over the first half-second.

Development photos and held-out ones (never tuned on) are separate cases.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from stillmotion.engines.base import RenderRequest
from stillmotion.engines.motion import MotionEngine, MotionPlan
from stillmotion.media.resize import resize_to
from tests.support import shots

_ENGINE = MotionEngine()
DEVELOPMENT, HELD_OUT = "development", "held-out"


def clip(name: str, prompt: str, count: int = 96,
         resolution: str = "720p") -> tuple[MotionPlan, list[np.ndarray]]:
    image = shots.real_photo(name)
    request = RenderRequest(prompt, 4, resolution, "medium", 3, image.shape[1], image.shape[0])
    plan = _ENGINE.plan(request, image)
    return plan, list(itertools.islice(_ENGINE.frames(plan, image), count))


def luma(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)


def red_over_blue(frame: np.ndarray) -> float:
    mean = frame.reshape(-1, 3).astype(np.float64).mean(axis=0)
    return float(mean[0] / max(mean[2], 1.0))


@pytest.mark.parametrize("name", [pytest.param("camera", id=f"{DEVELOPMENT}-camera"),
                                  pytest.param("coffee", id=f"{DEVELOPMENT}-coffee"),
                                  pytest.param("china", id=f"{HELD_OUT}-china")])
def test_heavy_rain_moves_and_the_sky_is_overcast(name: str) -> None:
    """Heavy rain changes consecutive frames by 2 luma levels or more on average, and the
    light goes flat and cool: lower contrast (luma spread) and a lower red/blue ratio."""
    plan, frames = clip(name, "static camera, heavy rain")
    assert plan.effects == ("rain",) and dict(plan.effect_levels) == {"rain": 2.0}
    changes = [float(np.abs(luma(frames[i + 1]) - luma(frames[i])).mean())
               for i in range(30, 90, 6)]
    assert float(np.mean(changes)) >= 2.0, changes
    first, last = frames[0], frames[-1]
    assert luma(last).std() < 0.9 * luma(first).std()
    if name != "camera":  # a grey photo has no colour to cool
        assert red_over_blue(last) < 0.97 * red_over_blue(first)


@pytest.mark.parametrize("name", [pytest.param("coffee", id=f"{DEVELOPMENT}-coffee"),
                                  pytest.param("astronaut", id=f"{DEVELOPMENT}-astronaut"),
                                  pytest.param("grace_hopper", id=f"{HELD_OUT}-grace_hopper")])
def test_golden_hour_warms_the_picture_from_one_side(name: str) -> None:
    """The mean frame's red/blue ratio rises by 5 % or more by the end, and the glow is
    brighter on one side of the frame than on the other."""
    plan, frames = clip(name, "static camera, golden hour", resolution="360p")
    assert "golden" in plan.effects
    first, last = frames[0], frames[-1]
    assert red_over_blue(last) >= 1.05 * red_over_blue(first)
    lift = luma(last) - luma(first)
    half = lift.shape[1] // 2
    assert abs(float(lift[:, :half].mean()) - float(lift[:, half:].mean())) > 2.0


@pytest.mark.parametrize("prompt", ["static camera, heavy rain", "static camera, golden hour",
                                    "static camera, light rays, fog"])
def test_looks_start_from_the_photo_and_come_in_over_half_a_second(prompt: str) -> None:
    """Frame 0 is the photo exactly; the look grows over the first 12 frames (0.5 s at 24
    fps) and is whole from then on."""
    image = shots.real_photo("coffee")
    plan, frames = clip("coffee", prompt, count=40, resolution="360p")
    assert np.array_equal(frames[0], resize_to(image, plan.width, plan.height))

    def away(i: int) -> float:
        return float(np.abs(frames[i].astype(np.int16) - frames[0]).mean())

    assert 0.0 < away(3) < away(6) < away(12)
    assert away(24) == pytest.approx(away(36), rel=0.25)


def test_snow_falls_in_flakes_of_several_sizes() -> None:
    """Over a dark sky the flakes of one frame are blobs of clearly different sizes (the
    90th percentile area at least 4x the 10th), not one size of dot like a starfield."""
    _, frames = clip("rocket", "static camera, snow falling", count=50, resolution="720p")
    added = (luma(frames[48]) - luma(frames[0])) > 12
    count, _, stats, _ = cv2.connectedComponentsWithStats(added.astype(np.uint8))
    areas = stats[1:, cv2.CC_STAT_AREA]
    assert count > 60
    assert np.quantile(areas, 0.9) >= 4 * np.quantile(areas, 0.1)


@pytest.mark.parametrize("name", [pytest.param("rocket", id=f"{DEVELOPMENT}-rocket"),
                                  pytest.param("china", id=f"{HELD_OUT}-china")])
def test_light_rays_show_and_sweep_even_on_a_bright_sky(name: str) -> None:
    """The shafts change the top third of the frame (bright sky included) by more than a
    level on average against the photo, and they move: frames half a second apart differ
    there by a third of a level or more."""
    _, frames = clip(name, "static camera, light rays", count=72, resolution="360p")
    top = slice(0, frames[0].shape[0] // 3)
    assert float(np.abs(luma(frames[40])[top] - luma(frames[0])[top]).mean()) > 1.0
    assert float(np.abs(luma(frames[60])[top] - luma(frames[48])[top]).mean()) > 0.33


@pytest.mark.parametrize("name", [pytest.param("rocket", id=f"{DEVELOPMENT}-rocket"),
                                  pytest.param("china", id=f"{HELD_OUT}-china")])
def test_fog_rolls_in_banks_over_the_distance_and_leaves_the_subject_clear(name: str) -> None:
    """Thick fog veils the far part of the frame unevenly (banks: its veil varies across
    the far part) and moves (frames a second apart differ there), while the core of the
    subject's matte is left as it was."""
    image = shots.real_photo(name)
    plan, frames = clip(name, "static camera, thick fog", count=72, resolution="360p")
    assert dict(plan.effect_levels) == {"fog": 2.0}
    analysis = _ENGINE.analysis(image)
    h, w = frames[0].shape[:2]
    depth = cv2.resize(analysis.depth, (w, h), interpolation=cv2.INTER_LINEAR)
    far = depth < 0.15
    veil = luma(frames[60]) - luma(frames[0])
    assert far.mean() > 0.05
    assert float(np.abs(veil[far]).mean()) > 4.0
    assert float(np.std(veil[far])) > 2.0  # banks, not an even wash
    assert float(np.abs(luma(frames[60]) - luma(frames[36]))[far].mean()) > 0.5  # it rolls
    matte = cv2.resize(analysis.matte, (w, h), interpolation=cv2.INTER_NEAREST)
    core = cv2.erode(matte, np.ones((9, 9), np.uint8)) > 0
    assert core.any() and float(np.abs(veil[core]).mean()) < 1.0


def test_steam_rises_from_the_subject_and_smoke_veils_in_grey() -> None:
    """"a steaming cup of coffee": above the cup's middle the frame brightens (a pale wisp
    screened over it) and the wisp moves; the bottom of the frame, below the cup, is left
    alone. Smoke veils toward grey instead: it never brightens the dark sky by more than
    it would a grey one."""
    plan, frames = clip("coffee", "static camera, a steaming cup of coffee", count=72,
                        resolution="360p")
    assert plan.effects == ("steam",)
    h, w = frames[0].shape[:2]
    column = (slice(round(0.05 * h), round(0.3 * h)), slice(round(0.3 * w), round(0.56 * w)))
    lift = luma(frames[60]) - luma(frames[0])
    assert float(lift[column].mean()) > 1.5
    assert float(np.abs(luma(frames[60]) - luma(frames[48]))[column].mean()) > 0.3
    assert float(np.abs(lift[round(0.9 * h):]).mean()) < 0.2
    plan, frames = clip("rocket", "static camera, smoke rises", count=72, resolution="360p")
    assert plan.effects == ("smoke",)
    veil = luma(frames[60]) - luma(frames[0])
    assert float(veil.max()) > 8.0  # a plume shows somewhere
    grey = 255 * 0.55
    # toward grey: where the photo is brighter than the smoke's grey it darkens
    assert float(veil[luma(frames[0]) > grey + 30].mean()) <= 0.5
