"""Background music end to end: a real server renders tasks with and without `bgm`."""

from __future__ import annotations

import io
import json

import av
import httpx
import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample

from tests.conftest import decode_video, photo, png_uri, wait_for

pytestmark = pytest.mark.slow


def render(api: httpx.Client, **fields: object) -> dict:
    body = {"images": [png_uri(photo("coffee"))], "seed": 31, **fields}
    response = api.post("/v3/async/vidu-2.0-img2video", json=body)
    assert response.status_code == 200, response.text
    result = wait_for(api, response.json()["task_id"])
    assert result["task"]["status"] == "TASK_STATUS_SUCCEED", result["task"]["reason"]
    return result


def download(result: dict) -> bytes:
    response = httpx.get(result["videos"][0]["video_url"], timeout=30)
    assert response.status_code == 200
    return response.content


def test_bgm_false_has_no_audio_and_no_music_plan(api: httpx.Client) -> None:
    result = render(api, prompt="a calm morning", bgm=False)
    assert decode_video(download(result)).audio_streams == 0
    info = json.loads(result["extra"]["debug_info"]["request_info"])
    assert "music" not in info["plan"]
    assert result["audios"] == []


@pytest.mark.parametrize(("duration", "prompt", "mood"), [
    (4, "a calm, peaceful morning, slow push in", "calm"),
    (8, "energetic dance party, fast pan right", "energetic"),
])
def test_bgm_true_adds_one_fitting_aac_track(api: httpx.Client, duration: int, prompt: str,
                                             mood: str) -> None:
    result = render(api, prompt=prompt, bgm=True, duration=duration)
    data = download(result)
    video = decode_video(data)
    assert len(video.frames) == duration * 24 and video.audio_streams == 1
    with av.open(io.BytesIO(data)) as container:
        audio, stream = container.streams.audio[0], container.streams.video[0]
        assert audio.codec_context.name == "aac"
        assert (audio.rate, audio.channels, audio.layout.name) == (48_000, 2, "stereo")
        video_s = float(stream.duration * stream.time_base)
        audio_s = float(audio.duration * audio.time_base)
        pcm = np.concatenate([f.to_ndarray() for f in container.decode(audio)], axis=1).T
    assert video_s == pytest.approx(duration)
    assert abs(audio_s - video_s) <= 1 / 24
    assert abs(pcm.shape[0] / 48_000 - video_s) <= 1 / 24
    # As decoded from the AAC a player gets: level, peak and silent ends hold.
    loudness = pyloudnorm.Meter(48_000).integrated_loudness(pcm.astype(np.float64))
    assert -17.0 <= loudness <= -15.0
    true_peak = np.abs(resample(pcm.astype(np.float64), pcm.shape[0] * 4, axis=0)).max()
    assert 20 * np.log10(true_peak) <= -1.0
    assert np.abs(pcm[:240]).max() < 0.01 and np.abs(pcm[48_000 * duration - 240:]).max() < 0.01
    # The plan says which music and why.
    info = json.loads(result["extra"]["debug_info"]["request_info"])
    music = info["plan"]["music"]
    assert music["mood"] == mood
    assert any(mood in reason for reason in music["reasons"])
    assert music["duration_s"] == duration and music["seed"] == 31
    assert {"key", "tempo_bpm", "chords", "instruments", "mode"} <= music.keys()
    assert info["plan"]["frame_count"] == duration * 24  # the shot plan is still there


def test_same_task_same_music(api: httpx.Client) -> None:
    def audio_packets(result: dict) -> bytes:
        with av.open(io.BytesIO(download(result))) as container:
            return b"".join(bytes(p) for p in container.demux(container.streams.audio[0]))
    first = render(api, prompt="romantic sunset", bgm=True)
    again = render(api, prompt="romantic sunset", bgm=True)
    assert audio_packets(first) == audio_packets(again)
