"""CogVideoX image-to-video (CogVideoX-5b-I2V, CogVideoX1.5-5B-I2V): prompt-driven.

1. Size: CogVideoX 1.0's I2V transformer learned its positional embeddings for one size
   (720x480) and cannot generate any other: the photo is resized to it (not cropped, so
   the framing stays the photo's) and conforming resizes back, undoing the stretch.
   CogVideoX 1.5 uses rotary embeddings only: multiples of 16 within its pixel budget.
2. Frames: 1.0's embeddings are learned for 49 frames (6 s at 8 fps) too, and other
   counts replace them with sines the model never saw: it always makes 49, and retiming
   plays them over 4 or 8 s. A 1.5 checkpoint makes k * 4 + 1 at its profile's rate (its
   stillmotion.json sets "fps": 16, "max_frames": 81).
3. movement_amplitude and the camera: words in the prompt (the engine enriches it).
4. Call: the card's guidance 6 with dynamic classifier-free guidance, 50 steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import PIL.Image

from stillmotion.engines.diffusers.adapters.base import (
    AdapterDefaults,
    StepFn,
    first_video,
    step_callback,
)
from stillmotion.engines.diffusers.plan import DiffusersPlan
from stillmotion.engines.diffusers.profile import Profile

MAX_SEQUENCE_LENGTH = 226


class CogVideoXAdapter(AdapterDefaults):
    family = "cogvideox"
    pipeline_class = "CogVideoXImageToVideoPipeline"
    profile = Profile(fps=8, max_frames=49, max_area=720 * 480, steps=50, guidance=6.0)
    prompt_driven = True

    def spatial_multiple(self, pipe: Any) -> int:
        return int(pipe.vae_scale_factor_spatial * pipe.transformer.config.patch_size)

    def temporal_factor(self, pipe: Any) -> int:
        return int(pipe.vae_scale_factor_temporal)

    def fixed_size(self, pipe: Any) -> tuple[int, int] | None:
        config = pipe.transformer.config
        if not config.use_learned_positional_embeddings:
            return None
        scale = pipe.vae_scale_factor_spatial
        return int(config.sample_width * scale), int(config.sample_height * scale)

    def fixed_frames(self, pipe: Any) -> int | None:
        config = pipe.transformer.config
        return int(config.sample_frames) if config.use_learned_positional_embeddings else None

    def generate(self, pipe: Any, image: PIL.Image.Image, plan: DiffusersPlan,
                 generator: Any, on_step: StepFn) -> np.ndarray:
        output = pipe(
            image=image, prompt=plan.prompt, negative_prompt=plan.negative_prompt,
            height=plan.native_height, width=plan.native_width, num_frames=plan.native_frames,
            num_inference_steps=plan.steps, guidance_scale=plan.guidance, use_dynamic_cfg=True,
            max_sequence_length=MAX_SEQUENCE_LENGTH, generator=generator, output_type="np",
            callback_on_step_end=step_callback(on_step))
        return first_video(output)
