"""The optional GPU engine: open image-to-video diffusion models (extra `[diffusers]`)."""

from __future__ import annotations

from stillmotion.engines.diffusers.engine import DiffusersEngine

__all__ = ["DiffusersEngine"]
