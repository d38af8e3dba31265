"""Engines: frames from (image, prompt, params, seed), one package per engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stillmotion.engines.base import Engine, Plan, RenderRequest

if TYPE_CHECKING:
    from stillmotion.config import Settings


# What the motion engine needs from OpenCV's contrib build (opencv-contrib-python-headless).
CONTRIB_MODULES = ("saliency", "ximgproc")


def check_opencv() -> None:
    """Raise ValueError, saying how to mend it, when OpenCV's contrib modules are missing.

    Why: a package that depends on opencv-python(-headless), installed after us, puts the
    plain build's files over the contrib build's (they share the `cv2` package), and every
    render would then fail on `cv2.saliency`, reported to users as an internal error."""
    import cv2

    missing = [name for name in CONTRIB_MODULES if not hasattr(cv2, name)]
    if missing:
        raise ValueError(
            f"OpenCV {cv2.__version__} lacks its contrib modules ({', '.join(missing)}): "
            "another package installed opencv-python or opencv-python-headless over "
            "opencv-contrib-python-headless. Mend it with: pip uninstall -y opencv-python "
            "opencv-python-headless opencv-contrib-python-headless && pip install "
            "opencv-contrib-python-headless")


def load_engine(settings: Settings) -> Engine:
    """The engine a worker keeps loaded for its whole life (never one per task): a
    diffusion model loads its weights here, once."""
    if settings.engine == "motion":
        from stillmotion.engines.motion import MotionEngine

        check_opencv()
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
    else:
        check_opencv()


__all__ = ["Engine", "Plan", "RenderRequest", "check_engine", "check_opencv", "load_engine"]
