"""The diffusers engine on tiny, seeded, randomly initialised pipelines of each family, on
the CPU: the real pipeline classes, loaded from a model directory as real weights are."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from stillmotion.config import Settings
from stillmotion.engines.base import EngineFailure, RenderControl, RenderRequest, RenderStopped
from stillmotion.engines.diffusers import DiffusersEngine
from stillmotion.engines.diffusers.plan import DiffusersPlan
from stillmotion.engines.diffusers.prompting import AMPLITUDE_WORDS
from stillmotion.media.resize import resize_to
from stillmotion.media.sizing import output_size
from tests.conftest import photo, portrait_9x16

FAMILIES = ("svd", "ltx", "wan", "cogvideox")
CHELSEA = photo("chelsea")  # 451x300


def make_engine(model: Path, **settings: Any) -> DiffusersEngine:
    return DiffusersEngine(Settings(engine="diffusers", diffusers_model=str(model),
                                    diffusers_device="cpu", **settings))


@pytest.fixture(scope="module", params=FAMILIES)
def engine(request: pytest.FixtureRequest,
           tiny_model: Callable[[str], Path]) -> DiffusersEngine:
    return make_engine(tiny_model(str(request.param)))


def request_for(prompt: str = "a cat, the camera slowly pushes in", duration: int = 4,
                resolution: str = "360p", amplitude: str = "auto", seed: int = 7,
                image: np.ndarray = CHELSEA) -> RenderRequest:
    return RenderRequest(prompt=prompt, duration=duration, resolution=resolution,
                         movement_amplitude=amplitude, seed=seed,
                         image_width=image.shape[1], image_height=image.shape[0])


def digest(frames: list[np.ndarray]) -> str:
    h = hashlib.sha256()
    for frame in frames:
        h.update(frame.tobytes())
    return h.hexdigest()


def denoiser(engine: DiffusersEngine) -> torch.nn.Module:
    pipe = engine.loaded.pipe
    return pipe.unet if engine.loaded.adapter.family == "svd" else pipe.transformer


class Calls:
    """Counts a module's forward passes (an observation hook; the module runs as it is)."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.count = 0
        self._handle = module.register_forward_hook(self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> Calls:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._handle.remove()


def test_renders_exactly_the_contracts_clip_starting_on_the_photo(
        engine: DiffusersEngine) -> None:
    plan = engine.plan(request_for(), CHELSEA)
    assert isinstance(plan, DiffusersPlan)
    width, height = output_size(451, 300, "360p")  # the contract's size for this photo
    assert (plan.width, plan.height, plan.fps, plan.frame_count) == (width, height, 24, 96)
    multiple = engine.loaded.adapter.spatial_multiple(engine.loaded.pipe)
    assert plan.native_width % multiple == 0 and plan.native_height % multiple == 0
    factor = engine.loaded.adapter.temporal_factor(engine.loaded.pipe)
    assert (plan.native_frames - 1) % factor == 0
    json.dumps(plan.to_dict())  # shown to users in debug_info: plain data
    frames = list(engine.frames(plan, CHELSEA))
    assert len(frames) == 96
    assert all(f.shape == (height, width, 3) and f.dtype == np.uint8 for f in frames)
    assert np.array_equal(frames[0], resize_to(CHELSEA, width, height))
    assert not np.array_equal(frames[-1], frames[0])  # the model's frames follow


def test_eight_seconds_at_720p(engine: DiffusersEngine) -> None:
    plan = engine.plan(request_for(duration=8, resolution="720p"), CHELSEA)
    assert (plan.width, plan.height) == output_size(451, 300, "720p")
    assert plan.frame_count == 8 * 24
    native = engine.generate(plan, CHELSEA)
    assert len(native) == plan.native_frames
    assert native[0].shape == (plan.native_height, plan.native_width, 3)


def test_same_seed_same_frames_and_another_seed_other_frames(engine: DiffusersEngine) -> None:
    first = engine.generate(engine.plan(request_for(seed=7), CHELSEA), CHELSEA)
    again = engine.generate(engine.plan(request_for(seed=7), CHELSEA), CHELSEA)
    other = engine.generate(engine.plan(request_for(seed=8), CHELSEA), CHELSEA)
    assert digest(first) == digest(again)
    assert digest(first) != digest(other)


def test_progress_comes_from_every_denoising_step(engine: DiffusersEngine) -> None:
    plan = engine.plan(request_for(), CHELSEA)
    reported: list[float] = []
    with Calls(denoiser(engine)) as calls:
        engine.generate(plan, CHELSEA, RenderControl(reported.append, lambda: False))
    assert len(reported) == plan.steps + 1  # each step, then the decode
    assert reported == sorted(reported) and reported[-1] == 1.0
    assert calls.count >= plan.steps


@pytest.mark.parametrize("family", FAMILIES)
def test_a_cancel_stops_mid_denoise_without_decoding(
    tiny_model: Callable[[str], Path], family: str) -> None:
    engine = make_engine(tiny_model(family), diffusers_steps=8)
    plan = engine.plan(request_for(), CHELSEA)
    assert plan.steps == 8
    with Calls(denoiser(engine)) as uncancelled:
        engine.generate(plan, CHELSEA)
    per_step = uncancelled.count // plan.steps
    asked = 0

    def stop_after_two() -> bool:
        nonlocal asked
        asked += 1
        return asked > 2

    with Calls(denoiser(engine)) as steps, Calls(engine.loaded.pipe.vae.decoder) as decodes:
        with pytest.raises(RenderStopped):
            list(engine.frames(plan, CHELSEA, RenderControl(lambda _f: None,
                                                            stop_after_two)))
    assert steps.count == 3 * per_step  # stopped after step 3 of 8
    assert decodes.count == 0  # a cancelled video is never decoded
    # and the engine is free: the next render completes
    assert len(engine.generate(plan, CHELSEA)) == plan.native_frames


def test_out_of_memory_fails_the_task_and_the_next_one_renders(engine: DiffusersEngine) -> None:
    plan = engine.plan(request_for(), CHELSEA)
    reference = engine.generate(plan, CHELSEA)

    def out_of_memory(*_args: Any) -> None:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    handle = denoiser(engine).register_forward_pre_hook(out_of_memory)
    try:
        with pytest.raises(EngineFailure) as failure:
            engine.generate(plan, CHELSEA)
    finally:
        handle.remove()
    reason = failure.value.reason
    assert "ran out of GPU memory" in reason
    assert f"{plan.native_width}x{plan.native_height}" in reason
    assert "lower resolution" in reason and "STILLMOTION_DIFFUSERS_OFFLOAD" in reason
    assert digest(engine.generate(plan, CHELSEA)) == digest(reference)


def test_movement_amplitude_and_camera_reach_the_model(engine: DiffusersEngine) -> None:
    adapter = engine.loaded.adapter
    plans = {a: engine.plan(request_for(prompt="a cat", amplitude=a), CHELSEA)
             for a in ("small", "medium", "large")}
    if adapter.family == "svd":  # image only: its own motion knob carries it
        buckets = [plans[a].conditioning["motion_bucket_id"] for a in plans]
        assert buckets == sorted(buckets) and len(set(buckets)) == 3
        assert all(p.prompt == "" for p in plans.values())
    else:  # prompt-driven: words the model was captioned with
        for amplitude, plan in plans.items():
            assert plan.prompt.startswith("a cat")
            assert AMPLITUDE_WORDS[amplitude] in plan.prompt.lower()
        static = engine.plan(request_for(prompt="a cat, static camera"), CHELSEA)
        assert static.camera == ("static",) and "no camera movement" in static.prompt
        moving = engine.plan(request_for(prompt="pan left, then push in fast"), CHELSEA)
        assert moving.camera == ("pan_left", "push_in")
        assert "pans left, then the camera pushes in" in moving.prompt
        assert moving.amplitude == "large"  # the second beat's pace counts too
    assert engine.plan(request_for(prompt="slowly"), CHELSEA).amplitude == "small"
    assert engine.plan(request_for(prompt="fast"), CHELSEA).amplitude == "large"


def test_subject_actions_and_what_is_ruled_out_reach_the_model(engine: DiffusersEngine) -> None:
    """The motion engine cannot make a cat blink; a generative model can, so the reader's
    actions are named to it, and what the prompt rules out joins its negative prompt."""
    plan = engine.plan(request_for(prompt="the cat blinks and turns its head, no rain, "
                                          "don't pan"), CHELSEA)
    assert plan.actions == ("blinks", "turns head")
    assert set(plan.negated) == {"rain", "pan_?"}
    assert plan.camera == ()  # "don't pan" names no move; the cat's head is not a camera
    if engine.loaded.adapter.prompt_driven:
        assert "Action: blinks, turns head." in plan.prompt
        negative = plan.negative_prompt.split(", ")
        assert "rain" in negative and "pan" in negative
        assert plan.negative_prompt.startswith(engine.loaded.adapter.negative_prompt)
    else:  # an image-only model reads no words at all
        assert plan.prompt == "" and plan.negative_prompt == ""


def test_a_directory_of_an_unsupported_pipeline_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model_index.json").write_text(json.dumps(
        {"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.42.1"}))
    with pytest.raises(ValueError, match="unsupported pipeline 'StableDiffusionPipeline'"):
        make_engine(tmp_path)
    with pytest.raises(ValueError, match="STILLMOTION_DIFFUSERS_MODEL"):
        DiffusersEngine(Settings(engine="diffusers", diffusers_model=None))


