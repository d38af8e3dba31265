"""Step 1, the mood: which of seven moods fits this clip, and why.

The prompt speaks loudest: a mood word ("calm", "epic") or a scene word that carries one
("sunset", "storm") decides. The photo breaks ties and decides alone when the prompt says
nothing about mood: its brightness and colour temperature read as valence (pleasant or
not), its saturation and contrast as arousal (excited or still), and the mood nearest that
point on Russell's circumplex wins. `movement_amplitude` does not change the mood, only the
tempo: a bigger camera move wants a slightly quicker pulse.

Everything here is a pure function of the prompt, a few image statistics and the
amplitude, so the same task always hears the same mood, and the reasons are plain data the
task's plan can show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from stillmotion.reading import MOODS, read_prompt, resolve_amplitude

# The mood words and scene words are the prompt reader's (stillmotion.reading): the prompt
# is read in one place, and a mood word outweighs anything the photo says (at most 1.0).

# Where each mood sits on the valence (x) / arousal (y) plane, both in -1..1.
CIRCUMPLEX: dict[str, tuple[float, float]] = {
    "calm": (0.45, -0.65), "happy": (0.75, 0.45), "epic": (0.05, 0.75),
    "mysterious": (-0.45, -0.05), "sad": (-0.65, -0.55), "romantic": (0.55, -0.15),
    "energetic": (0.35, 0.85),
}
DEFAULT_MOOD = "calm"  # an empty prompt and a perfectly neutral grey picture

# movement_amplitude nudges the pulse: a bigger camera move, a slightly quicker tempo.
# The amplitude the engine chose (Plan.amplitude), "auto" already resolved.
TEMPO_NUDGE = {"small": 0.94, "medium": 1.0, "large": 1.08}

ANALYSIS_SIDE = 256  # image statistics are read from a ~256 px subsample: plenty, and cheap


@dataclass(frozen=True)
class ImageFeel:
    """The few image statistics the mood reads, each in a documented range."""

    brightness: float  # mean luma, 0 (black) .. 1 (white)
    saturation: float  # mean HSV saturation, 0 (grey) .. 1
    warmth: float  # mean (R - B) / 255, about -0.3 (blue) .. +0.3 (orange)
    contrast: float  # luma standard deviation, 0 .. 0.5

    @property
    def valence(self) -> float:
        """Pleasantness: bright and warm pictures read happier than dark, cold ones."""
        v = 1.8 * (self.brightness - 0.45) + 2.0 * self.warmth + 0.8 * (self.saturation - 0.3)
        return float(np.clip(v, -1.0, 1.0))

    @property
    def arousal(self) -> float:
        """Excitement: saturated, contrasty pictures read livelier than pale, flat ones."""
        a = 2.2 * (self.saturation - 0.3) + 2.0 * (self.contrast - 0.22)
        return float(np.clip(a, -1.0, 1.0))


@dataclass(frozen=True)
class MoodReading:
    """The chosen mood with every score and the sentences that explain it."""

    mood: str
    tempo_nudge: float
    scores: dict[str, float]
    prompt_words: tuple[str, ...]
    image: ImageFeel | None
    reasons: tuple[str, ...] = field(default_factory=tuple)


def image_feel(rgb: np.ndarray) -> ImageFeel:
    """Brightness, saturation, warmth and contrast of an RGB uint8 image.

    A strided subsample keeps this well under a millisecond even for a 50 MP photo: mood is
    a global impression, and a 256 px view of the picture carries it.
    """
    step = max(1, max(rgb.shape[0], rgb.shape[1]) // ANALYSIS_SIDE)
    px = rgb[::step, ::step, :3].astype(np.float32) / 255.0
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    lum = 0.299 * r + 0.587 * g + 0.114 * b
    hi = px.max(axis=-1)
    lo = px.min(axis=-1)
    sat = np.where(hi > 1e-6, (hi - lo) / np.maximum(hi, 1e-6), 0.0)
    return ImageFeel(brightness=round(float(lum.mean()), 4), saturation=round(float(sat.mean()), 4),
                     warmth=round(float((r - b).mean()), 4), contrast=round(float(lum.std()), 4))


def image_scores(feel: ImageFeel) -> dict[str, float]:
    """1.0 for the mood nearest the picture's valence/arousal point, falling off with distance."""
    v, a = feel.valence, feel.arousal
    return {mood: round(max(0.0, 1.0 - math.dist((v, a), point) / 2.0), 4)
            for mood, point in CIRCUMPLEX.items()}


def _describe(feel: ImageFeel) -> str:
    light = "bright" if feel.brightness > 0.55 else "dark" if feel.brightness < 0.35 else "mid-tone"
    colour = "warm" if feel.warmth > 0.04 else "cool" if feel.warmth < -0.04 else "neutral"
    vivid = ("saturated" if feel.saturation > 0.4 else "muted" if feel.saturation < 0.18
             else "moderately coloured")
    return (f"image is {light} (brightness {feel.brightness:.2f}), {colour} (warmth "
            f"{feel.warmth:+.2f}), {vivid} (saturation {feel.saturation:.2f}): valence "
            f"{feel.valence:+.2f}, arousal {feel.arousal:+.2f}")


def read_mood(prompt: str, image: np.ndarray | None, movement_amplitude: str = "auto",
              forced: str | None = None) -> MoodReading:
    """The mood for this clip from the prompt's reading and the photo; `forced` (the
    CLI's --mood) skips the reading, not the nudge. `movement_amplitude` is the one the
    engine chose (a task's plan); "auto" alone (`stillmotion music`) is resolved from the
    prompt the way the engines resolve it."""
    reading = read_prompt(prompt)
    amplitude = resolve_amplitude(movement_amplitude, reading)
    nudge = TEMPO_NUDGE[amplitude]
    reasons: list[str] = []
    if forced is not None:
        if forced not in MOODS:
            raise ValueError(f"mood must be one of {', '.join(MOODS)}, got {forced!r}")
        scores = {m: (1.0 if m == forced else 0.0) for m in MOODS}
        reasons.append(f"mood {forced} was asked for explicitly")
        feel = None
        matched: list[str] = []
        mood = forced
    else:
        scores, matched = dict(reading.mood_scores), list(reading.mood_words)
        feel = image_feel(image) if image is not None else None
        if matched:
            reasons.append("prompt words: " + ", ".join(matched))
        if feel is not None:
            for m, s in image_scores(feel).items():
                scores[m] += s
            reasons.append(_describe(feel))
        scores = {m: round(s, 4) for m, s in scores.items()}
        best = max(scores.values())
        # Ties go to the order of MOODS, so the choice never depends on dict iteration luck.
        mood = next(m for m in MOODS if scores[m] == best) if best > 0 else DEFAULT_MOOD
        # A matched word weighs at least 1.5 and the image at most 1.0: the prompt decides
        # whenever it said anything about mood.
        source = "the prompt" if matched else "the image" if feel is not None else "the default"
        reasons.append(f"{mood} wins on {source} (score {scores[mood]:.2f})")
    if nudge != 1.0:
        reasons.append(f"movement_amplitude {amplitude}: tempo x{nudge:.2f}")
    return MoodReading(mood=mood, tempo_nudge=nudge, scores=scores, prompt_words=tuple(matched),
                       image=feel, reasons=tuple(reasons))
