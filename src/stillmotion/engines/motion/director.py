"""Step 1, the director: read the prompt into a camera move and a pace.

A first, small vocabulary: the motion-engine issue grows it into sequences, effects and
subject motion. Phrases are matched on word boundaries, longest first, so "zoom out" is
never read as "zoom", and a negation ("no camera movement") wins over everything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MOVES = ("push_in", "pull_out", "pan_left", "pan_right", "tilt_up", "tilt_down", "static")
DEFAULT_MOVE = "push_in"

_STATIC_PHRASES = (
    "no camera movement", "no camera motion", "no movement", "static camera", "static shot",
    "still camera", "locked off", "locked-off", "fixed camera", "camera stays still",
    "camera does not move", "camera doesn't move", "tripod", "static",
)
_MOVE_PHRASES: dict[str, tuple[str, ...]] = {
    "pull_out": ("zoom out", "zooms out", "zooming out", "pull out", "pulls out", "pulling out",
                 "pull back", "pulls back", "pulling back", "dolly out", "dolly back",
                 "move away", "moves away", "moving away", "reveal"),
    "push_in": ("zoom in", "zooms in", "zooming in", "push in", "pushes in", "pushing in",
                "dolly in", "move closer", "moves closer", "moving closer", "close up",
                "close-up", "closer", "approach", "approaches", "zoom"),
    "pan_left": ("pan left", "pans left", "panning left", "pan to the left", "pans to the left",
                 "truck left", "camera moves left", "move left"),
    "pan_right": ("pan right", "pans right", "panning right", "pan to the right",
                  "pans to the right", "truck right", "camera moves right", "move right", "pan"),
    "tilt_up": ("tilt up", "tilts up", "tilting up", "camera looks up", "look up", "pan up",
                "crane up", "pedestal up", "rise", "rises"),
    "tilt_down": ("tilt down", "tilts down", "tilting down", "camera looks down", "look down",
                  "pan down", "crane down", "pedestal down", "descend", "descends"),
}
_SLOW_WORDS = ("slowly", "slow", "gently", "gentle", "subtle", "subtly", "calm", "soft", "softly")
_FAST_WORDS = ("fast", "quickly", "quick", "rapid", "rapidly", "dramatic", "dramatically",
               "dynamic", "energetic")


@dataclass(frozen=True)
class Direction:
    """How the prompt was read: the move, a pace factor, and the words that decided them."""

    move: str
    pace: float  # multiplies the move's magnitude: <1 slower, >1 faster
    matched: tuple[str, ...]


def _find(text: str, phrase: str) -> int:
    m = re.search(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", text)
    return m.start() if m else -1


def read_prompt(prompt: str) -> Direction:
    """The camera move the prompt asks for; the first move mentioned wins."""
    text = " ".join(prompt.lower().split())
    matched: list[str] = []
    move = DEFAULT_MOVE
    static = next((p for p in _STATIC_PHRASES if _find(text, p) >= 0), None)
    if static:
        move = "static"
        matched.append(static)
    else:
        best: tuple[int, int, str, str] | None = None  # (position, -length, move, phrase)
        for candidate, phrases in _MOVE_PHRASES.items():
            for phrase in phrases:
                pos = _find(text, phrase)
                if pos >= 0:
                    key = (pos, -len(phrase), candidate, phrase)
                    if best is None or key < best:
                        best = key
        if best is not None:
            move = best[2]
            matched.append(best[3])
    pace = 1.0
    slow = next((w for w in _SLOW_WORDS if _find(text, w) >= 0), None)
    fast = next((w for w in _FAST_WORDS if _find(text, w) >= 0), None)
    if slow and not fast:
        pace, matched = 0.7, [*matched, slow]
    elif fast and not slow:
        pace, matched = 1.3, [*matched, fast]
    return Direction(move=move, pace=pace, matched=tuple(matched))
