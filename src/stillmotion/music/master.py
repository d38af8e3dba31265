"""Step 4, mastering: the performance made safe and level for a video track.

What a platform checks and a listener hears: an integrated loudness of -16 LUFS (ITU-R
BS.1770 with its gating, measured by pyloudnorm), true peak at or under -1 dBTP so no
encoder or resampler downstream can clip it, and no click at either end (the video starts
and stops on silence, with raised-cosine fades).

The limiter is look-ahead and zero-latency by construction: the gain a sample needs is
spread as a minimum over a window around it, then smoothed by a box half that wide, so the
smoothed gain is never above what any sample needs (a box average of window minima cannot
exceed the value at its centre) and no peak gets through. True peak is read on a 4x
oversampled signal, as BS.1770-4 Annex 2 does, because AAC decoding reconstructs the
inter-sample peaks that sample values hide.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

TARGET_LUFS = -16.0
TRUE_PEAK_CEILING_DBTP = -1.5  # half a dB under the contract's -1 dBTP: room for AAC's rounding
OVERSAMPLE = 4
LIMITER_WINDOW_S = 0.008  # look-ahead radius; attack and release are half of it
LEVELLING_PASSES = 4
LEVEL_TOLERANCE_LU = 0.05
DC_CUTOFF_HZ = 20.0


@dataclass(frozen=True)
class MasterReport:
    """What mastering measured: the numbers a test or a person checks."""

    loudness_lufs: float
    true_peak_dbtp: float
    sample_peak_dbfs: float
    gain_db: float
    limited: bool  # whether the true-peak limiter had to act


def integrated_loudness(audio: np.ndarray, rate: int) -> float:
    """ITU-R BS.1770-4 integrated loudness (K-weighted, gated) of frames x channels audio."""
    import pyloudnorm

    return float(pyloudnorm.Meter(rate).integrated_loudness(audio.astype(np.float64)))


@lru_cache(maxsize=1)
def _interpolator() -> np.ndarray:
    """A 49-tap (about 12 per phase, as in BS.1770-4 Annex 2) linear-phase 4x interpolator."""
    from scipy.signal import firwin

    return np.asarray(firwin(12 * OVERSAMPLE + 1, 1.0 / OVERSAMPLE, window=("kaiser", 5.0)),
                      dtype=np.float32)


def oversampled_peaks(audio: np.ndarray) -> np.ndarray:
    """Per-frame true peak: the largest |value| of the 4x oversampled signal, both channels."""
    from scipy.signal import resample_poly

    up = np.abs(resample_poly(audio.astype(np.float32), OVERSAMPLE, 1, axis=0,
                              window=_interpolator()))
    n = audio.shape[0]
    return np.asarray(np.ascontiguousarray(up[: n * OVERSAMPLE]).reshape(n, -1).max(axis=1))


def true_peak_dbtp(audio: np.ndarray) -> float:
    """The largest true peak in dBTP (0 dBTP is full scale)."""
    peak = float(oversampled_peaks(audio).max())
    return 20.0 * float(np.log10(max(peak, 1e-12)))


def fade(audio: np.ndarray, rate: int, fade_in_s: float, fade_out_s: float) -> np.ndarray:
    """Raised-cosine fades: zero slope at both ends of each ramp, so neither end clicks.

    The fade-out ends on exactly zero at the last frame, which is the video's last frame.
    """
    out = audio.copy()
    n_in = max(1, int(fade_in_s * rate))
    n_out = max(1, int(fade_out_s * rate))
    ramp_in = 0.5 - 0.5 * np.cos(np.pi * np.arange(n_in) / n_in)
    ramp_out = 0.5 + 0.5 * np.cos(np.pi * np.arange(1, n_out + 1) / n_out)
    out[:n_in] *= ramp_in[:, None]
    out[-n_out:] *= ramp_out[:, None]
    return out


def limiter_gain(peaks: np.ndarray, rate: int, ceiling_dbtp: float) -> np.ndarray:
    """Per-frame gain (<= 1) that brings every true peak to the ceiling or under.

    Only frames within a window of a peak are touched; attack and release both take half
    the window, fast enough to catch a drum hit, slow enough not to distort a bass note.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    if need.min() >= 1.0:
        return np.ones_like(need)
    radius = max(2, int(LIMITER_WINDOW_S * rate))
    gain = minimum_filter1d(need, 2 * radius + 1, mode="nearest")
    gain = uniform_filter1d(gain, 2 * (radius // 2) + 1, mode="nearest")  # half as wide
    return np.minimum(gain, need)  # floating-point insurance; the construction already holds


def master(audio: np.ndarray, rate: int, fade_in_s: float, fade_out_s: float,
           target_lufs: float = TARGET_LUFS,
           ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP) -> tuple[np.ndarray, MasterReport]:
    """Faded, loudness-normalised, true-peak-limited float32 stereo, with its measurements.

    Loudness and oversampling are linear in a constant gain, so a piece that needs no
    limiting is measured once and scaled (its loudness after the gain is exactly the
    measured one plus the gain). When the limiter acts, levelling and limiting alternate:
    the limiter lowers loudness a little, the next gain step brings it back, and a few
    passes settle within a fraction of a LU. The oversampled peaks are computed once and
    scaled with the gain (the limiter's gain moves slowly next to the 4x interpolator's
    span); one exact measurement at the end catches anything that approximation let through.
    The work matters: this runs beside the frame renderer on the same two cores.
    """
    from scipy.signal import butter, sosfilt

    x = sosfilt(butter(2, DC_CUTOFF_HZ, "highpass", fs=rate, output="sos"),
                audio.astype(np.float64), axis=0)
    x = fade(x, rate, fade_in_s, fade_out_s).astype(np.float32)
    peaks = oversampled_peaks(x)
    measured = integrated_loudness(x, rate)
    if not np.isfinite(measured):
        raise ValueError("the music is silent: there is nothing to master")
    scale = 10.0 ** ((target_lufs - measured) / 20.0)
    gain = limiter_gain(peaks * scale, rate, ceiling_dbtp).astype(np.float32)
    limited = bool(gain.min() < 1.0)
    for _ in range(LEVELLING_PASSES if limited else 0):
        step = target_lufs - integrated_loudness(x * (scale * gain)[:, None], rate)
        if abs(step) < LEVEL_TOLERANCE_LU:
            break
        scale *= 10.0 ** (step / 20.0)
        gain = limiter_gain(peaks * scale, rate, ceiling_dbtp).astype(np.float32)
    out = (x * (scale * gain)[:, None]).astype(np.float32)
    if limited:
        exact = oversampled_peaks(out)
        if float(exact.max()) > 10.0 ** (ceiling_dbtp / 20.0):
            out = (out * limiter_gain(exact, rate, ceiling_dbtp)[:, None]).astype(np.float32)
            exact = oversampled_peaks(out)
        loudness = integrated_loudness(out, rate)
        true_peak = float(exact.max())
    else:
        loudness = measured + 20.0 * float(np.log10(scale))
        true_peak = float(peaks.max()) * scale
    # Gains multiply, so the faded ends are still exactly silent.
    report = MasterReport(
        loudness_lufs=round(loudness, 3),
        true_peak_dbtp=round(20.0 * float(np.log10(max(true_peak, 1e-12))), 3),
        sample_peak_dbfs=round(20.0 * float(np.log10(max(float(np.abs(out).max()), 1e-12))), 3),
        gain_db=round(20.0 * float(np.log10(scale)), 3),
        limited=limited,
    )
    return out, report
