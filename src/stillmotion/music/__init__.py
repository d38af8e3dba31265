"""Background music for `bgm: true`: mood -> composition -> soundfont render -> mastering.

Each step is its own module with one job (mood.py, composition.py, render.py, master.py);
this module strings them together. `plan_for` is cheap (a few milliseconds) and runs before
the video so the plan can be recorded; `make_music` does the audio work and is meant to run
on a thread beside frame rendering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stillmotion.music.composition import MusicPlan, compose, plan_music
from stillmotion.music.master import MasterReport, master
from stillmotion.music.mood import MOODS, read_mood
from stillmotion.music.render import SAMPLE_RATE, perform

__all__ = ["MOODS", "SAMPLE_RATE", "Music", "MusicPlan", "make_music", "plan_for", "preload"]


@dataclass(frozen=True)
class Music:
    """Mastered float32 stereo PCM at SAMPLE_RATE, exactly the clip's length, and its levels."""

    plan: MusicPlan
    pcm: np.ndarray
    report: MasterReport


def plan_for(prompt: str, duration_s: float, seed: int, movement_amplitude: str = "auto",
             image: np.ndarray | None = None, mood: str | None = None) -> MusicPlan:
    """The music plan of a clip: its mood (read, or forced with `mood`) and the composition."""
    reading = read_mood(prompt, image, movement_amplitude, forced=mood)
    return plan_music(reading, duration_s, seed)


def make_music(plan: MusicPlan) -> Music:
    """Compose, perform and master the planned piece (~0.2 s of CPU for 8 s of music)."""
    performance = perform(compose(plan))
    pcm, report = master(performance, SAMPLE_RATE, plan.fade_in_s, plan.fade_out_s)
    return Music(plan, pcm, report)


def preload() -> None:
    """Import the synthesizer and DSP libraries and read the soundfont now.

    A worker calls this once at start (it keeps its engine loaded the same way): scipy
    alone takes most of a second to import, which would otherwise land on the first task
    with music, on the thread that competes with its frames for the CPU.
    """
    import midirenderer  # noqa: F401
    import pretty_midi  # noqa: F401
    import pyloudnorm  # noqa: F401
    import scipy.ndimage  # noqa: F401
    import scipy.signal  # noqa: F401

    from stillmotion.music.render import soundfont_bytes

    soundfont_bytes()
