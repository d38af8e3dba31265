"""The default CPU engine: a directed camera move through the photo, no model weights.

Steps, each its own module: 1 the prompt's reading (stillmotion.reading, shared with the
diffusers engine and the music), 2 scene (photo -> depth, subject, regions), 3 camera (shot
+ time -> view), 4 render (view -> frame), with local motion and effects on top.
`MotionEngine` in engine.py strings them together.
"""

from stillmotion.engines.motion.engine import MotionEngine, MotionPlan

__all__ = ["MotionEngine", "MotionPlan"]
