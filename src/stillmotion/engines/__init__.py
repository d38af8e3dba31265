"""Engines: frames from (image, prompt, params, seed), one package per engine."""

from __future__ import annotations

from stillmotion.engines.base import Engine, Plan, RenderRequest


def load_engine(name: str) -> Engine:
    """The engine a worker keeps loaded for its whole life (never one per task)."""
    if name == "motion":
        from stillmotion.engines.motion import MotionEngine

        return MotionEngine()
    raise ValueError(f"unknown engine {name!r} (available: motion)")


__all__ = ["Engine", "Plan", "RenderRequest", "load_engine"]
