"""Effects and local motion, measured on real photos: what they add, where, and what they
never do (touch frame 0, edit their input, darken or clip a frame, show a border)."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import replace

import cv2
import numpy as np
import pytest
import skimage.data as skdata

from stillmotion.engines.base import RenderRequest
from stillmotion.engines.motion import MotionEngine, MotionPlan
from stillmotion.engines.motion.effects import LIGHT_SHADE, Effects
from stillmotion.engines.motion.render import FrameRenderer
from stillmotion.engines.motion.scene import analyse
from tests.conftest import photo
from tests.support import living
from tests.support.lake import lake

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "camera")
OVERLAYS = ("rain", "snow", "fog", "light", "golden", "sparkles", "embers", "bokeh")
MOTIONS = ("water", "fire", "clouds", "leaves", "wind", "hair", "breathing")
_DIS = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
_ENGINE = MotionEngine()


def plan_for(image: np.ndarray, prompt: str, seed: int = 5, duration: int = 4) -> MotionPlan:
    request = RenderRequest(prompt, duration, "360p", "auto", seed, image.shape[1],
                            image.shape[0])
    return _ENGINE.plan(request, image)


def frames(image: np.ndarray, plan: MotionPlan, count: int | None = None) -> list[np.ndarray]:
    return list(itertools.islice(_ENGINE.frames(plan, image), count))


def luma(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)


def flow_magnitude(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    flow = _DIS.calc(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), cv2.cvtColor(b, cv2.COLOR_RGB2GRAY),
                     None)
    return np.asarray(np.linalg.norm(flow, axis=-1))


def local_contrast(frame: np.ndarray) -> np.ndarray:
    """Standard deviation of luma in 9x9 windows."""
    y = luma(frame)
    mean = cv2.blur(y, (9, 9))
    return np.asarray(np.sqrt(np.maximum(cv2.blur(y * y, (9, 9)) - mean * mean, 0.0)))


def effects_for(image: np.ndarray, overlays: tuple[str, ...] = (),
                motions: tuple[str, ...] = (), size: tuple[int, int] = (540, 360),
                seed: int = 5) -> tuple[Effects, np.ndarray]:
    """An Effects for a static shot of `image`, and the frame the camera would give it."""
    base = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return Effects(overlays, motions, _ENGINE.analysis(image), size[0], size[1], seed, 96, 24,
                   image=image), base


@pytest.mark.parametrize("name", PHOTOS)
def test_frame_zero_is_exactly_the_frame_without_effects(name: str) -> None:
    image = photo(name)
    plan = plan_for(image, "push in, heavy rain, fog, sparkles, water in the wind, breathing")
    assert plan.effects and plan.motions
    bare = replace(plan, effects=(), motions=())
    with_effects = frames(image, plan, 2)
    without = frames(image, bare, 2)
    assert np.array_equal(with_effects[0], without[0])
    assert not np.array_equal(with_effects[1], without[1])  # and they start right away


@pytest.mark.parametrize("effect", ["rain", "snow", "embers", "sparkles"])
def test_particles_add_moving_detail_a_static_shot_lacks(effect: str) -> None:
    image = photo("rocket" if effect != "snow" else "chelsea")
    plan = plan_for(image, f"static camera, {effect}")
    assert plan.effects == (effect,) and plan.move == "static"
    moving = frames(image, plan, 40)[28:40]
    still = frames(image, replace(plan, effects=()), 40)[28:40]

    def energy(clip: list[np.ndarray]) -> float:
        """Mean |difference| of consecutive frames, high-passed (moving fine detail)."""
        diffs = [luma(b) - luma(a) for a, b in itertools.pairwise(clip)]
        return float(np.mean([np.abs(d - cv2.GaussianBlur(d, (0, 0), 4)).mean()
                              for d in diffs]))

    assert energy(still) == 0.0
    assert energy(moving) > 0.01
    # it moves: consecutive frames differ in different places (not a fixed pattern)
    a, b, c = (luma(f) for f in moving[:3])
    assert np.abs(c - b).mean() > 0.0 and not np.array_equal(b - a, c - b)


@pytest.mark.parametrize("name", ["rocket", "camera", "astronaut"])
def test_fog_flattens_the_far_more_than_the_near(name: str) -> None:
    image = photo(name)
    effects, base = effects_for(image, ("fog",))
    foggy = effects.apply(base, 60)
    depth = cv2.resize(_ENGINE.analysis(image).depth, (base.shape[1], base.shape[0]))
    before = local_contrast(base)
    ratio = local_contrast(foggy) / (before + 1e-3)
    detailed = before > 4.0  # where there is contrast to lose
    far = detailed & (depth < np.quantile(depth, 0.3))
    near = detailed & (depth > np.quantile(depth, 0.7))
    assert far.mean() > 0.01 and near.mean() > 0.01
    assert float(ratio[far].mean()) < 0.9  # fog is visible where it is far
    assert float(ratio[far].mean()) < float(ratio[near].mean()) - 0.1


@pytest.mark.parametrize("prompt", ["dolly zoom, fog", "push in fast, fog", "pan left, fog"])
def test_fog_stays_on_the_far_things_as_the_camera_moves(prompt: str) -> None:
    image = photo("rocket")
    plan = plan_for(image, prompt)
    assert plan.effects == ("fog",) and plan.zoom_max > 1.05
    last = plan.frame_count - 1
    foggy = frames(image, plan)[last]
    bare = frames(image, replace(plan, effects=()))[last]
    # the photo's depth as this frame shows it: the camera's zoom and window, in the test
    pose = plan.pose(1.0)
    depth = cv2.resize(_ENGINE.analysis(image).depth, (plan.width, plan.height))
    ax = 1.0 / pose.zoom
    matrix = np.array([[ax, 0.0, (pose.cx - 0.5 * ax) * plan.width + 0.5 * ax - 0.5],
                       [0.0, ax, (pose.cy - 0.5 * ax) * plan.height + 0.5 * ax - 0.5]])
    seen = cv2.warpAffine(depth, matrix, (plan.width, plan.height),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)
    # the fog leaves alone what is nearest in this frame, not what was nearest in the photo
    # before the camera moved (which would veil part of the subject and clear a ghost
    # of it beside)
    gain = luma(foggy) - luma(bare)
    near_seen = float(gain[seen > np.quantile(seen, 0.85)].mean())
    near_before = float(gain[depth > np.quantile(depth, 0.85)].mean())
    far_seen = float(gain[seen < np.quantile(seen, 0.3)].mean())
    assert far_seen > 10.0
    assert near_seen < 0.05 * far_seen
    assert near_seen < 0.5 * near_before


@pytest.mark.parametrize("name", ["coffee", "rocket", "camera"])
def test_light_brightens_near_its_corner_more_than_far_from_it(name: str) -> None:
    image = photo(name)
    effects, base = effects_for(image, ("light",))
    gain = luma(effects.apply(base, 70)) - luma(base)
    h, w = gain.shape
    corners = {"top_left": gain[: h // 4, : w // 4], "top_right": gain[: h // 4, -w // 4:],
               "bottom_left": gain[-h // 4:, : w // 4], "bottom_right": gain[-h // 4:, -w // 4:]}
    source = max(corners, key=lambda k: float(corners[k].mean()))
    assert source.startswith("top")
    opposite = "bottom_right" if source == "top_left" else "bottom_left"
    assert float(corners[source].mean()) > 2.0 * float(corners[opposite].mean()) + 2.0
    # light mostly adds; between its shafts it shades, by at most LIGHT_SHADE
    assert float(gain.mean()) > 0.0
    assert float(gain.min()) >= -LIGHT_SHADE * 255 - 1


def test_water_is_guessed_conservatively() -> None:
    """None of the sample photos shows water: the water mask stays (nearly) empty on all
    of them, where it used to shimmer a night sky above the horizon (rocket: 11.5% of the
    frame above 0.5), a garage floor (motorcycle: 10.9%), a cat's blurred backdrop (2.6%)
    and a black coat (camera: 1.7%). On a lake it still finds the water, below the
    shore only."""
    for name in ("astronaut", "chelsea", "coffee", "rocket", "camera", "motorcycle"):
        image = (np.ascontiguousarray(skdata.stereo_motorcycle()[0]) if name == "motorcycle"
                 else photo(name))
        effects, _ = effects_for(image, (), ("water",))
        mask = effects.motion_mask("water")
        assert float((mask > 0.5).mean()) < 0.025, name
        assert float((mask > 0.05).mean()) < 0.06, name
    effects, _ = effects_for(lake(), (), ("water",))
    mask = effects.motion_mask("water")
    shore = round(mask.shape[0] * 0.7)
    assert float((mask[shore:] > 0.5).mean()) > 0.15
    assert float((mask[: shore - 4] > 0.05).mean()) < 0.05


@pytest.mark.parametrize(("name", "motion"), [("rocket", "clouds"), ("camera", "clouds"),
                                              ("lake", "water"), ("astronaut", "hair"),
                                              ("astronaut", "breathing")])
def test_local_motion_moves_where_it_belongs_and_nowhere_else(name: str, motion: str) -> None:
    image = lake() if name == "lake" else photo(name)
    plan = plan_for(image, f"static camera, {living.ASKING[motion]}")
    assert plan.motions == (motion,) and plan.move == "static"
    clip = frames(image, plan)
    effects, _ = effects_for(image, (), (motion,), size=(plan.width, plan.height))
    mask = effects.motion_mask(motion)
    # a quarter period of the slowest wave apart: where it applies, things moved
    magnitudes = [flow_magnitude(clip[i], clip[i + 12]) for i in (14, 38, 62)]
    magnitude = np.mean(magnitudes, axis=0)
    inside = mask > 0.6
    outside = mask < 0.005
    assert inside.mean() > 0.015 and outside.mean() > 0.1
    moved = float(magnitude[inside].mean())
    still = float(np.median(magnitude[outside]))
    assert still < 0.05, still
    assert moved > 0.15 and moved > 5 * still, moved
    if motion != "breathing":  # the subject itself stays put
        matte = cv2.resize(_ENGINE.analysis(image).matte, (plan.width, plan.height),
                           interpolation=cv2.INTER_NEAREST) > 0
        core = cv2.erode(matte.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
        if core.any():
            assert float(np.median(magnitude[core])) < 0.05


def test_local_motion_loops() -> None:
    """Flows and sways loop: one clip length later, past the ease-in, every field is where
    it was. (Clouds drift on instead: restarting them would double a cloud's edge.)"""
    image = lake("astronaut")
    motions = ("water", "hair", "wind")
    effects, base = effects_for(image, (), motions)
    assert effects.duration == 4.0
    late = effects.apply(base, 40)
    assert np.abs(late.astype(int) - base).max() > 20  # things moved
    looped = Effects((), motions, _ENGINE.analysis(image), 540, 360, 5, 96, 24,
                     image=image).apply(base, 40 + 96)
    assert np.abs(late.astype(int) - looped.astype(int)).max() <= 1


def test_same_seed_same_frames_other_seed_other_frames() -> None:
    image = photo("coffee")
    prompt = "handheld, snow falling, embers, bokeh, light rays, wind in the trees"

    def digest(seed: int) -> str:
        h = hashlib.sha256()
        for frame in frames(image, plan_for(image, prompt, seed=seed), 30):
            h.update(frame.tobytes())
        return h.hexdigest()

    assert digest(9) == digest(9)
    assert digest(9) != digest(10)


def test_apply_never_edits_its_input_and_frames_any_order() -> None:
    image = photo("astronaut")
    effects, base = effects_for(image, OVERLAYS, MOTIONS)
    before = base.copy()
    forward = [effects.apply(base, i) for i in (5, 30, 61)]
    assert np.array_equal(base, before)
    backward = [effects.apply(base, i) for i in (61, 30, 5)][::-1]
    assert all(np.array_equal(a, b) for a, b in zip(forward, backward, strict=True))
    assert effects.apply(base, 0) is base or np.array_equal(effects.apply(base, 0), base)


@pytest.mark.parametrize("name", PHOTOS)
def test_no_effect_darkens_clips_or_borders_a_frame(name: str) -> None:
    image = photo(name)
    size = (540, 360)
    base = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    analysis = _ENGINE.analysis(image)
    clipped_before = float((base.max(axis=-1) >= 254).mean())
    for tag in (*OVERLAYS, *MOTIONS, "everything"):
        overlays = OVERLAYS if tag == "everything" else tuple(t for t in (tag,) if t in OVERLAYS)
        motions = MOTIONS if tag == "everything" else tuple(t for t in (tag,) if t in MOTIONS)
        effects = Effects(overlays, motions, analysis, *size, 5, 96, 24, image=image)
        for index in (12, 47, 95):
            frame = effects.apply(base, index)
            assert frame.shape == base.shape and frame.dtype == np.uint8
            ratio = float(luma(frame).mean()) / float(luma(base).mean())
            assert 0.85 < ratio < {"fog": 1.6, "light": 1.6, "everything": 1.8}.get(tag, 1.25), tag
            clipped = float((frame.max(axis=-1) >= 254).mean())
            assert clipped < clipped_before + 0.02, (tag, clipped)
            for edge in (frame[:2], frame[-2:], frame[:, :2], frame[:, -2:]):
                assert edge.std() > 1.0 and edge.mean() > 4.0, tag


def test_analysis_size_photos_and_odd_output_sizes() -> None:
    """Odd sizes (not multiples of the field step) and a small photo run end to end."""
    image = photo("chelsea")[:201, :157]
    analysis = analyse(image)
    for size in ((157, 201), (333, 187)):
        base = cv2.resize(image, size)
        for source in (image, None):  # without the photo, masks fall back to depth cues
            effects = Effects(OVERLAYS, MOTIONS, analysis, *size, 1, 24, 24, image=source)
            out = effects.apply(base, 23)
            assert out.shape == base.shape and not np.array_equal(out, base)


@pytest.mark.parametrize(("name", "prompt"), [("camera", "orbit right, his hair blowing"),
                                              ("astronaut", "push in, hair blowing")])
def test_local_motion_folded_into_the_camera_matches_a_second_resampling(
        name: str, prompt: str) -> None:
    """The engine folds local motion into the renderer's one remap; the result shows what
    resampling the camera's frame a second time through the same field shows (minus the
    second interpolation's blur), and outside the masks it is the camera's frame."""
    image = photo(name)
    plan = plan_for(image, prompt)
    assert plan.motions and plan.move != "static"
    fused = frames(image, plan)
    renderer = _ENGINE.renderer(plan, image)  # the engine's own camera, as frames() uses
    effects = Effects((), plan.motions, _ENGINE.analysis(image), plan.width, plan.height,
                      plan.seed, plan.frame_count, plan.fps, image=image)
    for index in (30, 60):
        pose = plan.pose(index / (plan.frame_count - 1))
        camera = renderer.render(pose)
        twice = effects.apply(camera, index, pose)
        masks = [effects.motion_mask(m) for m in plan.motions]
        moving, still = np.maximum.reduce(masks) > 0.5, np.maximum.reduce(masks) < 0.005

        def gap(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
            return float(np.abs(a.astype(np.int16) - b)[where].mean())

        assert gap(camera, twice, moving) > 2.0  # the motion is there to be seen
        assert gap(fused[index], twice, moving) < 0.35 * gap(camera, twice, moving)
        assert gap(fused[index], camera, still) < 0.05


def test_renderer_motion_field_moves_what_each_pixel_shows() -> None:
    """Output p shows what p + motion(p) showed, parallax included: a uniform 3 px field
    is a 3 px shift of the camera's frame."""
    image = photo("chelsea")
    plan = plan_for(image, "orbit left")
    renderer = FrameRenderer(image, plan.width, plan.height, plan.zoom_max,
                             _ENGINE.analysis(image).depth, plan.anchor)
    pose = plan.pose(0.6)
    columns, rows = renderer.grid_size
    zero = np.zeros((rows, columns), np.float32)
    camera = renderer.render(pose)
    assert np.array_equal(renderer.render(pose, (zero, zero)), camera)
    shifted = renderer.render(pose, (zero + 3.0, zero - 2.0))
    inner = (slice(20, -20), slice(20, -20))
    moved = np.roll(camera, (2, -3), axis=(0, 1))
    assert float(np.abs(shifted[inner].astype(np.int16) - moved[inner]).mean()) < 0.6
    assert float(np.abs(camera[inner].astype(np.int16) - moved[inner]).mean()) > 3.0


def test_rain_streaks_show_on_bright_places_as_on_dark_ones() -> None:
    """Rain's streaks are about as visible over a bright sky or a grey floor as over a dark
    coat: light streaks are screened over dark places, and over bright ones (where
    screening adds almost nothing) the streaks darken instead. Measured as the fine detail
    rain adds (its change to the frame, high-passed) on flat dark (luma < 70), mid (150-180)
    and bright (> 190) parts of two photos, against the dark parts'. Screening alone: 0.41
    on camera's bright sky; a slow light-to-dark ramp: 0.37 on its mid greys."""
    for name in ("camera", "motorcycle"):
        image = (np.ascontiguousarray(skdata.stereo_motorcycle()[0]) if name == "motorcycle"
                 else photo(name))
        effects, base = effects_for(image, ("rain",))
        before = luma(base)
        flat = local_contrast(base) < 4.0
        bands = {"dark": flat & (before < 70), "mid": flat & (before >= 150) & (before < 180),
                 "bright": flat & (before >= 190)}
        assert all(band.mean() > 0.015 for band in bands.values()), name
        detail: dict[str, list[float]] = {band: [] for band in bands}
        for index in (30, 50, 70):
            change = luma(effects.apply(base, index)) - before
            fine = np.abs(change - cv2.GaussianBlur(change, (0, 0), 4))
            for band, where in bands.items():
                detail[band].append(float(fine[where].mean()))
        on = {band: float(np.mean(values)) for band, values in detail.items()}
        assert on["dark"] > 0.5, (name, on)  # the light streaks are still there
        assert on["mid"] > 0.6 * on["dark"] and on["bright"] > 0.6 * on["dark"], (name, on)
