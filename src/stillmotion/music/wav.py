"""WAV files of the mastered music, for `stillmotion music` and for people to listen to."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def to_pcm16(pcm: np.ndarray) -> bytes:
    """Interleaved little-endian 16-bit PCM; rounding, not dither, so the bytes are a pure
    function of the samples (the same seed gives the same file)."""
    scaled = np.round(np.clip(pcm, -1.0, 1.0) * 32767.0).astype("<i2")
    return scaled.tobytes()


def write_wav(path: Path, pcm: np.ndarray, rate: int) -> None:
    """Write frames x channels float PCM (-1..1) as a 16-bit WAV file."""
    # Opened here, not by wave.open(path): on a bad path wave.open raises and then also
    # prints a second error from its half-built writer's destructor.
    with open(path, "wb") as file, wave.open(file, "wb") as out:
        out.setnchannels(pcm.shape[1] if pcm.ndim == 2 else 1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(to_pcm16(pcm))
