"""LTX-Video image-to-video: fast, prompt-driven, 24 fps native.

1. Size: multiples of the VAE's spatial compression times the patch (32 for the real
   models); native up to 768x512 (its card: best under 720x1280).
2. Frames: k * 8 + 1 (the VAE's temporal factor), up to 257, at 24 fps: a 4 s clip is 97
   frames and needs no new frames from retiming, only the count fixed.
3. movement_amplitude and the camera: words in the prompt (the engine enriches it), which
   LTX follows; `frame_rate` tells the model the clip's rate.
4. Call: the card's guidance and negative prompt; decode timestep and noise for the VAEs
   that condition on them (0.9.1 and later; ignored by the others).
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

DECODE_TIMESTEP = 0.05
DECODE_NOISE_SCALE = 0.025
MAX_SEQUENCE_LENGTH = 128
LTX_MIN_MULTIPLE = 32  # the pipeline refuses other sizes, whatever its VAE


class LtxAdapter(AdapterDefaults):
    family = "ltx"
    pipeline_class = "LTXImageToVideoPipeline"
    profile = Profile(fps=24, max_frames=257, max_area=768 * 512, steps=40, guidance=3.0)
    prompt_driven = True
    negative_prompt = "worst quality, inconsistent motion, blurry, jittery, distorted"

    def spatial_multiple(self, pipe: Any) -> int:
        compression = pipe.vae_spatial_compression_ratio * pipe.transformer_spatial_patch_size
        return int(np.lcm(compression, LTX_MIN_MULTIPLE))

    def temporal_factor(self, pipe: Any) -> int:
        return int(pipe.vae_temporal_compression_ratio * pipe.transformer_temporal_patch_size)

    def generate(self, pipe: Any, image: PIL.Image.Image, plan: DiffusersPlan,
                 generator: Any, on_step: StepFn) -> np.ndarray:
        output = pipe(
            image=image, prompt=plan.prompt, negative_prompt=plan.negative_prompt,
            height=plan.native_height, width=plan.native_width, num_frames=plan.native_frames,
            frame_rate=max(1, round(plan.native_fps)), num_inference_steps=plan.steps,
            guidance_scale=plan.guidance, decode_timestep=DECODE_TIMESTEP,
            decode_noise_scale=DECODE_NOISE_SCALE, max_sequence_length=MAX_SEQUENCE_LENGTH,
            generator=generator, output_type="np",
            callback_on_step_end=step_callback(on_step))
        return first_video(output)
