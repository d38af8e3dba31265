"""Shots that read right: each camera move looks like what the prompt named, measured on
real photos with tracked points and optical flow (tests/support/shots.py).

Every check runs on development photos (scikit-image's, which the engine's constants were
tuned on) and, as separate cases, on held-out photos (scikit-learn's and matplotlib's
sample photos, never tuned on), so a failure says which set it came from.
"""

from __future__ import annotations

import numpy as np
import pytest

from stillmotion.engines.base import RenderRequest
from stillmotion.engines.motion import MotionEngine, MotionPlan
from stillmotion.reading import read_prompt
from tests.support import shots

_ENGINE = MotionEngine()
BURST_LIMIT = 1.6
MOVES = ("pan right", "truck left", "pedestal down", "orbit right", "push in", "pull out",
         "dolly zoom", "handheld", "pan left then push in")


def render(name: str, prompt: str, amplitude: str = "medium", seed: int = 7,
           ) -> tuple[MotionPlan, list[np.ndarray]]:
    image = shots.real_photo(name)
    request = RenderRequest(prompt, 4, "360p", amplitude, seed, image.shape[1], image.shape[0])
    plan = _ENGINE.plan(request, image)
    return plan, list(_ENGINE.frames(plan, image))


def motions(name: str, frames: list[np.ndarray]) -> tuple[shots.GroupMotion, shots.GroupMotion]:
    box = shots.subject_box(name)
    return (shots.group_motion(frames, box, inside=True),
            shots.group_motion(frames, box, inside=False))


@pytest.mark.parametrize("amplitude", ["small", "large"])
@pytest.mark.parametrize("name", ["camera", "china"], ids=["development", "held-out"])
def test_no_move_opens_with_a_punch(name: str, amplitude: str) -> None:
    """The fastest half-second of every move is at most 1.6x the clip's mean speed: the
    covering zoom a travel needs glides in with the travel (it used to run in the first
    third, a punch-in at 3-3.5x the mean)."""
    for prompt in MOVES:
        _, frames = render(name, prompt, amplitude)
        assert shots.burst_ratio(frames, stride=2) <= BURST_LIMIT, (prompt, amplitude)


@pytest.mark.parametrize("name", ["rocket", "astronaut", "china", "grace_hopper"],
                         ids=["development-rocket", "development-astronaut",
                              "held-out-china", "held-out-grace_hopper"])
def test_pull_out_recedes(name: str) -> None:
    """Frame 0 is the photo; the subject then shrinks and falls back against the
    background: tracked points on it converge to a scale under 0.97 by the end, never
    above 1.02 on the way, while the background keeps its scale (the photo's edge is the
    widest view there is)."""
    _, frames = render(name, "pull out to reveal the scene")
    subject, background = motions(name, frames)
    assert subject.scale[-1] < 0.97, subject.scale[-1]
    assert subject.scale.max() <= 1.02, subject.scale.max()
    assert background.scale[-1] > subject.scale[-1] + 0.03, (background.scale[-1],
                                                             subject.scale[-1])
    assert background.scale.min() > 0.94


@pytest.mark.parametrize("name", ["astronaut", "rocket", "coffee", "china", "flower",
                                  "grace_hopper"],
                         ids=["development-astronaut", "development-rocket",
                              "development-coffee", "held-out-china", "held-out-flower",
                              "held-out-grace_hopper"])
def test_dolly_zoom_holds_the_subject_while_the_background_grows(name: str) -> None:
    """The subject's size stays within 3% on every frame while the background's scale
    changes by at least 8% (large amplitude). Not on scikit-image's camera man, whose
    subject spans the frame's height: the few pixels between his head and the frame's top
    edge must absorb the background's growth, and the fold guard holds it to 6.6%, as the
    plan's fallbacks say."""
    _, frames = render(name, "dolly zoom", "large")
    subject, background = motions(name, frames)
    assert np.all(np.abs(subject.scale - 1.0) <= 0.03), subject.scale
    assert background.scale[-1] >= 1.08, background.scale[-1]


# (prompt, which way the background goes against the subject on screen, x): truck and
# tracking right move the camera right, so the picture moves left and the subject, nearer,
# further left (the background goes right against it); orbit right holds the subject and
# slides the background right behind it; clockwise is seen from above (orbit left).
DIRECTED = (("truck left", -1), ("tracking shot to the right", +1), ("orbit right", +1),
            ("orbit around her to the left", -1), ("circles the pagoda clockwise", -1))


