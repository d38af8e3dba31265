"""Engines: frames from (image, prompt, params, seed), one package per engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stillmotion.engines.base import Engine, Plan, RenderRequest

if TYPE_CHECKING:
    from stillmotion.config import Settings


def load_engine(settings: Settings) -> Engine:
    """The engine a worker keeps loaded for its whole life (never one per task): a
    diffusion model loads its weights here, once."""
    if settings.engine == "motion":
        from stillmotion.engines.motion import MotionEngine

        return MotionEngine()
    if settings.engine == "diffusers":
        try:
            from stillmotion.engines.diffusers import DiffusersEngine
        except ImportError as exc:
            raise RuntimeError("the diffusers engine needs its extra: "
                               "pip install 'stillmotion[diffusers]'") from exc
        return DiffusersEngine(settings)
    raise ValueError(f"unknown engine {settings.engine!r} (available: motion, diffusers)")


__all__ = ["Engine", "Plan", "RenderRequest", "load_engine"]
