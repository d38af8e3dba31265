"""The prompt reader on the prompts issue 15 was filed with, and the one place `auto`
is resolved: every engine and the music read the same answer."""

from __future__ import annotations

import pytest

from stillmotion.engines.base import RenderRequest
from stillmotion.engines.motion import MotionEngine
from stillmotion.pipeline import music_plan
from stillmotion.reading import read_prompt, resolve_amplitude
from tests.conftest import photo


@pytest.mark.parametrize(("prompt", "moves", "motions", "actions"), [
    # a subject's action is never a camera move
    ("her hair moves in the wind", (), ("hair", "wind"), ()),
    ("smoke rises from the chimney", (), (), ()),
    ("the sun rises over the hills", (), (), ("rises",)),
    ("the bus moves left", (), (), ("moves left",)),
    ("the flag waves", (), ("flag",), ()),
    # the camera does what it is told, in order, with its direction
    ("tracking shot to the right", ("truck_right",), (), ()),
    ("orbit around her to the left", ("orbit_left",), (), ()),
    ("the camera circles the pagoda clockwise", ("orbit_left",), (), ()),
    ("zoom out, pan right, zoom in", ("pull_out", "pan_right", "push_in"), (), ()),
    ("don't orbit, push in instead", ("push_in",), (), ()),
    ("the drone rises over the beach, then flies forward", ("pedestal_up", "push_in"), (), ()),
])
def test_who_acts_decides_what_moves(prompt: str, moves: tuple[str, ...],
                                     motions: tuple[str, ...], actions: tuple[str, ...]) -> None:
    reading = read_prompt(prompt, 8)
    assert tuple(b.move for b in reading.beats) == moves
    assert set(reading.motions) == set(motions)
    assert reading.actions == actions


@pytest.mark.parametrize(("prompt", "effects"), [
    ("snow-capped mountains at noon", ()),
    ("a fire truck drives past", ()),
    ("a firefighter in rain boots, heavy rain", ("rain",)),
    ("smoky jazz club, steam from the coffee", ("steam", "smoke")),
])
def test_weather_words_are_weather_only_as_weather(prompt: str,
                                                   effects: tuple[str, ...]) -> None:
    assert read_prompt(prompt).effects == effects


def test_pace_belongs_to_the_move_it_is_said_of() -> None:
    later = read_prompt("pan left, then push in fast", 8)
    assert [b.pace > 1.0 for b in later.beats] == [False, True]
    assert resolve_amplitude("auto", later) == "large"  # the whole shot's pace, not beat 1's
    assert read_prompt("the cat blinks slowly, push in").pace == 1.0  # the cat's pace
    assert read_prompt("crane down into the courtyard, nice and gradual").pace < 1.0
    assert resolve_amplitude("medium", read_prompt("very slowly")) == "medium"  # asked wins


def test_the_music_follows_the_amplitude_the_engine_chose() -> None:
    """A "slowly" shot is resolved to small once, by the engine, and the music's tempo
    follows it (it used to read the request's "auto" and play at medium tempo)."""
    image = photo("chelsea")
    request = RenderRequest(prompt="slowly push in on the cat", duration=4,
                            resolution="360p", movement_amplitude="auto", seed=7,
                            image_width=image.shape[1], image_height=image.shape[0], bgm=True)
    plan = MotionEngine().plan(request, image)
    music = music_plan(request, plan, image)
    assert plan.amplitude == "small"
    assert music is not None
    assert any("movement_amplitude small" in reason for reason in music.reasons)
