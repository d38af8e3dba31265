"""Step 3, the performance: a Score played by a General MIDI soundfont, in a room.

The soundfont is TimGM6mb.sf2, which the `pretty_midi` wheel ships (so nothing is
downloaded at run time), and the synthesizer is `midirenderer`, a self-contained Rust wheel:
both install from PyPI on a bare machine. (tinysoundfont was the other candidate; its PyPI
dependency pyaudio needs the PortAudio headers to build, which a fresh machine lacks.)

The synthesizer's own reverb is weak, so the dry render is placed in a synthetic room here:
a seeded, exponentially decaying stereo noise tail whose length is the mood's (a church for
mysterious, a small room for energetic). The room's noise uses a fixed seed: it is part of
the instrument, not of the task, so every task hears the same room.
"""

from __future__ import annotations

import io
import wave
from functools import lru_cache
from importlib.resources import files

import numpy as np

from stillmotion.music.composition import Score

SAMPLE_RATE = 48_000  # the contract's AAC track rate, and midirenderer's output rate
SOUNDFONT = "TimGM6mb.sf2"
MIDI_TICKS_PER_BEAT = 960  # ~0.5 ms per tick at 128 bpm: note times land where planned
PRE_DELAY_S = 0.018
ROOM_SEED = 20_240_601
ROOM_CUTOFF_HZ = 5_500.0  # a real room absorbs highs: a bright noise tail sounds like hiss


class RenderError(RuntimeError):
    """The synthesizer refused the piece or returned something that is not 48 kHz stereo."""


@lru_cache(maxsize=1)
def soundfont_bytes() -> bytes:
    """TimGM6mb.sf2 from the installed pretty_midi package (6 MB, read once per process)."""
    return (files("pretty_midi") / SOUNDFONT).read_bytes()


def to_midi(score: Score) -> bytes:
    """A Standard MIDI File of the score, one channel per part, mixed with MIDI controllers.

    A final controller event at the clip's end makes the file (and so the render) exactly
    as long as the clip, landing chord included.
    """
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(resolution=MIDI_TICKS_PER_BEAT,
                                  initial_tempo=score.plan.tempo_bpm)
    for part in score.parts:
        inst = pretty_midi.Instrument(program=part.program, is_drum=part.is_drum, name=part.name)
        inst.control_changes += [
            pretty_midi.ControlChange(7, part.volume, 0.0),   # channel volume
            pretty_midi.ControlChange(10, part.pan, 0.0),     # pan
            pretty_midi.ControlChange(91, 0, 0.0),            # reverb send: the room is ours
            pretty_midi.ControlChange(7, part.volume, score.duration_s),  # end marker
        ]
        inst.notes = [pretty_midi.Note(velocity=n.velocity, pitch=n.pitch, start=n.start,
                                       end=max(n.end, n.start + 0.01)) for n in part.notes]
        midi.instruments.append(inst)
    buffer = io.BytesIO()
    midi.write(buffer)
    return buffer.getvalue()


def synthesize(midi: bytes, frames: int) -> np.ndarray:
    """Play a MIDI file through the soundfont: float32 stereo, exactly `frames` long."""
    import midirenderer

    wav = midirenderer.render_wave_from(soundfont_bytes(), midi)
    with wave.open(io.BytesIO(wav)) as reader:
        if reader.getframerate() != SAMPLE_RATE or reader.getnchannels() != 2 \
                or reader.getsampwidth() != 2:
            raise RenderError(f"the synthesizer returned {reader.getnchannels()} channel(s) of "
                              f"{8 * reader.getsampwidth()}-bit audio at {reader.getframerate()} "
                              f"Hz, not 16-bit stereo at {SAMPLE_RATE} Hz")
        pcm = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    audio = pcm.reshape(-1, 2).astype(np.float32) / 32768.0
    out = np.zeros((frames, 2), dtype=np.float32)
    n = min(frames, audio.shape[0])
    out[:n] = audio[:n]
    return out


@lru_cache(maxsize=8)
def room_response(seconds: float, rate: int = SAMPLE_RATE) -> np.ndarray:
    """A stereo impulse response: pre-delay, then decorrelated noise decaying by 60 dB.

    Left and right tails are independent noise, which is what makes a reverb sound wide;
    a one-pole low-pass darkens them. Normalised to unit energy per channel so `wet`
    means the same in every room.
    """
    from scipy.signal import lfilter

    rng = np.random.default_rng(ROOM_SEED)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    tail = rng.standard_normal((2, n)) * np.exp(-6.9078 * t / seconds)
    a = float(np.exp(-2.0 * np.pi * ROOM_CUTOFF_HZ / rate))
    tail = lfilter([1.0 - a], [1.0, -a], tail, axis=1)
    # A short fade-in of the tail itself: early reflections build up instead of snapping on.
    build = np.minimum(1.0, t / 0.02)
    tail *= build
    tail /= np.sqrt(np.sum(tail**2, axis=1, keepdims=True))
    delay = np.zeros((2, int(PRE_DELAY_S * rate)))
    return np.concatenate([delay, tail], axis=1).astype(np.float32)


def add_room(dry: np.ndarray, seconds: float, wet: float) -> np.ndarray:
    """Mix `dry` (frames x 2) with its reverberation; the output keeps the input's length."""
    from scipy.signal import oaconvolve

    ir = room_response(round(seconds, 3))
    source = dry.astype(np.float32)  # float32 FFTs: half the work, far below audibility
    wet_lr = np.stack([oaconvolve(source[:, ch], ir[ch])[: dry.shape[0]] for ch in range(2)],
                      axis=1)
    return ((1.0 - wet) * dry + wet * wet_lr).astype(np.float32)


def perform(score: Score) -> np.ndarray:
    """The score as heard: synthesised, placed in its mood's room; float32 stereo at 48 kHz."""
    frames = round(score.duration_s * SAMPLE_RATE)
    dry = synthesize(to_midi(score), frames)
    return add_room(dry, score.plan.room_s, score.plan.wet)
