"""The motion engine: what the director reads, where the camera goes, what frames show."""

from __future__ import annotations

import itertools
import math

import cv2
import numpy as np
import pytest
from PIL import Image

from stillmotion.engines.base import RenderRequest
from stillmotion.engines.motion import MotionEngine
from stillmotion.engines.motion.camera import max_offset, view_at
from stillmotion.engines.motion.director import read_prompt
from tests.conftest import photo, psnr

MOVES = ("push_in", "pull_out", "pan_left", "pan_right", "tilt_up", "tilt_down", "static")


@pytest.mark.parametrize(("prompt", "move"), [
    ("", "push_in"),
    ("A cat on a sofa", "push_in"),
    ("slowly zoom out to reveal the room", "pull_out"),
    ("Zoom in on her face", "push_in"),
    ("the camera pans left across the valley", "pan_left"),
    ("pan to the right", "pan_right"),
    ("tilt up to the sky", "tilt_up"),
    ("Tilt down to the river", "tilt_down"),
    ("no camera movement, the leaves sway", "static"),
    ("static camera; zoom in", "static"),  # a negation wins
    ("pan left then zoom in", "pan_left"),  # the first move mentioned leads
    ("a sunrise over the sea", "push_in"),  # "rise" inside "sunrise" is not a move
])
def test_director_reads_moves(prompt: str, move: str) -> None:
    assert read_prompt(prompt).move == move


def test_director_reads_pace() -> None:
    assert read_prompt("slowly push in").pace < 1.0 < read_prompt("fast push in").pace
    assert read_prompt("push in").pace == 1.0


@pytest.mark.parametrize(("move", "amplitude", "seed"),
                         list(itertools.product(MOVES, ("small", "medium", "large"), range(5))))
def test_camera_window_never_leaves_the_photo(move: str, amplitude: str, seed: int) -> None:
    plan = MotionEngine().plan(RenderRequest(move.replace("_", " "), 4, "360p", amplitude,
                                             seed, 640, 480))
    for i in range(96):
        view = view_at(plan.move, i / 95, plan.zoom, plan.target, plan.recede)
        assert view.zoom >= 1.0
        bound = max_offset(view.zoom) + 1e-9
        assert abs(view.cx - 0.5) <= bound and abs(view.cy - 0.5) <= bound
    start = view_at(plan.move, 0.0, plan.zoom, plan.target, plan.recede)
    assert (start.zoom, start.cx, start.cy, start.recede) == (1.0, 0.5, 0.5, 0.0)


def test_camera_path_is_smooth() -> None:
    """Zoom speed (in log space) has no jumps: consecutive speeds differ by very little."""
    zooms = [view_at("push_in", i / 95, 1.3, (0.55, 0.45), 0).zoom for i in range(96)]
    speeds = np.diff(np.log(zooms))
    assert speeds[0] < 1e-4 and speeds[-1] < 1e-4  # eased: starts and ends at rest
    assert float(np.max(np.abs(np.diff(speeds)))) < 0.2 * float(np.max(speeds))


def render(prompt: str, amplitude: str = "auto", seed: int = 3, duration: int = 4,
           image: np.ndarray | None = None) -> tuple[object, list[np.ndarray]]:
    image = photo("astronaut") if image is None else image
    engine = MotionEngine()
    plan = engine.plan(RenderRequest(prompt, duration, "360p", amplitude, seed,
                                     image.shape[1], image.shape[0]))
    return plan, list(engine.frames(plan, image))


@pytest.mark.parametrize("move", MOVES)
def test_frames_count_size_first_frame_and_borders(move: str) -> None:
    image = photo("coffee")
    plan, frames = render(move.replace("_", " "), image=image)
    assert len(frames) == 96
    assert all(f.shape == (360, 540, 3) and f.dtype == np.uint8 for f in frames)
    reference = np.asarray(Image.fromarray(image).resize((540, 360), Image.Resampling.LANCZOS))
    assert psnr(frames[0], reference) > 35.0
    for frame in frames:
        for edge in (frame[:2], frame[-2:], frame[:, :2], frame[:, -2:]):
            assert edge.std() > 1.0 and edge.mean() > 4.0


def mean_flow(a: np.ndarray, b: np.ndarray) -> float:
    ga, gb = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (a, b))
    flow = cv2.calcOpticalFlowFarneback(ga, gb, None, 0.5, 4, 21, 3, 5, 1.1, 0)
    return float(np.mean(np.linalg.norm(flow, axis=-1)))


def path_length(frames: list[np.ndarray], stride: int = 4) -> float:
    """Total measured motion: optical flow summed over short steps, where flow is reliable."""
    return sum(mean_flow(frames[i], frames[i + stride])
               for i in range(0, len(frames) - stride, stride))


@pytest.mark.parametrize("move", ["push_in", "pan_left", "pull_out"])
def test_amplitude_scales_measured_motion(move: str) -> None:
    flows = {amp: path_length(render(move.replace("_", " "), amp)[1])
             for amp in ("small", "medium", "large")}
    assert 0.5 < flows["small"] < flows["medium"] < flows["large"], flows


def test_static_does_not_move_and_seed_varies_the_shot() -> None:
    _, frames = render("static camera")
    assert all(np.array_equal(frames[0], f) for f in frames)
    plan_a, frames_a = render("zoom in", seed=1)
    plan_b, frames_b = render("zoom in", seed=2)
    _, frames_a2 = render("zoom in", seed=1)
    assert all(np.array_equal(x, y) for x, y in zip(frames_a, frames_a2, strict=True))
    assert plan_a != plan_b and not np.array_equal(frames_a[-1], frames_b[-1])


def test_eight_second_clip_moves_as_far_but_slower() -> None:
    plan4, frames4 = render("zoom in", "medium", duration=4)
    plan8, frames8 = render("zoom in", "medium", duration=8)
    assert len(frames8) == 192 and math.isclose(plan4.zoom, plan8.zoom)  # type: ignore[attr-defined]
    assert mean_flow(frames8[95], frames8[96]) < mean_flow(frames4[47], frames4[48])
