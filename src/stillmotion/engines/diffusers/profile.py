"""A model's native working point: the size, frame rate, length and steps it was made for.

Why a profile and not the contract's numbers: a diffusion model degrades quickly away from
what it was trained on (Wan 2.1 480P at 832x480 and 81 frames at 16 fps, say), so the
engine generates at the model's own working point and conforms the result to the contract
afterwards (size, 24 fps, exact frame count). Each family has defaults from its model
card; a model directory may carry a `stillmotion.json` with any of these fields to
override them (a Wan 720P checkpoint sets "max_area": 921600, a distilled LTX sets
"steps": 8), so one family adapter serves all checkpoints of that family.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

PROFILE_FILE = "stillmotion.json"


@dataclass(frozen=True)
class Profile:
    """What one checkpoint is good at. Sizes in pixels, `max_area` = width * height."""

    fps: int  # the frame rate its motion was trained at
    max_frames: int  # longest clip it makes well; longer durations get a lower frame rate
    max_area: int  # native pixel budget; the contract's size is reached by resizing
    steps: int  # denoising steps its card recommends
    guidance: float  # classifier-free guidance scale its card recommends

    def overridden(self, values: dict[str, Any]) -> Profile:
        """This profile with the fields of `values` that it knows; unknown keys are an
        error (a typo in a model's stillmotion.json should not be silently ignored)."""
        known = {f.name: f.type for f in fields(self)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown profile field(s) {', '.join(unknown)} "
                             f"(known: {', '.join(known)})")
        for key, value in values.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"profile field {key} must be a positive number, not {value!r}")
        return Profile(fps=int(values.get("fps", self.fps)),
                       max_frames=int(values.get("max_frames", self.max_frames)),
                       max_area=int(values.get("max_area", self.max_area)),
                       steps=int(values.get("steps", self.steps)),
                       guidance=float(values.get("guidance", self.guidance)))


def load_overrides(model: str) -> dict[str, Any]:
    """The `stillmotion.json` of a local model directory, or nothing (hub ids have none)."""
    path = Path(model) / PROFILE_FILE
    if not path.is_file():
        return {}
    values = json.loads(path.read_text())
    if not isinstance(values, dict):
        raise ValueError(f"{path} must hold a JSON object")
    return values
