"""Stable Video Diffusion (img2vid, img2vid-xt): image only, no prompt.

1. Size: multiples of the VAE factor times the UNet's downsampling (64 for the real
   models); native 1024x576.
2. Frames: any count; the xt checkpoint was trained on 25 frames at about 6 fps, so 4 s
   is 25 frames and 8 s is 25 frames at 3 fps, which retiming brings to 24 fps.
3. movement_amplitude: carried by `motion_bucket_id` (the model's own motion knob, 127 its
   default) and a little noise augmentation for large motion (less tied to the photo,
   freer to move). The prompt cannot steer it; the plan says so by leaving it unused.
4. Call: guidance ramps from 1 on the first frame to `guidance` on the last (the model's
   own scheme); decoding in chunks of 8 frames bounds the VAE's memory.
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

MOTION_BUCKET = {"small": 60, "medium": 127, "large": 190}
NOISE_AUG = {"small": 0.02, "medium": 0.02, "large": 0.05}
DECODE_CHUNK = 8
SVD_MIN_MULTIPLE = 8  # the pipeline refuses sizes that are not multiples of 8


class SvdAdapter(AdapterDefaults):
    family = "svd"
    pipeline_class = "StableVideoDiffusionPipeline"
    profile = Profile(fps=6, max_frames=25, max_area=1024 * 576, steps=25, guidance=3.0)
    prompt_driven = False

    def spatial_multiple(self, pipe: Any) -> int:
        unet_down = 2 ** (len(pipe.unet.config.block_out_channels) - 1)
        return int(np.lcm(pipe.vae_scale_factor * unet_down, SVD_MIN_MULTIPLE))

    def temporal_factor(self, pipe: Any) -> int:
        return 1

    def conditioning(self, amplitude: str) -> dict[str, Any]:
        return {"motion_bucket_id": MOTION_BUCKET[amplitude],
                "noise_aug_strength": NOISE_AUG[amplitude]}

    def generate(self, pipe: Any, image: PIL.Image.Image, plan: DiffusersPlan,
                 generator: Any, on_step: StepFn) -> np.ndarray:
        output = pipe(
            image=image, height=plan.native_height, width=plan.native_width,
            num_frames=plan.native_frames, num_inference_steps=plan.steps,
            min_guidance_scale=1.0, max_guidance_scale=plan.guidance,
            fps=max(1, round(plan.native_fps)), decode_chunk_size=DECODE_CHUNK,
            generator=generator, output_type="np",
            callback_on_step_end=step_callback(on_step),
            **plan.conditioning)
        return first_video(output)
