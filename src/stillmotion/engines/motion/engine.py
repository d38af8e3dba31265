"""The motion engine: the director's shot, seeded, rendered frame by frame."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from stillmotion import defaults
from stillmotion.engines.base import Plan, RenderRequest
from stillmotion.engines.motion.camera import max_offset, view_at
from stillmotion.engines.motion.director import read_prompt
from stillmotion.engines.motion.render import FrameRenderer
from stillmotion.media.sizing import output_size

# Largest zoom of a shot per amplitude ("auto" reads as medium until the director learns
# to read the image). Pans need more zoom than push-ins: the zoom is their room to travel.
PUSH_ZOOM = {"small": 1.10, "medium": 1.20, "large": 1.32}
TRAVEL_ZOOM = {"small": 1.14, "medium": 1.24, "large": 1.38}
RECEDE = {"small": 0.06, "medium": 0.10, "large": 0.15}
SEED_JITTER = 0.1  # the seed varies magnitude by up to +/-10% and moves the target


@dataclass(frozen=True)
class MotionPlan(Plan):
    """The shot: which move, how far, toward where, and why (the prompt words read)."""

    move: str = "push_in"
    zoom: float = 1.0
    target: tuple[float, float] = (0.5, 0.5)
    recede: float = 0.0
    pace: float = 1.0
    amplitude: str = "medium"
    prompt_words: tuple[str, ...] = ()


class MotionEngine:
    """Camera moves on the CPU; pure: the same request always yields the same frames."""

    name = "motion"

    def plan(self, request: RenderRequest) -> MotionPlan:
        direction = read_prompt(request.prompt)
        rng = np.random.default_rng(request.seed)
        jitter = 1.0 + SEED_JITTER * float(rng.uniform(-1.0, 1.0))
        amplitude = "medium" if request.movement_amplitude == "auto" else request.movement_amplitude
        move = direction.move
        table = PUSH_ZOOM if move == "push_in" else TRAVEL_ZOOM
        zoom = 1.0
        if move not in ("static", "pull_out"):
            zoom = math.exp(math.log(table[amplitude]) * direction.pace * jitter)
        recede = RECEDE[amplitude] * direction.pace * jitter if move == "pull_out" else 0.0
        # The target is where a push-in ends (and how a pan drifts on its other axis): near
        # the centre, within the reach of the final zoom.
        reach = max_offset(zoom) if zoom > 1 else 0.0
        offset = rng.uniform(-0.6, 0.6, size=2) * reach
        width, height = output_size(request.image_width, request.image_height, request.resolution)
        return MotionPlan(
            engine=self.name, width=width, height=height, fps=defaults.FPS,
            frame_count=request.duration * defaults.FPS, seed=request.seed,
            move=move, zoom=round(zoom, 6),
            target=(round(0.5 + float(offset[0]), 6), round(0.5 + float(offset[1]), 6)),
            recede=round(recede, 6), pace=direction.pace, amplitude=amplitude,
            prompt_words=direction.matched,
        )

    def frames(self, plan: Plan, image: np.ndarray) -> Iterator[np.ndarray]:
        if not isinstance(plan, MotionPlan):
            raise TypeError("the motion engine renders MotionPlans only")
        renderer = FrameRenderer(image, plan.width, plan.height, plan.zoom, plan.recede)
        last = max(1, plan.frame_count - 1)
        for i in range(plan.frame_count):
            yield renderer.render(view_at(plan.move, i / last, plan.zoom, plan.target,
                                          plan.recede))
