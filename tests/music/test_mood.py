"""Step 1: the mood, from the prompt's words and the photo's light and colour."""

from __future__ import annotations

import numpy as np
import pytest

from stillmotion.music.mood import MOODS, image_feel, read_mood
from tests.conftest import photo


def flat(rgb: tuple[int, int, int], noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """A 120x160 picture of one colour, with optional seeded noise for contrast."""
    img = np.ones((120, 160, 3)) * np.array(rgb, dtype=np.float64)
    if noise:
        img += np.random.default_rng(seed).normal(0, noise, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(("prompt", "mood"), [
    ("a calm lake at dawn", "calm"),
    ("peaceful, serene garden", "calm"),
    ("kids laughing, joyful birthday", "happy"),
    ("an epic, majestic mountain range", "epic"),
    ("heroic battle over the castle", "epic"),
    ("a mysterious figure in the fog", "mysterious"),
    ("eerie moonlight through the ruins", "mysterious"),
    ("a sad, lonely goodbye", "sad"),
    ("melancholy autumn rain", "sad"),
    ("romantic sunset for two lovers", "romantic"),
    ("tender kiss at the wedding", "romantic"),
    ("energetic street dance party", "energetic"),
    ("fast cars racing through neon city", "energetic"),
])
def test_prompt_words_choose_the_mood(prompt: str, mood: str) -> None:
    grey = flat((128, 128, 128))
    reading = read_mood(prompt, grey)
    assert reading.mood == mood, reading.reasons
    assert any("prompt words" in r for r in reading.reasons)
    assert reading.reasons[-1].startswith(f"{mood} wins on the prompt")


def test_a_negated_word_does_not_count() -> None:
    assert read_mood("not sad at all, a happy day", None).mood == "happy"
    assert read_mood("no sad", None).scores["sad"] == 0.0


def test_the_image_decides_when_the_prompt_is_silent() -> None:
    bright_warm_vivid = flat((250, 190, 60), noise=60)
    dark_cold_flat = flat((30, 40, 70), noise=4)
    pale_soft = flat((200, 210, 205), noise=8)
    assert read_mood("pan left", bright_warm_vivid).mood in ("happy", "energetic")
    assert read_mood("pan left", dark_cold_flat).mood in ("sad", "mysterious")
    assert read_mood("", pale_soft).mood == "calm"
    feel = image_feel(dark_cold_flat)
    assert feel.brightness < 0.25 and feel.warmth < -0.1 and feel.valence < 0
    reasons = read_mood("", dark_cold_flat).reasons
    assert any("image is dark" in r and "cool" in r for r in reasons)
    assert reasons[-1].endswith(")") and "wins on the image" in reasons[-1]


def test_real_photos_get_a_mood_with_reasons() -> None:
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        reading = read_mood("", photo(name))
        assert reading.mood in MOODS
        assert reading.image is not None and 0 <= reading.image.brightness <= 1
        assert len(reading.reasons) == 2


def test_amplitude_nudges_tempo_not_mood() -> None:
    base = read_mood("calm sea", None, "medium")
    large = read_mood("calm sea", None, "large")
    small = read_mood("calm sea", None, "small")
    assert base.mood == large.mood == small.mood == "calm"
    assert small.tempo_nudge < base.tempo_nudge == 1.0 < large.tempo_nudge
    assert any("movement_amplitude large" in r for r in large.reasons)


def test_forced_mood_must_exist() -> None:
    assert read_mood("happy", None, forced="sad").mood == "sad"
    with pytest.raises(ValueError, match="mood must be one of"):
        read_mood("", None, forced="angry")
