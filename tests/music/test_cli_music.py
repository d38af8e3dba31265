"""`stillmotion music`: auditioning moods without video, as a person runs it."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

from tests.conftest import encode, photo


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stillmotion.cli", *args],
                          capture_output=True, text=True, timeout=120)


def read_wav(path: Path) -> tuple[int, int, np.ndarray]:
    with wave.open(str(path)) as f:
        frames = np.frombuffer(f.readframes(f.getnframes()), "<i2").reshape(-1, f.getnchannels())
        return f.getframerate(), f.getnchannels(), frames


def test_music_writes_a_wav_of_the_mood_and_length(tmp_path: Path) -> None:
    out = tmp_path / "calm.wav"
    result = run("music", "--mood", "calm", "--duration", "8", "--seed", "3", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "calm" in result.stdout and "LUFS" in result.stdout and "seed 3" in result.stdout
    rate, channels, frames = read_wav(out)
    assert (rate, channels, frames.shape[0]) == (48_000, 2, 8 * 48_000)
    assert np.abs(frames).max() > 3000  # music, not silence
    again = tmp_path / "again.wav"
    assert run("music", "--mood", "calm", "--duration", "8", "--seed", "3",
               "-o", str(again)).returncode == 0
    assert again.read_bytes() == out.read_bytes()


def test_music_reads_the_mood_from_prompt_and_image(tmp_path: Path) -> None:
    image = tmp_path / "coffee.png"
    image.write_bytes(encode(photo("coffee"), "PNG"))
    result = run("music", "--prompt", "a mysterious foggy night", "--image", str(image),
                 "--duration", "4", "-o", str(tmp_path / "m.wav"))
    assert result.returncode == 0, result.stderr
    assert "mysterious" in result.stdout and "image is" in result.stdout
    assert read_wav(tmp_path / "m.wav")[2].shape[0] == 4 * 48_000


def test_music_errors_are_one_line(tmp_path: Path) -> None:
    cases = [
        run("music", "--mood", "angry", "-o", str(tmp_path / "x.wav")),
        run("music", "--mood", "sad", "--duration", "0", "-o", str(tmp_path / "x.wav")),
        run("music", "--mood", "sad", "--seed", "-5", "-o", str(tmp_path / "x.wav")),
        run("music", "--mood", "sad", "-o", str(tmp_path / "missing" / "x.wav")),
        run("music", "--image", str(tmp_path / "nope.png"), "-o", str(tmp_path / "x.wav")),
    ]
    for result in cases:
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "calm, happy" in cases[0].stderr
    assert "duration" in cases[1].stderr and "seed" in cases[2].stderr


def test_generate_with_bgm_adds_the_music_track(tmp_path: Path) -> None:
    import av

    source = tmp_path / "coffee.png"
    source.write_bytes(encode(photo("coffee"), "PNG"))
    out = tmp_path / "out.mp4"
    result = run("generate", str(source), "-o", str(out), "--prompt", "romantic sunset",
                 "--seed", "4", "--bgm")
    assert result.returncode == 0, result.stderr
    assert "romantic music" in result.stdout
    with av.open(str(out)) as container:
        assert len(container.streams.audio) == 1
        audio = container.streams.audio[0]
        assert float(audio.duration * audio.time_base) == 4.0
    plain = tmp_path / "plain.mp4"
    assert run("generate", str(source), "-o", str(plain), "--seed", "4").returncode == 0
    with av.open(str(plain)) as container:
        assert len(container.streams.audio) == 0
