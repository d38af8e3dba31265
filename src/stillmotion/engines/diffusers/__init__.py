"""The optional GPU engine: open image-to-video diffusion models (extra `[diffusers]`).

DiffusersEngine is imported lazily: checking a model directory (`check_model`) must not
pay for importing torch in the API process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stillmotion.engines.diffusers.engine import DiffusersEngine


def __getattr__(name: str) -> Any:
    if name == "DiffusersEngine":
        from stillmotion.engines.diffusers.engine import DiffusersEngine

        return DiffusersEngine
    raise AttributeError(name)


__all__ = ["DiffusersEngine"]
