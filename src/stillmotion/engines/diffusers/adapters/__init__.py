"""One adapter per supported pipeline family, found by the pipeline's class name."""

from __future__ import annotations

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


__all__ = ["ADAPTERS", "Adapter", "adapter_for"]
