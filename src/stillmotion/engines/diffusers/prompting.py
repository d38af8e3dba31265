"""The user's prompt, read by the motion engine's director, for a generative model.

Why reuse the director: it already reads camera moves, pace and negations ("static
camera") from free text, and its reading is shown to users. A prompt-driven model is
given the user's words plus one plain sentence naming the camera and the motion size it
settled on, words these models were captioned with; an image-only model gets the amplitude
through its own knob instead (see the adapters).
"""

from __future__ import annotations

from stillmotion.engines.motion.director import Direction

CAMERA_WORDS = {
    "push_in": "the camera pushes in", "pull_out": "the camera pulls back",
    "pan_left": "the camera pans left", "pan_right": "the camera pans right",
    "tilt_up": "the camera tilts up", "tilt_down": "the camera tilts down",
    "truck_left": "the camera tracks left", "truck_right": "the camera tracks right",
    "pedestal_up": "the camera cranes up", "pedestal_down": "the camera cranes down",
    "orbit_left": "the camera orbits left around the subject",
    "orbit_right": "the camera orbits right around the subject",
    "dolly_zoom": "a dolly zoom", "handheld": "handheld camera",
    "static": "static camera, no camera movement",
}
AMPLITUDE_WORDS = {"small": "subtle, gentle motion", "medium": "natural motion",
                   "large": "dynamic, energetic motion"}


def amplitude_of(requested: str, direction: Direction) -> str:
    """`auto` follows the prompt's pace words (slowly -> small, fast -> large)."""
    if requested != "auto":
        return requested
    paces = [beat.pace for beat in direction.beats]
    pace = sum(paces) / len(paces) if paces else 1.0
    return "small" if pace < 1.0 else "large" if pace > 1.0 else "medium"


def camera_moves(direction: Direction) -> tuple[str, ...]:
    """The moves the prompt named ("auto" is the director's "none named, pick one from
    the photo": a generative model picks for itself, so it is left out)."""
    return tuple(beat.move for beat in direction.beats if beat.move in CAMERA_WORDS)


def enrich(prompt: str, direction: Direction, amplitude: str) -> str:
    """The prompt plus "Camera: ...; subtle, gentle motion." from the director's reading."""
    camera = ", then ".join(CAMERA_WORDS[move] for move in camera_moves(direction))
    parts = [prompt.strip().rstrip(".")] if prompt.strip() else []
    parts.append(f"Camera: {camera}" if camera else "")
    parts.append(AMPLITUDE_WORDS[amplitude].capitalize())
    return ". ".join(p for p in parts if p) + "."
