"""The prompt reader: one module every part of the service reads a prompt through.

The motion engine takes its camera beats, pace, weather and local motion from it; the
diffusers engine the camera and the subject actions it hands to its model; the music
the mood. `auto` amplitude is resolved once (amplitude.resolve) by the engine that
renders, and the music follows what the engine chose.
"""

from stillmotion.reading.amplitude import resolve_amplitude
from stillmotion.reading.reader import EFFECTS, MOODS, MOTIONS, MOVES, Beat, Reading, read_prompt

__all__ = ["EFFECTS", "MOODS", "MOTIONS", "MOVES", "Beat", "Reading", "read_prompt",
           "resolve_amplitude"]
