"""What a model family adapter provides, and the helpers all of them share.

An adapter knows one pipeline family: its defaults (Profile), the size and frame rules
its loaded pipeline imposes, how movement_amplitude is carried (a conditioning knob or
words in the prompt), and how to call it. It holds no state: the engine owns the loaded
pipeline and passes it in, so one adapter serves every checkpoint of its family.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import PIL.Image

from stillmotion.engines.diffusers.plan import DiffusersPlan
from stillmotion.engines.diffusers.profile import Profile

StepFn = Callable[[int], None]  # called with the number of denoising steps done


class Adapter(Protocol):
    family: str
    pipeline_class: str  # the `_class_name` in a model directory's model_index.json
    profile: Profile
    prompt_driven: bool  # reads the prompt (camera words help) or only the image
    negative_prompt: str
    full_precision: tuple[str, ...]  # components kept in float32 whatever the dtype

    def spatial_multiple(self, pipe: Any) -> int: ...

    def temporal_factor(self, pipe: Any) -> int: ...

    def fixed_size(self, pipe: Any) -> tuple[int, int] | None:
        """The one size the loaded model can make, if it has only one."""
        ...

    def fixed_frames(self, pipe: Any) -> int | None:
        """The one frame count the loaded model makes well, if it has only one."""
        ...

    def conditioning(self, amplitude: str) -> dict[str, Any]: ...

    def generate(self, pipe: Any, image: PIL.Image.Image, plan: DiffusersPlan,
                 generator: Any, on_step: StepFn) -> np.ndarray:
        """The model's frames, float in [0, 1], shape (frames, height, width, 3)."""
        ...


class AdapterDefaults:
    """What most families share: any size on their multiples, nothing kept in float32,
    movement_amplitude carried by the prompt's words rather than a knob of their own."""

    full_precision: tuple[str, ...] = ()
    negative_prompt = ""

    def fixed_size(self, pipe: Any) -> tuple[int, int] | None:
        return None

    def fixed_frames(self, pipe: Any) -> int | None:
        return None

    def conditioning(self, amplitude: str) -> dict[str, Any]:
        return {}


def step_callback(on_step: StepFn) -> Callable[..., dict[str, Any]]:
    """diffusers' callback_on_step_end, reporting each finished step. Whatever `on_step`
    raises (RenderStopped) leaves the denoising loop at once: no decode of a cancelled job."""

    def callback(_pipe: Any, step: int, _timestep: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        on_step(step + 1)
        return kwargs

    return callback


def first_video(output: Any) -> np.ndarray:
    """The one video of a pipeline output (`output_type="np"`): (frames, h, w, 3) floats."""
    frames = np.asarray(output.frames[0], dtype=np.float32)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise RuntimeError(f"unexpected frames of shape {frames.shape} from the pipeline")
    return frames
