"""Render one clip of music per mood, with a picture of each, to listen to and look at.

    .venv/bin/python -m bench.music_gallery [--duration 8] [--seed 7] [--out music-gallery]

Writes <mood>.wav (48 kHz 16-bit stereo) and <mood>.png (waveform over a log-frequency
spectrogram, drawn with numpy and Pillow) per mood, and prints what was measured: loudness
(BS.1770), true peak, the tempo and key heard in the samples next to the planned ones.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from tests.music.analysis import PITCH_NAMES, key, spectrogram, tempo_bpm

from stillmotion.music import MOODS, SAMPLE_RATE, make_music, plan_for
from stillmotion.music.master import integrated_loudness, true_peak_dbtp
from stillmotion.music.wav import write_wav

WIDTH, WAVE_H, SPEC_H = 1200, 220, 360
# A dark-to-bright ramp (black, purple, orange, pale yellow) for the spectrogram.
RAMP = np.array([[0, 0, 4], [80, 18, 123], [182, 54, 121], [251, 136, 97], [252, 253, 191]],
                dtype=np.float64)


def colour(values: np.ndarray) -> np.ndarray:
    """Map 0..1 onto RAMP."""
    pos = np.clip(values, 0.0, 1.0) * (len(RAMP) - 1)
    low = np.floor(pos).astype(int).clip(0, len(RAMP) - 2)
    frac = (pos - low)[..., None]
    return (RAMP[low] * (1 - frac) + RAMP[low + 1] * frac).astype(np.uint8)


def picture(pcm: np.ndarray, title: str) -> Image.Image:
    """Waveform (min/max per pixel column, both channels; red where |x| > 0.99) over a
    log-frequency spectrogram from 30 Hz to 20 kHz, 80 dB of range."""
    n = pcm.shape[0]
    img = Image.new("RGB", (WIDTH, WAVE_H + SPEC_H + 24), (16, 16, 20))
    draw = ImageDraw.Draw(img)
    draw.text((6, 4), title, fill=(230, 230, 230))
    mid = 24 + WAVE_H // 2
    edges = np.linspace(0, n, WIDTH + 1).astype(int)
    for x in range(WIDTH):
        seg = pcm[edges[x]:max(edges[x] + 1, edges[x + 1])]
        lo, hi = float(seg.min()), float(seg.max())
        clip = max(abs(lo), abs(hi)) > 0.99
        draw.line([(x, mid - hi * WAVE_H / 2), (x, mid - lo * WAVE_H / 2)],
                  fill=(255, 60, 60) if clip else (110, 190, 255))
    draw.line([(0, mid), (WIDTH, mid)], fill=(60, 60, 70))
    mag = spectrogram(pcm.mean(axis=1).astype(np.float64), n_fft=4096, hop=512)
    db = 20 * np.log10(mag + 1e-9)
    db = (db - (db.max() - 80.0)) / 80.0
    freqs = np.fft.rfftfreq(4096, 1.0 / SAMPLE_RATE)
    rows = np.geomspace(30.0, 20_000.0, SPEC_H)[::-1]
    bins = np.searchsorted(freqs, rows).clip(0, len(freqs) - 1)
    cols = np.linspace(0, db.shape[0] - 1, WIDTH).astype(int)
    spec = colour(db[cols][:, bins].T)
    img.paste(Image.fromarray(spec), (0, 24 + WAVE_H))
    for f in (100, 1000, 10000):
        y = 24 + WAVE_H + int(np.searchsorted(-rows, -f))
        draw.text((4, y - 6), f"{f} Hz", fill=(200, 200, 200))
    return img


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("music-gallery"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print("| mood | key (planned / heard) | tempo bpm (planned / heard) | LUFS | true peak dBTP "
          "| render s |")
    print("|---|---|---|---|---|---|")
    for mood in MOODS:
        started = time.perf_counter()
        plan = plan_for("", args.duration, args.seed, mood=mood)
        music = make_music(plan)
        seconds = time.perf_counter() - started
        write_wav(args.out / f"{mood}.wav", music.pcm, SAMPLE_RATE)
        tonic, mode, _r = key(music.pcm, SAMPLE_RATE)
        heard = tempo_bpm(music.pcm, SAMPLE_RATE)
        lufs = integrated_loudness(music.pcm, SAMPLE_RATE)
        peak = true_peak_dbtp(music.pcm)
        title = (f"{mood}: {plan.key}, {plan.tempo_bpm} bpm, {' '.join(plan.chords)}  |  "
                 f"{lufs:.1f} LUFS, {peak:.1f} dBTP, heard {heard:.0f} bpm "
                 f"{PITCH_NAMES[tonic]} {mode}")
        picture(music.pcm, title).save(args.out / f"{mood}.png")
        print(f"| {mood} | {plan.key} / {PITCH_NAMES[tonic]} {mode} | {plan.tempo_bpm} / "
              f"{heard:.1f} | {lufs:.2f} | {peak:.2f} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
