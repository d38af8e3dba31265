"""`movement_amplitude: auto`, resolved in one place.

The engine that renders calls this once; its plan records the answer, and everything
after it (the music's tempo, the model's words) reads the plan, never the request. Pace
words decide first ("slowly" small, "fast" large, over the whole shot: "pan left, then
push in fast" is large); without them the scene does: a wide view without a subject
drifts gently, anything else moves at a medium pace.
"""

from __future__ import annotations

from stillmotion.reading.reader import Reading


def resolve_amplitude(requested: str, reading: Reading, wide: bool = False) -> str:
    """The amplitude to render: `requested` unless it is "auto"."""
    if requested != "auto":
        return requested
    pace = reading.pace
    if pace < 0.999:
        return "small"
    if pace > 1.001:
        return "large"
    return "small" if wide else "medium"
