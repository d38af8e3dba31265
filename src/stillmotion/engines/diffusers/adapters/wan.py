"""Wan 2.x image-to-video (2.1 I2V 480P/720P, 2.2 I2V): the strongest open model here.

1. Size: multiples of the VAE's spatial factor times the patch (16 for the real models);
   native 832x480 (480P checkpoint; a 720P checkpoint's stillmotion.json sets
   "max_area": 921600).
2. Frames: k * 4 + 1 at 16 fps, up to its training length of 81: a 4 s clip is 65
   frames, an 8 s clip 81 frames at 10 fps, which retiming brings to 24 fps.
3. movement_amplitude and the camera: words in the prompt (the engine enriches it).
4. Call: the card's guidance and (translated) negative prompt; the VAE and the CLIP image
   encoder stay in float32 as the card loads them, the transformer takes the dtype.
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

MAX_SEQUENCE_LENGTH = 512


class WanAdapter(AdapterDefaults):
    family = "wan"
    pipeline_class = "WanImageToVideoPipeline"
    profile = Profile(fps=16, max_frames=81, max_area=832 * 480, steps=40, guidance=5.0)
    prompt_driven = True
    negative_prompt = (
        "bright colors, overexposed, static, blurred details, subtitles, style, artwork, "
        "painting, still picture, overall gray, worst quality, low quality, JPEG artifacts, "
        "ugly, deformed, extra fingers, poorly drawn hands, poorly drawn face, disfigured, "
        "misshapen limbs, fused fingers, motionless frame, cluttered background, "
        "walking backwards")
    full_precision: tuple[str, ...] = ("vae", "image_encoder")

    def spatial_multiple(self, pipe: Any) -> int:
        return int(pipe.vae_scale_factor_spatial * pipe.transformer.config.patch_size[1])

    def temporal_factor(self, pipe: Any) -> int:
        return int(pipe.vae_scale_factor_temporal)

    def generate(self, pipe: Any, image: PIL.Image.Image, plan: DiffusersPlan,
                 generator: Any, on_step: StepFn) -> np.ndarray:
        output = pipe(
            image=image, prompt=plan.prompt, negative_prompt=plan.negative_prompt,
            height=plan.native_height, width=plan.native_width, num_frames=plan.native_frames,
            num_inference_steps=plan.steps, guidance_scale=plan.guidance,
            max_sequence_length=MAX_SEQUENCE_LENGTH, generator=generator, output_type="np",
            callback_on_step_end=step_callback(on_step))
        return first_video(output)
