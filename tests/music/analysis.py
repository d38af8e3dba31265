"""Measurements of rendered music, independent of how it was made (numpy only).

The tests use these to check what a listener would notice: how fast the pulse is (an
onset-strength autocorrelation, the classic beat-tracking front end) and whether the
harmony is major or minor (a chromagram correlated with the Krumhansl-Kessler key
profiles). Nothing here reads the music plan; it only hears the samples.
"""

from __future__ import annotations

import numpy as np

HOP = 256
N_FFT = 2048
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# Krumhansl & Kessler (1982) probe-tone ratings, C major and C minor.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def mono(pcm: np.ndarray) -> np.ndarray:
    return pcm.astype(np.float64).mean(axis=1) if pcm.ndim == 2 else pcm.astype(np.float64)


def spectrogram(signal: np.ndarray, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """Magnitude STFT, frames x bins, Hann window."""
    window = np.hanning(n_fft)
    count = 1 + max(0, (len(signal) - n_fft) // hop)
    index = np.arange(n_fft)[None, :] + hop * np.arange(count)[:, None]
    return np.abs(np.fft.rfft(signal[index] * window, axis=1))


def onset_strength(pcm: np.ndarray) -> np.ndarray:
    """Spectral flux of the log-compressed spectrogram, with its slow trend removed."""
    mag = np.log1p(1000.0 * spectrogram(mono(pcm)))
    flux = np.maximum(0.0, np.diff(mag, axis=0)).sum(axis=1)
    width = 32  # ~170 ms moving average: what is left are the attacks
    trend = np.convolve(flux, np.ones(width) / width, mode="same")
    return np.maximum(0.0, flux - trend)


def tempo_bpm(pcm: np.ndarray, rate: int, low: float = 50.0, high: float = 200.0) -> float:
    """The beat rate: the lag whose multiples best line up the onsets, weighted toward
    moderate tempi (a log-normal prior around 100 bpm, one octave wide) as listeners do."""
    env = onset_strength(pcm)
    env = env - env.mean()
    n = len(env)
    full = np.correlate(env, env, mode="full")[n - 1:]
    auto = full / np.arange(n, 0, -1)  # unbiased: long lags are not penalised for overlap
    frame_s = HOP / rate
    best_bpm, best_score = 0.0, -np.inf
    for bpm in np.arange(low, high, 0.25):
        lag = 60.0 / bpm / frame_s
        values = []
        for multiple in (1, 2, 3, 4):
            pos = lag * multiple
            if pos >= n * 0.75:
                break
            i = int(pos)
            frac = pos - i
            values.append((1 - frac) * auto[i] + frac * auto[i + 1])
        if not values:
            continue
        # The mean, not the sum, over the multiples: half the true beat period would
        # otherwise collect the true beat's peaks at its even multiples and win.
        score = float(np.mean(values)) * np.exp(-0.5 * np.log2(bpm / 100.0) ** 2)
        if score > best_score:
            best_bpm, best_score = float(bpm), score
    return best_bpm


def chroma(pcm: np.ndarray, rate: int) -> np.ndarray:
    """Salience per pitch class (C = 0), 55 Hz to 2 kHz.

    Overtones would vote for the wrong notes (a bass F's third harmonic is a C), so each bin
    loses half of what sits at a half and a third of its frequency, and magnitudes are
    log-compressed so a few loud partials do not outvote the harmony.
    """
    mag = spectrogram(mono(pcm), n_fft=8192, hop=2048)
    index = np.arange(mag.shape[1])
    overtone = np.maximum(0.5 * mag[:, index // 2], 0.5 * mag[:, index // 3])
    mag = np.maximum(0.0, mag - overtone)
    salience = np.log1p(100.0 * mag / max(float(mag.max()), 1e-12))
    freqs = np.fft.rfftfreq(8192, 1.0 / rate)
    keep = (freqs >= 55.0) & (freqs <= 2000.0)
    classes = (np.round(12 * np.log2(freqs[keep] / 440.0)).astype(int) + 69) % 12
    return np.bincount(classes, weights=salience[:, keep].sum(axis=0), minlength=12)


def key(pcm: np.ndarray, rate: int) -> tuple[int, str, float]:
    """(tonic pitch class, "major" or "minor", correlation) of the best-fitting key."""
    c = chroma(pcm, rate)
    best: tuple[int, str, float] = (0, "major", -2.0)
    for tonic in range(12):
        for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
            r = float(np.corrcoef(c, np.roll(profile, tonic))[0, 1])
            if r > best[2]:
                best = (tonic, mode, r)
    return best