def test_a_model_directory_profile_overrides_the_family_defaults(
        tiny_model: Callable[[str], Path]) -> None:
    engine = make_engine(tiny_model("wan"))
    assert engine.loaded.profile.steps == 2 and engine.loaded.profile.fps == 8  # tiny's own
    assert make_engine(tiny_model("wan"), diffusers_steps=5).loaded.profile.steps == 5


def test_bfloat16_keeps_the_families_full_precision_parts(
        tiny_model: Callable[[str], Path]) -> None:
    """The reduced-precision path a GPU takes (bf16), here on the CPU: the transformer in
    bfloat16, Wan's VAE and image encoder in float32 as its card loads them, and a clip
    close to the float32 one."""
    engine = make_engine(tiny_model("wan"), diffusers_dtype="bfloat16")
    pipe = engine.loaded.pipe
    assert pipe.transformer.dtype == torch.bfloat16
    assert pipe.text_encoder.dtype == torch.bfloat16
    assert pipe.vae.dtype == torch.float32 and pipe.image_encoder.dtype == torch.float32
    plan = engine.plan(request_for(), CHELSEA)
    full_engine = make_engine(tiny_model("wan"))
    half = np.stack(engine.generate(plan, CHELSEA)).astype(float)
    full = np.stack(full_engine.generate(plan, CHELSEA)).astype(float)
    reseeded = np.stack(full_engine.generate(
        full_engine.plan(request_for(seed=8), CHELSEA), CHELSEA)).astype(float)
    assert half.shape == full.shape
    # bf16 rounding moves the clip less than another seed does (measured 1.2 vs 2.2 levels)
    assert np.mean(np.abs(half - full)) < np.mean(np.abs(reseeded - full))


def test_a_fixed_size_model_is_stretched_to_its_size_and_back(
        tiny_model: Callable[[str], Path]) -> None:
    """CogVideoX 1.0 I2V makes one size only (learned positional embeddings): a 9:16 photo
    is generated at the model's 3:2 and conformed back to the contract's 9:16 exactly."""
    engine = make_engine(tiny_model("cogvideox"))
    fixed = engine.loaded.adapter.fixed_size(engine.loaded.pipe)
    assert fixed is not None
    portrait = portrait_9x16()
    plan = engine.plan(request_for(image=portrait), portrait)
    assert (plan.native_width, plan.native_height) == fixed
    width, height = output_size(portrait.shape[1], portrait.shape[0], "360p")
    frames = list(engine.frames(plan, portrait))
    assert len(frames) == 96 and frames[-1].shape == (height, width, 3)
    assert np.array_equal(frames[0], resize_to(portrait, width, height))
    # its length is learned too: one frame count for every duration, retimed to the clip
    length = engine.loaded.adapter.fixed_frames(engine.loaded.pipe)
    assert length is not None
    for duration in (4, 8):
        assert engine.plan(request_for(duration=duration), CHELSEA).native_frames == length
