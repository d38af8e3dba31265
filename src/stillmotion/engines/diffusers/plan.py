"""The diffusers engine's Plan: what the model will be asked, shown to the user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stillmotion.engines.base import Plan


@dataclass(frozen=True)
class DiffusersPlan(Plan):
    """The contract's clip (width, height, fps, frame_count) and the model's native one.

    `prompt` is what the model is given (the user's prompt, enriched where the family
    reads camera, action and motion words); `conditioning` holds the family's own knobs
    (`motion_bucket_id` for Stable Video Diffusion, say), so users see how the amplitude
    (Plan.amplitude) was carried.
    """

    family: str = ""
    model: str = ""
    native_width: int = 0
    native_height: int = 0
    native_frames: int = 0
    native_fps: float = 0.0
    steps: int = 0
    guidance: float = 0.0
    prompt: str = ""
    negative_prompt: str = ""
    camera: tuple[str, ...] = ()
    conditioning: dict[str, Any] = field(default_factory=dict)
