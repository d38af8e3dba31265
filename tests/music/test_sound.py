"""Steps 3 and 4 as heard: the rendered, mastered music of every mood, measured.

Loudness is measured with pyloudnorm (ITU-R BS.1770-4), true peak on an 8x FFT
resampling (not the mastering's own 4x interpolator), tempo and key by the numpy
analysis in tests/music/analysis.py, which never looks at the plan.
"""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample

from stillmotion.music import SAMPLE_RATE, Music, make_music, plan_for
from stillmotion.music.composition import compose
from stillmotion.music.mood import MOODS
from stillmotion.music.render import perform
from stillmotion.music.wav import to_pcm16
from tests.music.analysis import key, spectrogram, tempo_bpm

_CACHE: dict[tuple[str, float, int], Music] = {}


def music(mood: str, duration: float = 8.0, seed: int = 11) -> Music:
    """One render per (mood, duration, seed) for the whole module: each takes ~0.3 s."""
    if (mood, duration, seed) not in _CACHE:
        _CACHE[(mood, duration, seed)] = make_music(plan_for("", duration, seed, mood=mood))
    return _CACHE[(mood, duration, seed)]


def dbfs(x: np.ndarray) -> float:
    return 20 * float(np.log10(max(float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))),
                                   1e-12)))


@pytest.mark.parametrize("duration", [4.0, 8.0])
@pytest.mark.parametrize("mood", MOODS)
def test_loudness_peak_and_clean_ends(mood: str, duration: float) -> None:
    pcm = music(mood, duration).pcm
    assert pcm.dtype == np.float32 and pcm.shape == (int(duration * SAMPLE_RATE), 2)
    loudness = pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(pcm.astype(np.float64))
    assert -17.0 <= loudness <= -15.0
    true_peak = np.abs(resample(pcm.astype(np.float64), pcm.shape[0] * 8, axis=0)).max()
    assert 20 * np.log10(true_peak) <= -1.0
    assert np.abs(pcm).max() < 1.0  # no sample at or above full scale
    pcm16 = np.frombuffer(to_pcm16(pcm), "<i2")
    assert np.abs(pcm16.astype(np.int32)).max() < 32767
    five_ms = int(0.005 * SAMPLE_RATE)
    assert dbfs(pcm[:five_ms]) < -60 and dbfs(pcm[-five_ms:]) < -60  # no click at the ends
    assert pcm[0].tolist() == [0.0, 0.0] and pcm[-1].tolist() == [0.0, 0.0]
    # ... and no step inside the fades: the largest jump between neighbouring samples in
    # the first and last 20 ms stays tiny.
    twenty_ms = int(0.02 * SAMPLE_RATE)
    assert np.abs(np.diff(pcm[:twenty_ms], axis=0)).max() < 0.01
    assert np.abs(np.diff(pcm[-twenty_ms:], axis=0)).max() < 0.01


@pytest.mark.parametrize("mood", MOODS)
def test_never_silent_never_hiss(mood: str) -> None:
    pcm = music(mood).pcm
    body = pcm[SAMPLE_RATE // 2: -2 * SAMPLE_RATE]
    windows = body[: len(body) // 4800 * 4800].reshape(-1, 4800, 2)  # 100 ms each
    assert min(dbfs(w) for w in windows) > -35, "a gap of silence inside the music"
    power = spectrogram(pcm.mean(axis=1).astype(np.float64)) ** 2
    freqs = np.fft.rfftfreq(2048, 1 / SAMPLE_RATE)
    assert power[:, freqs > 8000].sum() / power.sum() < 0.03  # no harsh high-frequency noise
    assert power[:, freqs < 30].sum() / power.sum() < 0.05  # and no rumble
    left, right = pcm[:, 0], pcm[:, 1]
    assert 0.05 < np.std(left - right) / np.std(left + right) < 1.0  # stereo, not dual mono


def test_the_raw_performance_does_not_clip_before_mastering() -> None:
    for mood in MOODS:
        raw = perform(compose(plan_for("", 8, 11, mood=mood)))
        assert np.abs(raw).max() < 0.9, mood  # the synthesizer's 16-bit output never hit 1.0


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    first = to_pcm16(make_music(plan_for("", 4, 2024, mood="happy")).pcm)
    again = to_pcm16(make_music(plan_for("", 4, 2024, mood="happy")).pcm)
    other = to_pcm16(make_music(plan_for("", 4, 2025, mood="happy")).pcm)
    assert first == again
    assert first != other


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_calm_and_energetic_differ_in_tempo_and_mode(seed: int) -> None:
    calm, energetic = music("calm", seed=seed), music("energetic", seed=seed)
    calm_bpm = tempo_bpm(calm.pcm, SAMPLE_RATE)
    energetic_bpm = tempo_bpm(energetic.pcm, SAMPLE_RATE)
    assert calm_bpm == pytest.approx(calm.plan.tempo_bpm, rel=0.04)
    assert energetic_bpm == pytest.approx(energetic.plan.tempo_bpm, rel=0.04)
    assert energetic_bpm > 1.5 * calm_bpm
    calm_key, energetic_key = key(calm.pcm, SAMPLE_RATE), key(energetic.pcm, SAMPLE_RATE)
    assert calm_key[1] == "major" and energetic_key[1] == "minor"
    assert calm_key[0] == calm.plan.tonic and energetic_key[0] == energetic.plan.tonic


@pytest.mark.parametrize("mood", MOODS)
def test_every_mood_is_heard_at_its_planned_tempo(mood: str) -> None:
    rendered = music(mood)
    heard = tempo_bpm(rendered.pcm, SAMPLE_RATE)
    # A listener may tap the beat or twice the beat (eighth notes in a slow piece).
    ratio = heard / rendered.plan.tempo_bpm
    assert min(abs(ratio - 1), abs(ratio - 2)) < 0.04, (heard, rendered.plan.tempo_bpm)
