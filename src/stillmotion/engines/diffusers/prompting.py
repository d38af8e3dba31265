"""The user's prompt, as the reader read it (stillmotion.reading), for a generative model.

A prompt-driven model is given the user's words plus plain sentences naming the camera,
the subjects' actions and the motion size, words these models were captioned with; what
the prompt ruled out joins the family's negative prompt. An image-only model gets the
amplitude through its own knob instead (see the adapters). The reading is the one every
engine and the music use, so the plan a user sees is what the model was asked.
"""

from __future__ import annotations

from stillmotion.reading import Reading

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
# What a ruled-out label means to a model's negative prompt.
RULED_OUT_WORDS = {"camera_move": "camera movement", "handheld": "camera shake",
                   "people": "people", "text": "text, watermark", "golden": "golden hour",
                   "light": "light rays", "push_in": "zoom in", "pull_out": "zoom out",
                   "dolly_zoom": "dolly zoom"}


def camera_moves(reading: Reading) -> tuple[str, ...]:
    """The moves the prompt named ("auto" is the reader's "none named, pick one from
    the photo": a generative model picks for itself, so it is left out)."""
    return tuple(beat.move for beat in reading.beats if beat.move in CAMERA_WORDS)


def enrich(prompt: str, reading: Reading, amplitude: str) -> str:
    """The prompt plus "Action: ... Camera: ... Subtle, gentle motion." from the reading."""
    camera = ", then ".join(CAMERA_WORDS[move] for move in camera_moves(reading))
    parts = [prompt.strip().rstrip(".")] if prompt.strip() else []
    parts.append(f"Action: {', '.join(reading.actions)}" if reading.actions else "")
    parts.append(f"Camera: {camera}" if camera else "")
    parts.append(AMPLITUDE_WORDS[amplitude].capitalize())
    return ". ".join(p for p in parts if p) + "."


def negative(family_negative: str, reading: Reading) -> str:
    """The family's negative prompt plus what the prompt ruled out ("no rain" -> rain)."""
    ruled_out = [RULED_OUT_WORDS.get(label, label.replace("_?", "").replace("_", " "))
                 for label in reading.negated]
    return ", ".join(p for p in (family_negative, *ruled_out) if p)
