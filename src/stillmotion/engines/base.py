"""The engine protocol: the one seam between the service and whatever makes the frames.

Engines are pure functions of their inputs and the seed: no I/O, no globals, no clocks,
so the same request renders the same frames on any worker, and an engine is testable
without a server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np

from stillmotion import defaults
from stillmotion.media.sizing import output_size


@dataclass(frozen=True)
class RenderRequest:
    """What an engine is asked for: the contract's fields, resolved to concrete values."""

    prompt: str
    duration: int
    resolution: str
    movement_amplitude: str
    seed: int
    image_width: int
    image_height: int
    bgm: bool = False

    @classmethod
    def from_fields(cls, fields: dict[str, Any], image_width: int,
                    image_height: int) -> RenderRequest:
        """From a task's resolved contract fields (as stored) and its image's upright size."""
        return cls(
            prompt=str(fields["prompt"]), duration=int(fields["duration"]),
            resolution=str(fields["resolution"]),
            movement_amplitude=str(fields["movement_amplitude"]), seed=int(fields["seed"]),
            bgm=bool(fields["bgm"]), image_width=image_width, image_height=image_height)

    @property
    def size(self) -> tuple[int, int]:
        """The video's (width, height): the photo's aspect at the resolution's short side,
        both even (media.sizing.output_size), the one rule every engine and the API use."""
        return output_size(self.image_width, self.image_height, self.resolution)

    @property
    def frame_count(self) -> int:
        return self.duration * defaults.FPS


@dataclass(frozen=True)
class Plan:
    """What an engine will render: plain data, JSON-serialisable, shown to the user.

    Engines extend it with their own fields; `frame_count` frames of `width` x `height`
    at `fps` is the promise every engine keeps.
    """

    engine: str
    width: int
    height: int
    fps: int
    frame_count: int
    seed: int
    # What every engine reads from the prompt and shows: the movement_amplitude it chose
    # (`auto` resolved once, here; the music follows it), the subject actions asked for
    # and what the prompt ruled out (stillmotion.reading).
    amplitude: str = "medium"
    actions: tuple[str, ...] = ()
    negated: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RenderStopped(Exception):
    """The render was told to stop (cancelled, or its attempt lost the task)."""


class EngineFailure(Exception):
    """This task cannot be rendered by this engine, and trying again will not help (the
    model ran out of memory on this size, say). The worker fails the task with `reason`,
    written for the user, instead of retrying it, and carries on with the next task."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RenderControl:
    """The pipeline's hooks into a render that works before its first frame.

    A frame-by-frame engine is checked and measured by the pipeline between frames. A
    generative engine spends most of a render denoising before it can yield anything, so
    it reports its own progress (a fraction of that up-front work) and checks for a stop
    at every step, raising RenderStopped rather than decoding a cancelled video.
    """

    progress: Callable[[float], None]
    should_stop: Callable[[], bool]

    def check(self) -> None:
        """Raise RenderStopped if the render was told to stop."""
        if self.should_stop():
            raise RenderStopped("the render was stopped")


class Engine(Protocol):
    """plan() is cheap and deterministic; frames() streams exactly plan.frame_count frames.

    plan() sees the image too: choosing a shot ("toward the subject", "across a wide
    landscape") needs to know what the photo shows. It analyses a thumbnail, not pixels at
    output size, so it stays cheap.
    """

    name: str
    # The share of a render's time spent before its first frame: 0 for an engine that
    # makes frames one at a time, most of it for a diffusion model. Progress is split by it.
    upfront_share: float

    def plan(self, request: RenderRequest, image: np.ndarray) -> Plan: ...

    def frames(self, plan: Plan, image: np.ndarray,
               control: RenderControl | None = None) -> Iterator[np.ndarray]:
        """RGB uint8 frames of plan.height x plan.width; frame 0 is the input image."""
        ...
