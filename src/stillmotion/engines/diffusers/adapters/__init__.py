"""One adapter per supported pipeline family, found by the pipeline's class name."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from stillmotion.engines.diffusers.adapters.base import Adapter
from stillmotion.engines.diffusers.adapters.cogvideox import CogVideoXAdapter
from stillmotion.engines.diffusers.adapters.ltx import LtxAdapter
from stillmotion.engines.diffusers.adapters.svd import SvdAdapter
from stillmotion.engines.diffusers.adapters.wan import WanAdapter

ADAPTERS: tuple[Adapter, ...] = (SvdAdapter(), LtxAdapter(), WanAdapter(), CogVideoXAdapter())


def adapter_for(pipeline_class: str) -> Adapter:
    for adapter in ADAPTERS:
        if adapter.pipeline_class == pipeline_class:
            return adapter
    supported = ", ".join(a.pipeline_class for a in ADAPTERS)
    raise ValueError(f"unsupported pipeline {pipeline_class!r} (supported: {supported})")


def check_model(model: str | None) -> None:
    """Refuse a configuration that cannot work, before any worker starts (and without
    importing torch): no model, the extra not installed, or a local directory that is not a
    diffusers model of a supported family, or whose stillmotion.json is wrong. A hub id is
    only checked when a worker loads it."""
    from stillmotion.engines.diffusers.profile import load_overrides

    if not model:
        raise ValueError("the diffusers engine needs STILLMOTION_DIFFUSERS_MODEL "
                         "(a local model directory or a hub id)")
    missing = [m for m in ("torch", "diffusers", "transformers")
               if importlib.util.find_spec(m) is None]
    if missing:
        raise ValueError(f"the diffusers engine needs {', '.join(missing)}: "
                         "pip install 'stillmotion[diffusers]'")
    directory = Path(model)
    if not directory.is_dir():
        if directory.is_absolute() or model.startswith("."):
            raise ValueError(f"STILLMOTION_DIFFUSERS_MODEL: no directory {model}")
        return  # a hub id
    index = directory / "model_index.json"
    if not index.is_file():
        raise ValueError(f"{model} is not a diffusers model directory (no model_index.json)")
    adapter = adapter_for(str(json.loads(index.read_text()).get("_class_name")))
    adapter.profile.overridden(load_overrides(model))


__all__ = ["ADAPTERS", "Adapter", "adapter_for", "check_model"]