def _directed_cases() -> list[object]:
    cases: list[object] = []
    for name, kind in (("astronaut", "development"), ("rocket", "development"),
                       ("china", "held-out"), ("grace_hopper", "held-out")):
        for prompt, side in DIRECTED:
            marks: list[pytest.MarkDecorator] = []
            if name == "grace_hopper" and prompt.startswith(("truck", "tracking")):
                continue  # no far background to track: the flag leaves the frame, the
                # wall on the other side has no corners
            if name == "china" and prompt == "tracking shot to the right":
                marks.append(pytest.mark.xfail(strict=True, reason=(
                    "held-out miss: the depth proxy puts the trees right of the pagoda at "
                    "its depth, so they travel with it (relative 0.19, asked 0.25)")))
            cases.append(pytest.param(name, prompt, side, marks=marks,
                                      id=f"{kind}-{name}-{prompt.replace(' ', '_')}"))
    return cases


@pytest.mark.parametrize(("name", "prompt", "side"), _directed_cases())
def test_travels_move_the_subject_against_the_background_as_the_words_say(
        name: str, prompt: str, side: int) -> None:
    """Subject and background slide against each other by at least a quarter of the larger
    of their displacements, the way the words say, whatever the seed (two seeds where a
    reader without direction binding would have let the seed decide)."""
    for seed in ((1, 2) if prompt.startswith(("orbit around", "circles", "tracking"))
                 else (1,)):  # the seed matters where the words leave the side to it
        _, frames = render(name, prompt, seed=seed)
        subject, background = motions(name, frames)
        relative = shots.relative_displacement(subject, background)
        against = -shots.parallax_shift(subject, background)[0]  # background vs subject
        assert np.sign(against) == side, (seed, against)
        assert relative >= 0.25, (seed, relative)


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper"],
                         ids=["development", "held-out"])
def test_an_orbit_turns_the_subject_a_little(name: str) -> None:
    """Orbiting right shows more of the subject's right side: its right half ends larger
    than its left half (tracked points in each half of the subject's box, the scale of
    each half's similarity), by at least 2%; orbiting left, the other way round."""
    left, top, right, bottom = shots.subject_box(name)
    middle = (left + right) / 2
    for prompt, sign in (("orbit right", 1), ("orbit left", -1)):
        _, frames = render(name, prompt)
        halves = [shots.group_motion(frames, half, inside=True).scale[-1]
                  for half in ((left, top, middle, bottom), (middle, top, right, bottom))]
        assert sign * (halves[1] / halves[0] - 1.0) >= 0.02, (prompt, halves)


def test_the_words_decide_the_side_and_the_seed_only_what_they_leave_open() -> None:
    sides = {seed: read_prompt("orbit around her", side=seed).move for seed in (-1, 1)}
    assert sides == {-1: "orbit_left", 1: "orbit_right"}  # no side said: the seed's
    for prompt, move in (("tracking shot to the right", "truck_right"),
                         ("a slow tracking shot to the left of the bus", "truck_left"),
                         ("orbit around her to the left", "orbit_left"),
                         ("the drone circles the pagoda clockwise", "orbit_left"),
                         ("camera circles counter-clockwise around the statue", "orbit_right"),
                         ("pans slowly to the right across the bay", "pan_right"),
                         ("orbit right", "orbit_right")):
        for side in (-1, 1):
            assert read_prompt(prompt, side=side).move == move, (prompt, side)


def test_a_photo_without_a_subject_gets_the_closest_move_and_says_so() -> None:
    """A flat graphic has no subject to hold: an orbit becomes the pan that slides the
    picture the same way, a dolly zoom a push-in, and the plan names each substitution."""
    ramp = np.tile(np.linspace(40, 220, 320, dtype=np.uint8)[None, :, None], (240, 1, 3))
    for prompt, move in (("orbit right", "pan_left"), ("dolly zoom", "push_in")):
        request = RenderRequest(prompt, 4, "360p", "medium", 3, 320, 240)
        plan = _ENGINE.plan(request, ramp)
        assert plan.move == move
        assert any("no subject" in note for note in plan.fallbacks), plan.fallbacks
