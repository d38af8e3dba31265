"""The engine protocol: the one seam between the service and whatever makes the frames.

Engines are pure functions of their inputs and the seed: no I/O, no globals, no clocks,
so the same request renders the same frames on any worker, and an engine is testable
without a server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Engine(Protocol):
    """plan() is cheap and deterministic; frames() streams exactly plan.frame_count frames.

    plan() sees the image too: choosing a shot ("toward the subject", "across a wide
    landscape") needs to know what the photo shows. It analyses a thumbnail, not pixels at
    output size, so it stays cheap.
    """

    name: str

    def plan(self, request: RenderRequest, image: np.ndarray) -> Plan: ...

    def frames(self, plan: Plan, image: np.ndarray) -> Iterator[np.ndarray]:
        """RGB uint8 frames of plan.height x plan.width; frame 0 is the input image."""
        ...
