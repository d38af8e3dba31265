"""Step 4 on signals with known answers: level, limiting, fades."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample

from stillmotion.music.master import fade, master

RATE = 48_000


def pink_ish(seconds: float, seed: int = 0) -> np.ndarray:
    """Stereo noise with a gentle low-pass, at a modest level."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal((int(seconds * RATE), 2))
    kernel = np.ones(8) / 8
    return 0.05 * np.stack([np.convolve(white[:, c], kernel, mode="same") for c in range(2)],
                           axis=1)


def true_peak_db(x: np.ndarray) -> float:
    return 20 * float(np.log10(np.abs(resample(x.astype(np.float64), len(x) * 8, axis=0)).max()))


def test_a_quiet_signal_is_raised_to_target_without_limiting() -> None:
    out, report = master(pink_ish(4.0), RATE, 0.1, 0.5)
    assert not report.limited and report.gain_db > 0
    measured = pyloudnorm.Meter(RATE).integrated_loudness(out.astype(np.float64))
    assert measured == pytest.approx(-16.0, abs=0.05)
    assert report.loudness_lufs == pytest.approx(measured, abs=0.05)


def test_spikes_are_limited_to_the_ceiling_and_loudness_still_hits_target() -> None:
    signal = pink_ish(4.0, seed=1)
    for t in (0.7, 1.9, 2.6, 3.1):  # drum-like hits far above the body
        i = int(t * RATE)
        signal[i:i + 200] += np.hanning(200)[:, None] * 0.9
    out, report = master(signal, RATE, 0.1, 0.5)
    assert report.limited
    assert true_peak_db(out) <= -1.0
    assert report.true_peak_dbtp <= -1.5 + 0.01
    measured = pyloudnorm.Meter(RATE).integrated_loudness(out.astype(np.float64))
    assert measured == pytest.approx(-16.0, abs=0.3)


def test_fades_start_and_end_on_zero_with_no_step() -> None:
    ones = np.ones((RATE, 2))
    faded = fade(ones, RATE, 0.1, 0.2)
    assert faded[0].tolist() == [0.0, 0.0] and faded[-1].tolist() == [0.0, 0.0]
    assert np.abs(np.diff(faded[:, 0])).max() < 2 * np.pi / (0.1 * RATE)
    assert faded[RATE // 2].tolist() == [1.0, 1.0]


def test_silence_cannot_be_mastered() -> None:
    with pytest.raises(ValueError, match="silent"):
        master(np.zeros((RATE, 2)), RATE, 0.1, 0.1)
