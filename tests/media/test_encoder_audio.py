"""The MP4 writer's optional AAC track, decoded back with PyAV."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest

from stillmotion.media.encoder import Mp4Writer


def tone(seconds: float, rate: int = 48_000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 660 * t)],
                    axis=1).astype(np.float32)


def write(path: Path, frames: int, audio: np.ndarray | None) -> None:
    with Mp4Writer(path, 64, 48, 24, audio_rate=48_000 if audio is not None else None) as w:
        for i in range(frames):
            w.write(np.full((48, 64, 3), i % 255, dtype=np.uint8))
            if audio is not None and i == frames // 3:  # mid-way, as the pipeline does
                w.write_audio(audio)


@pytest.mark.parametrize("frames", [96, 192, 7])
def test_one_aac_stereo_track_as_long_as_the_video(tmp_path: Path, frames: int) -> None:
    out = tmp_path / "a.mp4"
    write(out, frames, tone(frames / 24))
    with av.open(io.BytesIO(out.read_bytes())) as container:
        assert len(container.streams.audio) == 1 and len(container.streams.video) == 1
        audio, video = container.streams.audio[0], container.streams.video[0]
        assert audio.codec_context.name == "aac"
        assert audio.rate == 48_000 and audio.channels == 2
        assert audio.layout.name == "stereo"
        video_s = float(video.duration * video.time_base)
        audio_s = float(audio.duration * audio.time_base)
        assert video_s == pytest.approx(frames / 24)
        assert abs(audio_s - video_s) <= 1 / 24
        decoded = np.concatenate([f.to_ndarray() for f in container.decode(audio)], axis=1)
    assert abs(decoded.shape[1] / 48_000 - video_s) <= 1 / 24
    # The tone survives the codec: each channel's level is that of a 0.3 sine.
    body = decoded[:, 4800:-4800]
    assert np.sqrt(np.mean(body**2, axis=1)) == pytest.approx([0.3 / np.sqrt(2)] * 2, rel=0.05)


def test_without_audio_rate_there_is_no_audio_stream(tmp_path: Path) -> None:
    out = tmp_path / "v.mp4"
    write(out, 24, None)
    with av.open(str(out)) as container:
        assert len(container.streams.audio) == 0
    with Mp4Writer(tmp_path / "x.mp4", 64, 48, 24) as writer, \
            pytest.raises(ValueError, match="without an audio track"):
        writer.write_audio(tone(1.0))


def test_an_audio_track_must_be_written_once_and_in_stereo(tmp_path: Path) -> None:
    writer = Mp4Writer(tmp_path / "x.mp4", 64, 48, 24, audio_rate=48_000)
    with pytest.raises(ValueError, match="stereo"):
        writer.write_audio(np.zeros((100, 1), dtype=np.float32))
    writer.write_audio(tone(0.5))
    with pytest.raises(ValueError, match="already written"):
        writer.write_audio(tone(0.5))
    writer.abort()
    unwritten = Mp4Writer(tmp_path / "y.mp4", 64, 48, 24, audio_rate=48_000)
    with pytest.raises(ValueError, match="no audio was written"):
        unwritten.close()
    unwritten.abort()
