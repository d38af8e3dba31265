"""Step 2, the composition: a mood and a length become notes, seeded.

`plan_music` makes the decisions a person would want to read (key, mode, tempo, chords,
instruments) into a small `MusicPlan`; `compose` turns that plan into a `Score` of notes
for a General MIDI synthesizer. Both are pure functions of their inputs and the task seed,
so the same task gives the same music on every worker.

The piece is written to the clip, not cut from a loop: the tempo is adjusted (by at most
half a beat over the clip) so a whole number of beats fills the video exactly, the chords
are laid out so the phrase lands on the tonic for the last chord, and that last chord rings
into the fade-out that ends on the video's last frame.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from stillmotion.music.mood import MoodReading

SALT = 0x6D75_7369  # "musi": keeps the music's random stream apart from the engine's

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
ROMAN = {"i": 0, "ii": 1, "iii": 2, "iv": 3, "v": 4, "vi": 5, "vii": 6}

# General MIDI program names for the plan (only those the styles use).
GM_NAMES = {
    0: "acoustic grand piano", 8: "celesta", 9: "glockenspiel", 10: "music box",
    11: "vibraphone", 12: "marimba", 24: "nylon guitar", 25: "steel guitar",
    32: "acoustic bass", 33: "fingered bass", 38: "synth bass 1", 39: "synth bass 2",
    40: "violin", 42: "cello", 43: "contrabass", 45: "pizzicato strings", 46: "harp",
    48: "string ensemble", 49: "slow strings", 52: "choir aahs", 58: "tuba",
    60: "french horn", 61: "brass section", 71: "clarinet", 73: "flute", 80: "square lead",
    81: "saw lead", 88: "new age pad", 89: "warm pad", 90: "polysynth pad", 91: "choir pad",
    92: "bowed pad", 95: "sweep pad",
}
# General MIDI percussion keys (channel 10).
KICK, CLAP, SNARE, CLOSED_HAT, OPEN_HAT, CRASH = 36, 39, 38, 42, 46, 49
LOW_TOM, MID_TOM, TAMBOURINE, SHAKER = 41, 45, 54, 70

# Fades: long enough to never click and to let the landing chord die away, short enough
# that the music is there from the first second of a 4 s clip.
FADE_IN_S = 0.12
FADE_OUT_SHARE = 0.2  # of the clip
FADE_OUT_MAX_S = 1.6
# Which chords a short clip drops first when a progression does not fit (see _sequence).
DROP_FIRST = ("I", "i", "iii", "III", "ii", "ii°", "vi", "VII", "VI", "iv", "IV", "v", "V")
TARGET_CHORDS = 5  # a four-chord phrase plus the landing: what a short cue sounds like


@dataclass(frozen=True)
class Style:
    """How one mood is played: the choices a seed picks from, and the fixed habits."""

    mode: str
    tempo: tuple[float, float]
    tonics: tuple[int, ...]
    progressions: tuple[tuple[str, ...], ...]
    pad: tuple[int, ...]
    bass: tuple[int, ...]
    bass_kind: str  # held | pulse | walk | eighths
    arp: tuple[int, ...] = ()
    arp_step: float = 0.5  # beats between arpeggio notes
    arp_pattern: str = "updown"  # updown | broken | ostinato | sparse
    melody: tuple[int, ...] = ()
    melody_cells: tuple[tuple[float, ...], ...] = ((1.0, 1.0),)
    drums: str | None = None  # light | drive | taiko
    room_s: float = 1.8  # reverb time (RT60) of the room it is played in
    wet: float = 0.25  # reverb mix
    loud: dict[str, int] = field(default_factory=dict)  # velocity per part


STYLES: dict[str, Style] = {
    "calm": Style(
        mode="major", tempo=(64, 76), tonics=(0, 2, 5, 7),
        progressions=(("I", "V", "vi", "IV"), ("I", "IV", "I", "V"), ("I", "iii", "IV", "V"),
                      ("I", "vi", "IV", "V")),
        pad=(89, 88, 49), bass=(32,), bass_kind="held",
        arp=(46, 0, 11), arp_step=1.0, arp_pattern="updown",
        room_s=2.2, wet=0.3, loud={"pad": 52, "bass": 70, "arp": 90}),
    "happy": Style(
        mode="major", tempo=(108, 124), tonics=(0, 2, 4, 5, 7, 9),
        progressions=(("I", "V", "vi", "IV"), ("I", "IV", "V", "IV"), ("I", "vi", "IV", "V"),
                      ("I", "IV", "ii", "V")),
        pad=(88, 48), bass=(33, 32), bass_kind="walk",
        arp=(24, 25), arp_step=0.5, arp_pattern="broken",
        melody=(12, 9, 11), melody_cells=((0.5, 0.5, 1.0), (1.0, 0.5, 0.5), (1.0, 1.0),
                                           (0.5, 0.5, 0.5, 0.5)),
        drums="light", room_s=1.2, wet=0.16,
        loud={"pad": 50, "bass": 82, "arp": 62, "melody": 92, "drums": 70}),
    "epic": Style(
        mode="minor", tempo=(84, 100), tonics=(2, 0, 4, 9),
        progressions=(("i", "VI", "III", "VII"), ("i", "VII", "VI", "VII"),
                      ("i", "iv", "VI", "V"), ("i", "VI", "VII", "V")),
        pad=(48, 52, 49), bass=(43, 58), bass_kind="held",
        arp=(48, 45), arp_step=0.5, arp_pattern="ostinato",
        melody=(60, 61), melody_cells=((2.0,), (1.5, 0.5), (1.0, 1.0), (3.0, 1.0)),
        drums="taiko", room_s=2.6, wet=0.28,
        loud={"pad": 78, "bass": 88, "arp": 70, "melody": 90, "drums": 96}),
    "mysterious": Style(
        mode="minor", tempo=(66, 80), tonics=(2, 4, 9, 11),
        progressions=(("i", "VI", "iv", "V"), ("i", "iv", "i", "V"), ("i", "VI", "ii°", "V"),
                      ("i", "VII", "VI", "V")),
        pad=(95, 91, 92), bass=(43, 39), bass_kind="held",
        arp=(8, 10, 11), arp_step=0.5, arp_pattern="sparse",
        room_s=2.8, wet=0.38, loud={"pad": 60, "bass": 72, "arp": 90}),
    "sad": Style(
        mode="minor", tempo=(60, 72), tonics=(9, 4, 2, 7),
        progressions=(("i", "VI", "III", "VII"), ("i", "iv", "VII", "III"),
                      ("i", "VI", "iv", "V"), ("i", "iv", "VI", "V")),
        pad=(49, 48, 89), bass=(42, 32), bass_kind="held",
        melody=(0, 71), melody_cells=((2.0,), (1.0, 1.0), (1.5, 0.5), (1.0, 0.5, 0.5)),
        room_s=2.4, wet=0.3, loud={"pad": 56, "bass": 66, "melody": 90}),
    "romantic": Style(
        mode="major", tempo=(70, 84), tonics=(5, 10, 3, 0),
        progressions=(("I", "vi", "IV", "V"), ("I", "iii", "vi", "IV"), ("I", "V", "vi", "IV"),
                      ("IV", "V", "iii", "vi")),
        pad=(49, 48, 89), bass=(32, 42), bass_kind="pulse",
        arp=(0, 46), arp_step=0.5, arp_pattern="broken",
        melody=(73, 40, 71), melody_cells=((2.0,), (1.5, 0.5), (1.0, 1.0), (1.0, 0.5, 0.5)),
        room_s=2.2, wet=0.3, loud={"pad": 58, "bass": 66, "arp": 64, "melody": 84}),
    "energetic": Style(
        mode="minor", tempo=(122, 134), tonics=(9, 4, 7, 2),
        progressions=(("i", "VI", "III", "VII"), ("i", "VII", "VI", "VII"),
                      ("i", "iv", "VII", "VI"), ("i", "VI", "VII", "v")),
        pad=(90, 81), bass=(38, 39), bass_kind="eighths",
        arp=(81, 80), arp_step=0.25, arp_pattern="updown",
        drums="drive", room_s=1.0, wet=0.12,
        loud={"pad": 50, "bass": 92, "arp": 66, "drums": 100}),
}


@dataclass(frozen=True)
class MusicPlan:
    """What the music will be, decided before a note is written; shown in the task's plan."""

    mood: str
    reasons: tuple[str, ...]
    scores: dict[str, float]
    seed: int
    duration_s: float
    key: str
    tonic: int  # pitch class, C = 0
    mode: str
    tempo_bpm: float
    beats: float  # in the whole clip; the landing chord rings through the last, partial one
    chords: tuple[str, ...]
    chord_beats: tuple[float, ...]
    instruments: dict[str, int]  # part -> GM program
    drums: str | None
    fade_in_s: float
    fade_out_s: float
    room_s: float
    wet: float

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["instruments"] = {part: f"{GM_NAMES.get(p, 'program')} ({p})"
                               for part, p in self.instruments.items()}
        return data


