"""The default CPU engine: a directed camera move through the photo, no model weights.

Steps, each its own module: 1 director (prompt -> shot), 2 camera (shot + time -> view),
3 render (view -> frame). `MotionEngine` in engine.py strings them together.
"""

from stillmotion.engines.motion.engine import MotionEngine, MotionPlan

__all__ = ["MotionEngine", "MotionPlan"]
