"""The diffusers engine: an open image-to-video model behind the engine protocol.

Steps of one render:
1. plan: the contract's size and length -> the model's native size and frames
   (sizing), the prompt's reading (stillmotion.reading) put in words for the model
   (prompting): camera, subject actions, what it rules out;
   movement_amplitude carried the family's way (adapter.conditioning). Cheap, no torch.
2. generate: the photo at native size, seeded generator, the pipeline called by its
   adapter; each denoising step reports progress and checks for a stop (RenderControl),
   so a cancel never waits for, or pays for, the decode.
3. conform: the model's frames -> exactly the contract's frames at 24 fps (optical-flow
   retiming, resize), frame 0 the photo (conform).

Out of GPU memory is the task's failure, not the worker's: the memory is released and the
task fails with a reason that says what to change (EngineFailure); the worker goes on.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator

import numpy as np
import PIL.Image
import torch

from stillmotion import defaults
from stillmotion.config import Settings
from stillmotion.engines.base import EngineFailure, Plan, RenderControl, RenderRequest
from stillmotion.engines.diffusers.conform import conform
from stillmotion.engines.diffusers.loader import Loaded, load
from stillmotion.engines.diffusers.plan import DiffusersPlan
from stillmotion.engines.diffusers.prompting import camera_moves, enrich, negative
from stillmotion.engines.diffusers.sizing import native_shape
from stillmotion.media.resize import resize_to
from stillmotion.reading import read_prompt, resolve_amplitude

log = logging.getLogger("stillmotion.diffusers")

# Of the up-front work, the denoising steps; the VAE decode is the rest.
DENOISE_SHARE = 0.9


class DiffusersEngine:
    """Keeps one pipeline loaded for the worker's life; renders one task at a time."""

    name = "diffusers"
    # Nearly all of a render happens before its first frame: denoising and decoding.
    upfront_share = 0.9

    def __init__(self, settings: Settings) -> None:
        self.loaded: Loaded = load(settings)
        self._after_failure = False

    def plan(self, request: RenderRequest, image: np.ndarray) -> DiffusersPlan:
        loaded = self.loaded
        adapter, profile, pipe = loaded.adapter, loaded.profile, loaded.pipe
        width, height = request.size
        shape = native_shape(
            width, height, request.duration, max_area=profile.max_area,
            multiple=adapter.spatial_multiple(pipe), fps=profile.fps,
            max_frames=profile.max_frames, temporal_factor=adapter.temporal_factor(pipe),
            fixed=adapter.fixed_size(pipe), fixed_frames=adapter.fixed_frames(pipe))
        reading = read_prompt(request.prompt, request.duration)
        amplitude = resolve_amplitude(request.movement_amplitude, reading)
        prompt = enrich(request.prompt, reading, amplitude) if adapter.prompt_driven else ""
        return DiffusersPlan(
            engine=self.name, width=width, height=height, fps=defaults.FPS,
            frame_count=request.frame_count, seed=request.seed,
            family=adapter.family, model=loaded.model_name, native_width=shape.width,
            native_height=shape.height, native_frames=shape.frames,
            native_fps=round(shape.fps, 3), steps=profile.steps, guidance=profile.guidance,
            prompt=prompt,
            negative_prompt=negative(adapter.negative_prompt, reading) if prompt else "",
            amplitude=amplitude, actions=reading.actions, negated=reading.negated,
            camera=camera_moves(reading),
            conditioning=adapter.conditioning(amplitude))

    def frames(self, plan: Plan, image: np.ndarray,
               control: RenderControl | None = None) -> Iterator[np.ndarray]:
        if not isinstance(plan, DiffusersPlan):
            raise TypeError("the diffusers engine renders DiffusersPlans only")
        native = self.generate(plan, image, control)
        yield from conform(native, image, plan.width, plan.height, plan.frame_count, plan.fps)

    def generate(self, plan: DiffusersPlan, image: np.ndarray,
                 control: RenderControl | None = None) -> list[np.ndarray]:
        """The model's own frames (uint8, native size), or EngineFailure when out of memory."""
        loaded = self.loaded
        if self._after_failure:
            release_memory(loaded.device, collect=True)
            self._after_failure = False
        photo = PIL.Image.fromarray(resize_to(image, plan.native_width, plan.native_height))
        # A CPU generator: the same seed draws the same noise on any device.
        generator = torch.Generator(device="cpu").manual_seed(plan.seed)

        def on_step(done: int) -> None:
            if control is not None:
                control.check()
                control.progress(DENOISE_SHARE * done / plan.steps)

        out_of_memory = False
        try:
            with torch.inference_mode():
                video = loaded.adapter.generate(loaded.pipe, photo, plan, generator, on_step)
        except torch.OutOfMemoryError as exc:
            # Raised outside this block: the error's traceback holds the step's tensors,
            # and they are only freed once the except block has dropped it.
            log.warning("out of memory on %dx%d x %d frames: %s", plan.native_width,
                        plan.native_height, plan.native_frames, exc)
            out_of_memory = True
        except BaseException:  # a stop or a bug: its traceback holds the step's tensors
            self._after_failure = True  # until it is dropped: the next render collects
            raise
        release_memory(loaded.device, collect=out_of_memory)
        if out_of_memory:
            raise EngineFailure(out_of_memory_reason(plan))
        if control is not None:
            control.progress(1.0)
        return [np.ascontiguousarray(frame) for frame in to_uint8(video)]


def to_uint8(video: np.ndarray) -> np.ndarray:
    return (np.clip(video, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def out_of_memory_reason(plan: DiffusersPlan) -> str:
    return (f"The {plan.family} model ran out of GPU memory generating "
            f"{plan.native_width}x{plan.native_height} with {plan.native_frames} frames. "
            "Ask for a lower resolution or a 4-second duration; an operator can set "
            "STILLMOTION_DIFFUSERS_OFFLOAD=model to need less GPU memory.")


def release_memory(device: torch.device, collect: bool) -> None:
    """Hand freed activations back to the GPU after each task, so the next task starts from
    the weights alone. `collect` after a failure: its traceback formed reference cycles
    that hold tensors until the cycle collector runs (a full collection costs ~0.2 s with
    torch and transformers loaded, so a task that ended normally does without it)."""
    if collect:
        gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