@dataclass(frozen=True)
class Note:
    pitch: int
    start: float  # seconds
    end: float
    velocity: int


@dataclass(frozen=True)
class Part:
    """One instrument's notes, with its mixer settings (MIDI volume 0..127, pan 0..127)."""

    name: str
    program: int
    is_drum: bool
    notes: tuple[Note, ...]
    volume: int = 100
    pan: int = 64


@dataclass(frozen=True)
class Score:
    plan: MusicPlan
    parts: tuple[Part, ...]

    @property
    def duration_s(self) -> float:
        return self.plan.duration_s


def _rng(seed: int, *salt: int) -> np.random.Generator:
    return np.random.default_rng([seed & 0xFFFF_FFFF, SALT, *salt])


def _layout(beats: float, beat_s: float, fade_out_s: float,
            target: int = TARGET_CHORDS) -> tuple[float, ...]:
    """Beats per chord: equal chords of 1, 2 or 4 beats, then the landing chord.

    The tempo is the mood's, untouched, so the clip need not hold a whole number of beats:
    the landing chord starts on a beat and rings to the clip's end, however long that is
    (from half a chord to nearly two), and should arrive before most
    of the fade-out has gone by. Among the layouts that fit, the one whose chord count is
    nearest `target` wins, so a 4 s calm cue still moves through a phrase and an 8 s
    energetic one does not rush through eight chords.
    """
    best: tuple[float, int, int] | None = None
    for size in (4, 2, 1):
        for count in range(2, int(beats) + 2):
            landing = beats - size * (count - 1)
            if landing < max(1.0, size / 2.0) or landing >= 2.0 * size:
                continue
            cost = abs(count - target) + (2.0 if count < 3 else 0.0) \
                + (0.5 if size == 1 else 0.0) + (0.3 if landing < size else 0.0) \
                + (3.0 if landing * beat_s < 0.9 * fade_out_s else 0.0) \
                + max(0.0, landing - size) / size
            if best is None or cost < best[0]:
                best = (cost, size, count)
    if best is None:  # too few beats for any phrase: one chord
        return (round(beats, 3),)
    _cost, size, count = best
    return (*([float(size)] * (count - 1)), round(beats - size * (count - 1), 3))


