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
        from stillmotion.engines.diffusers.engine import DiffusersEngine  # checks the model

        return DiffusersEngine(settings)
    raise ValueError(f"unknown engine {settings.engine!r} (available: motion, diffusers)")


def check_engine(settings: Settings) -> None:
    """Raise ValueError, saying what to change, when the configured engine cannot start;
    cheap (no weights, no torch), so `serve` checks before it starts any worker."""
    if settings.engine == "diffusers":
        from stillmotion.engines.diffusers.adapters import check_model

        check_model(settings.diffusers_model)


__all__ = ["Engine", "Plan", "RenderRequest", "check_engine", "load_engine"]
