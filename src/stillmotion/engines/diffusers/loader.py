"""Loading a pipeline once per worker process: which family, which device, which dtype.

Why the family comes from model_index.json and not from a setting: a diffusers model
directory names its pipeline class, so pointing STILLMOTION_DIFFUSERS_MODEL at a
directory (or hub id) is all an operator configures; a wrong directory fails at start with
the classes we support, not at the first task.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from stillmotion.config import Settings
from stillmotion.engines.diffusers.adapters import Adapter, adapter_for, check_model
from stillmotion.engines.diffusers.profile import Profile, load_overrides

log = logging.getLogger("stillmotion.diffusers")

DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}


@dataclass
class Loaded:
    pipe: Any
    adapter: Adapter
    profile: Profile
    device: torch.device
    dtype: torch.dtype
    model_name: str  # for plans and logs: a directory's name, never its full path


def resolve_device(setting: str) -> torch.device:
    if setting == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(setting)


def resolve_dtype(setting: str, device: torch.device) -> torch.dtype:
    """auto: bfloat16 on a GPU that has it (float16 on older ones), float32 on a CPU."""
    if setting != "auto":
        return DTYPES[setting]
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def pipeline_class_of(model: str, local_only: bool) -> str:
    from diffusers import DiffusionPipeline

    config = DiffusionPipeline.load_config(model, local_files_only=local_only)
    return str(config["_class_name"])


def load(settings: Settings) -> Loaded:
    """The configured pipeline on its device, progress bars off, ready for many tasks."""
    import diffusers
    import transformers
    from diffusers import DiffusionPipeline

    # One progress bar per component per worker start is noise in a service's logs.
    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()
    check_model(settings.diffusers_model)
    model = str(settings.diffusers_model)
    local_only = settings.diffusers_local_files_only or Path(model).is_dir()
    adapter = adapter_for(pipeline_class_of(model, local_only))
    profile = adapter.profile.overridden(load_overrides(model))
    if settings.diffusers_steps:
        profile = profile.overridden({"steps": settings.diffusers_steps})
    device = resolve_device(settings.diffusers_device)
    dtype = resolve_dtype(settings.diffusers_dtype, device)
    # Per-component dtypes: the family's card keeps some components in float32.
    dtypes = {"default": dtype, **{name: torch.float32 for name in adapter.full_precision}}
    pipe = DiffusionPipeline.from_pretrained(model, dtype=dtypes, local_files_only=local_only)
    if settings.diffusers_offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif settings.diffusers_offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    name = Path(model).name if Path(model).is_dir() else model
    log.info("loaded %s (%s) on %s as %s, offload %s", name, adapter.family, device,
             str(dtype).removeprefix("torch."), settings.diffusers_offload)
    return Loaded(pipe, adapter, profile, device, dtype, name)