def _sequence(progression: tuple[str, ...], count: int) -> tuple[str, ...]:
    """`count` chords: the progression fitted to the slots before the landing, then the tonic.

    The chord before the landing is always the progression's last (its cadence), and the
    first is its first whenever there is room for both; a short clip drops middle chords.
    """
    tonic = "I" if progression[0].isupper() else "i"
    before = count - 1
    if before <= 0:
        return (tonic,)
    if before == 1:
        body: tuple[str, ...] = (progression[-1],)
    elif before <= len(progression):
        # Shortened from the middle, weakest chord first: the opening chord, the cadence and
        # the subdominant/dominant make a key sound like itself, while the mediant and the
        # relative chords pull toward the relative key ("I iii V" reads as iii's minor).
        middle = list(progression[1:-1])
        while len(middle) > before - 2:
            middle.remove(min(middle, key=lambda c: (DROP_FIRST.index(c), -middle.index(c))))
        body = (progression[0], *middle, progression[-1])
    else:
        extra = before - len(progression)
        body = (*(progression * (extra // len(progression) + 1))[:extra], *progression)
    return (*body, tonic)


def plan_music(reading: MoodReading, duration_s: float, seed: int) -> MusicPlan:
    """Key, tempo, chords and instruments for this mood and length, picked by the seed."""
    style = STYLES[reading.mood]
    rng = _rng(seed, 1)
    lo, hi = style.tempo
    tempo = round(float(rng.uniform(lo, hi)) * reading.tempo_nudge, 1)
    beats = duration_s * tempo / 60.0
    fade_out = round(min(FADE_OUT_MAX_S, FADE_OUT_SHARE * duration_s), 4)
    layout = _layout(beats, 60.0 / tempo, fade_out)
    progression = style.progressions[int(rng.integers(len(style.progressions)))]
    tonic = style.tonics[int(rng.integers(len(style.tonics)))]
    instruments = {"pad": style.pad[int(rng.integers(len(style.pad)))],
                   "bass": style.bass[int(rng.integers(len(style.bass)))]}
    if style.arp:
        instruments["arp"] = style.arp[int(rng.integers(len(style.arp)))]
    if style.melody:
        instruments["melody"] = style.melody[int(rng.integers(len(style.melody)))]
    return MusicPlan(
        mood=reading.mood, reasons=reading.reasons, scores=reading.scores, seed=seed,
        duration_s=float(duration_s), key=f"{PITCH_NAMES[tonic]} {style.mode}", tonic=tonic,
        mode=style.mode, tempo_bpm=tempo, beats=round(beats, 3),
        chords=_sequence(progression, len(layout)), chord_beats=layout,
        instruments=instruments, drums=style.drums, fade_in_s=FADE_IN_S, fade_out_s=fade_out,
        room_s=style.room_s, wet=style.wet,
    )


# --- from plan to notes ------------------------------------------------------------------

def chord_pitch_classes(numeral: str, tonic: int, mode: str) -> tuple[int, int, int]:
    """Root, third, fifth of a roman numeral: the root from the key's scale, the quality
    from the numeral's case ("V" in a minor key is the harmonic-minor major dominant)."""
    scale = MAJOR if mode == "major" else MINOR
    name = numeral.rstrip("°")
    degree = ROMAN[name.lower()]
    root = (tonic + scale[degree]) % 12
    if numeral.endswith("°"):
        third, fifth = 3, 6
    elif name.isupper():
        third, fifth = 4, 7
    else:
        third, fifth = 3, 7
    return root, (root + third) % 12, (root + fifth) % 12


def _in_range(pc: int, low: int) -> int:
    """The lowest MIDI pitch of class `pc` at or above `low`."""
    return low + (pc - low) % 12


def _voicings(pcs: tuple[int, int, int], low: int, high: int) -> list[tuple[int, ...]]:
    """Close-position triads (every inversion, every octave in range) plus the root on top."""
    out: list[tuple[int, ...]] = []
    for inversion in range(3):
        order = pcs[inversion:] + pcs[:inversion]
        for base in range(low, high - 7):
            if base % 12 != order[0]:
                continue
            notes = [base]
            for pc in order[1:]:
                notes.append(_in_range(pc, notes[-1] + 1))
            top = _in_range(pcs[0], notes[-1] + 1)
            if top <= high:
                notes.append(top)
            if notes[-1] <= high:
                out.append(tuple(notes))
    return out


def _lead(previous: tuple[int, ...] | None, options: list[tuple[int, ...]],
          centre: float) -> tuple[int, ...]:
    """The voicing that moves least from the previous chord (smooth voice leading)."""
    def cost(v: tuple[int, ...]) -> float:
        if previous is None:
            return abs(float(np.mean(v)) - centre)
        return sum(abs(a - b) for a, b in zip(sorted(v)[:3], sorted(previous)[:3], strict=True))
    return min(options, key=lambda v: (cost(v), v))


class _Writer:
    """Collects notes for one part, clipping them to the clip and humanising velocity."""

    def __init__(self, rng: np.random.Generator, end_s: float) -> None:
        self.notes: list[Note] = []
        self._rng, self._end = rng, end_s

    def add(self, pitch: int, start: float, length: float, velocity: float) -> None:
        if start >= self._end - 1e-6:
            return
        end = min(start + length, self._end)
        vel = int(np.clip(round(velocity + float(self._rng.normal(0.0, 3.0))), 1, 127))
        self.notes.append(Note(int(pitch), round(start, 6), round(end, 6), vel))


def compose(plan: MusicPlan) -> Score:
    """Every note of the piece: pad, bass, arpeggio and/or melody, and drums if the mood
    has them."""
    style = STYLES[plan.mood]
    beat = 60.0 / plan.tempo_bpm
    end = plan.duration_s
    starts = np.concatenate([[0.0], np.cumsum(plan.chord_beats)[:-1]])
    chords = [chord_pitch_classes(c, plan.tonic, plan.mode) for c in plan.chords]
    loud = style.loud
    parts: list[Part] = []

    # Pad: each chord held for its slot, voice-led; the landing chord rings to the end.
    pad = _Writer(_rng(plan.seed, 2), end)
    previous: tuple[int, ...] | None = None
    for i, pcs in enumerate(chords):
        voicing = _lead(previous, _voicings(pcs, 52, 76), centre=64.0)
        previous = voicing
        length = plan.chord_beats[i] * beat + (0.08 if i < len(chords) - 1 else end)
        for pitch in voicing:
            pad.add(pitch, starts[i] * beat, length, loud.get("pad", 64))
    parts.append(Part("pad", plan.instruments["pad"], False, tuple(pad.notes), 100, 64))

    # Bass: the chord roots, in the rhythm of the mood.
    bass = _Writer(_rng(plan.seed, 3), end)
    for i, (root, _third, fifth) in enumerate(chords):
        low = _in_range(root, 36)
        t0, n = starts[i] * beat, int(plan.chord_beats[i])
        last = i == len(chords) - 1
        vel = loud.get("bass", 80)
        if style.bass_kind == "held" or last:
            bass.add(low, t0, n * beat + (end if last else 0.02), vel)
            if plan.mood == "epic" and not last:
                bass.add(low + 12, t0, n * beat, vel - 20)
        elif style.bass_kind == "pulse":
            for b in range(0, n, 2):
                pitch = low if b % 4 == 0 else _in_range(fifth, low)
                bass.add(pitch, t0 + b * beat, min(2, n - b) * beat * 0.95, vel - 6 * (b % 4 > 0))
        elif style.bass_kind == "walk":
            steps = (low, _in_range(fifth, low), low + 12, _in_range(fifth, low))
            for b in range(n):
                bass.add(steps[b % 4], t0 + b * beat, beat * 0.8, vel - 8 * (b % 2))
        else:  # eighths: a driving pulse, octave jumps on the offbeats
            for k in range(n * 2):
                pitch = low + 12 if k % 4 == 3 else low
                bass.add(pitch, t0 + k * beat / 2, beat * 0.42, vel - 14 * (k % 2))
    parts.append(Part("bass", plan.instruments["bass"], False, tuple(bass.notes), 100, 64))

    if "arp" in plan.instruments:
        parts.append(Part("arp", plan.instruments["arp"], False,
                          _arpeggio(plan, style, chords, starts, beat), 100, 44))
    if "melody" in plan.instruments:
        parts.append(Part("melody", plan.instruments["melody"], False,
                          _melody(plan, style, chords, starts, beat), 100, 84))
    if style.drums:
        parts.append(Part("drums", 0, True, _drums(plan, style.drums, starts, beat), 100, 64))
    return Score(plan, tuple(parts))


def _arpeggio(plan: MusicPlan, style: Style, chords: list[tuple[int, int, int]],
              starts: np.ndarray, beat: float) -> tuple[Note, ...]:
    """Broken chords on a steady grid; the landing chord gets one last, slower rise."""
    rng = _rng(plan.seed, 4)
    out = _Writer(rng, plan.duration_s)
    vel = style.loud.get("arp", 70)
    low = 48 if style.arp_pattern == "ostinato" else 60
    step = style.arp_step
    for i, pcs in enumerate(chords):
        tones = sorted(_in_range(pc, low) for pc in pcs)
        tones += [t + 12 for t in tones]
        if style.arp_pattern == "updown":
            order = tones + tones[-2:0:-1]
        elif style.arp_pattern == "broken":  # Alberti-like: low, high, middle, high
            order = [tones[0], tones[2], tones[1], tones[2], tones[3], tones[2], tones[1], tones[2]]
        elif style.arp_pattern == "ostinato":  # the root hammered, chord tones between
            order = [tones[0], tones[0], tones[1], tones[0], tones[2], tones[0], tones[1], tones[3]]
        else:  # sparse: a music-box figure with rests and octave leaps
            order = [tones[3], tones[1], tones[4], tones[2], tones[5], tones[0]]
        t0, n = starts[i] * beat, int(plan.chord_beats[i])
        last = i == len(chords) - 1
        count = int(round(n / step))
        if last:  # the landing: the chord rises once, slowly, then rings
            for k, pitch in enumerate(tones[:4]):
                out.add(pitch, t0 + k * beat * max(step, 0.5), plan.duration_s, vel - 4 * k)
            continue
        for k in range(count):
            if style.arp_pattern == "sparse" and rng.random() < 0.3:
                continue  # rests make the figure feel searching rather than mechanical
            accent = 8 if (k * step) % 1.0 == 0 else 0
            out.add(order[k % len(order)], t0 + k * step * beat, step * beat * 1.6,
                    vel - 8 + accent)
    return tuple(out.notes)


def _melody(plan: MusicPlan, style: Style, chords: list[tuple[int, int, int]],
            starts: np.ndarray, beat: float) -> tuple[Note, ...]:
    """A seeded line: chord tones on chord changes, scale steps between, tonic at the end.

    The walk moves by step more often than by leap and turns back at the edges of a
    singable range, so it sounds like a tune rather than a random sequence.
    """
    rng = _rng(plan.seed, 5)
    out = _Writer(rng, plan.duration_s)
    scale = MAJOR if plan.mode == "major" else MINOR
    low, high = 62, 84
    pool = [p for p in range(low, high + 1) if (p - plan.tonic) % 12 in scale]
    vel = style.loud.get("melody", 85)
    pitch = _in_range(chords[0][0], 67)
    for i, pcs in enumerate(chords):
        t0, n = float(starts[i]), int(plan.chord_beats[i])
        if i == len(chords) - 1:  # land on the tonic nearest the line, and hold it
            target = min((p for p in pool if p % 12 == plan.tonic),
                         key=lambda p: (abs(p - pitch), p))
            out.add(target, t0 * beat, plan.duration_s, vel + 4)
            break
        t = 0.0
        while t < n - 1e-6:
            cell = style.melody_cells[int(rng.integers(len(style.melody_cells)))]
            for k, length in enumerate(cell):
                if t >= n - 1e-6:
                    break
                length = min(length, n - t)
                if t == 0.0 and k == 0:  # a chord change: move to the nearest chord tone
                    pitch = min((p for p in pool if p % 12 in pcs),
                                key=lambda p: (abs(p - pitch), p))
                else:
                    idx = pool.index(pitch) if pitch in pool else len(pool) // 2
                    move = int(rng.choice((-2, -1, -1, 1, 1, 2)))
                    if idx + move < 2 or idx + move > len(pool) - 3:
                        move = -move
                    pitch = pool[int(np.clip(idx + move, 0, len(pool) - 1))]
                accent = 10 if math.isclose(t % 1.0, 0.0, abs_tol=1e-6) else 0
                out.add(pitch, (t0 + t) * beat, length * beat * 0.92, vel - 6 + accent)
                t += length
    return tuple(out.notes)


def _drums(plan: MusicPlan, kind: str, starts: np.ndarray, beat: float) -> tuple[Note, ...]:
    """Light percussion on a four-beat grid; it stops on the landing with one crash."""
    out = _Writer(_rng(plan.seed, 6), plan.duration_s)
    vel = STYLES[plan.mood].loud.get("drums", 80)
    landing = int(starts[-1])
    hit = 0.1 * beat
    for b in range(landing):
        t = b * beat
        in_bar = b % 4
        if kind == "light":
            if in_bar in (0, 2):
                out.add(KICK, t, hit, vel - 10)
            else:
                out.add(CLAP, t, hit, vel - 18)
            out.add(SHAKER, t, hit, vel - 30)
            out.add(SHAKER, t + beat / 2, hit, vel - 38)
            if in_bar == 3:
                out.add(TAMBOURINE, t + beat / 2, hit, vel - 25)
        elif kind == "drive":
            out.add(KICK, t, hit, vel)
            if in_bar in (1, 3):
                out.add(CLAP, t, hit, vel - 12)
            out.add(CLOSED_HAT, t + beat / 2, hit, vel - 28)
            out.add(CLOSED_HAT, t + beat / 4, hit, vel - 50)
            out.add(CLOSED_HAT, t + 3 * beat / 4, hit, vel - 50)
        else:  # taiko: big low drums, the pulse on the beat, a pickup into each bar
            out.add(KICK, t, hit, vel - (0 if in_bar == 0 else 14))
            out.add(LOW_TOM, t, hit, vel - (6 if in_bar in (0, 2) else 24))
            if in_bar == 3:
                out.add(MID_TOM, t + beat / 2, hit, vel - 16)
                out.add(MID_TOM, t + 3 * beat / 4, hit, vel - 10)
    t = landing * beat
    out.add(CRASH, t, beat, vel - 8)
    out.add(KICK, t, hit, vel)
    if kind == "taiko":
        out.add(LOW_TOM, t, hit, vel)
    return tuple(out.notes)
