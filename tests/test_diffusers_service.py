"""The diffusers engine behind the real API: a real server whose workers load a tiny model
directory of each family (built in code, on the CPU), real MP4s decoded back."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import torch

from stillmotion.config import Settings
from stillmotion.engines.diffusers import DiffusersEngine
from stillmotion.jobs.worker import Worker
from stillmotion.media.sizing import output_size
from tests.conftest import (
    FINAL_STATUSES,
    Server,
    cli,
    decode_video,
    luma,
    photo,
    psnr,
    wait_for,
)
from tests.test_lifecycle import download, has_dead_border, resized_input, submit_image

pytestmark = pytest.mark.slow

CHELSEA = photo("chelsea")


def diffusers_env(model: Path, **extra: str) -> dict[str, str]:
    return {"STILLMOTION_ENGINE": "diffusers", "STILLMOTION_DIFFUSERS_MODEL": str(model),
            "STILLMOTION_DIFFUSERS_DEVICE": "cpu", **extra}


@pytest.fixture(scope="module", params=["svd", "ltx", "wan", "cogvideox"])
def family_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                  tiny_model: Callable[[str], Path]) -> Iterator[tuple[str, Server]]:
    family = str(request.param)
    server = Server(tmp_path_factory.mktemp(f"diffusers-{family}"), workers=1,
                    env=diffusers_env(tiny_model(family))).start()
    yield family, server
    server.close()


def test_a_request_through_the_api_gives_the_contracts_video(
        family_server: tuple[str, Server]) -> None:
    family, server = family_server
    with server.client() as api:
        seen: list[dict[str, Any]] = []
        task_id = submit_image(api, CHELSEA, prompt="the cat looks up, slow push in",
                               resolution="360p", seed=11)
        result = wait_for(api, task_id, seen=seen)
    assert result["task"]["status"] == "TASK_STATUS_SUCCEED", result["task"]["reason"]
    progress = [body["task"]["progress_percent"] for body in seen]
    assert progress == sorted(progress)
    video = decode_video(download(result))
    width, height = output_size(CHELSEA.shape[1], CHELSEA.shape[0], "360p")
    assert (video.width, video.height, len(video.frames), video.fps) == (width, height, 96, 24)
    first = psnr(luma(video.frames[0]), luma(resized_input(CHELSEA, width, height)))
    assert first >= 35.0, f"frame 0 luma PSNR {first:.1f} dB"
    assert not [i for i, f in enumerate(video.frames) if has_dead_border(f)]
    plan = json.loads(result["extra"]["debug_info"]["request_info"])["plan"]
    assert plan["engine"] == "diffusers" and plan["family"] == family
    assert plan["frame_count"] == 96 and plan["native_frames"] >= 9


def test_same_seed_same_video_through_the_api(
        tmp_path: Path, tiny_model: Callable[[str], Path]) -> None:
    """One family here (the engine tests cover all three): two tasks, one seed, one video."""
    server = Server(tmp_path, workers=1, env=diffusers_env(tiny_model("ltx"))).start()
    try:
        with server.client() as api:
            ids = [submit_image(api, CHELSEA, prompt="wind", resolution="360p", seed=s)
                   for s in (5, 5, 6)]
            videos = [decode_video(download(wait_for(api, i))) for i in ids]
    finally:
        server.close()
    # one worker, three tasks: the model was loaded once, when the worker started
    assert server.log().count("(ltx) on cpu as float32") == 1, server.log()
    same = all((a == b).all() for a, b in zip(videos[0].frames, videos[1].frames, strict=True))
    assert same
    assert any((a != b).any() for a, b in zip(videos[0].frames, videos[2].frames, strict=True))


def wait_until(api: httpx.Client, task_id: str, ready: Callable[[dict[str, Any]], bool],
               timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get("/v3/async/task-result", params={"task_id": task_id}).json()
        if ready(body):
            return body
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} never got there: {body}")


def denoising(body: dict[str, Any]) -> bool:
    task = body["task"]
    return task["status"] == "TASK_STATUS_PROCESSING" and 5 <= task["progress_percent"] < 80


def test_cancel_mid_denoise_fails_the_task_and_frees_the_worker(
        tmp_path: Path, tiny_model: Callable[[str], Path]) -> None:
    # Many steps, so the denoising takes long enough to be caught in the middle.
    server = Server(tmp_path, workers=1, env=diffusers_env(
        tiny_model("ltx"), STILLMOTION_DIFFUSERS_STEPS="600")).start()
    try:
        with server.client() as api:
            first = submit_image(api, CHELSEA, resolution="360p")
            during = wait_until(api, first, denoising)
            answer = api.post("/v3/async/task-cancel", json={"task_id": first})
            assert answer.status_code == 200, answer.text
            ended = wait_for(api, first, timeout=30)
            assert ended["task"]["status"] == "TASK_STATUS_FAILED"
            assert "cancel" in ended["task"]["reason"]
            assert ended["videos"] == []
            assert ended["task"]["progress_percent"] < 80  # stopped denoising, never decoded
            assert during["task"]["progress_percent"] >= 5
            # the worker is free: the next task is picked up and denoises
            second = submit_image(api, CHELSEA, resolution="360p")
            wait_until(api, second, denoising, timeout=30)
            api.post("/v3/async/task-cancel", json={"task_id": second})
            assert wait_for(api, second, timeout=30)["task"]["status"] in FINAL_STATUSES
    finally:
        server.close()


def test_out_of_memory_is_a_failed_task_with_its_reason_and_the_next_task_renders(
        tmp_path: Path, tiny_model: Callable[[str], Path]) -> None:
    """A render node (an in-process worker) whose model runs out of memory once, behind an
    API-only server: the task fails with the reason, the worker lives, the next succeeds."""
    model = tiny_model("wan")
    server = Server(tmp_path, workers=0, env=diffusers_env(model)).start()
    settings = Settings(data_dir=tmp_path, engine="diffusers", diffusers_model=str(model),
                        diffusers_device="cpu", poll_interval_s=0.05)
    engine = DiffusersEngine(settings)
    worker = Worker(settings, engine=engine)
    failures = {"left": 1}

    def out_of_memory_once(*_args: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 31.00 GiB")

    handle = engine.loaded.pipe.transformer.register_forward_pre_hook(out_of_memory_once)
    thread = threading.Thread(target=worker.run, name="render-node", daemon=True)
    thread.start()
    try:
        with server.client() as api:
            doomed = submit_image(api, CHELSEA, resolution="720p")
            failed = wait_for(api, doomed, timeout=60)
            fine = wait_for(api, submit_image(api, CHELSEA, resolution="360p"), timeout=60)
            assert fine["task"]["status"] == "TASK_STATUS_SUCCEED", fine["task"]["reason"]
            assert len(decode_video(download(fine)).frames) == 96
    finally:
        worker.draining.set()
        thread.join(timeout=30)
        handle.remove()
        server.close()
    assert failed["task"]["status"] == "TASK_STATUS_FAILED"
    assert "ran out of GPU memory" in failed["task"]["reason"]
    assert "lower resolution" in failed["task"]["reason"]
    assert not thread.is_alive()  # it drained: it was alive and well after the failure


def test_serve_refuses_a_model_it_cannot_load_before_starting_workers(tmp_path: Path) -> None:
    """A wrong model setting is one clear line at start, not a worker crashing in a loop
    while the API accepts tasks nobody will render."""
    not_a_model = tmp_path / "weights"
    not_a_model.mkdir()
    cases = {
        str(tmp_path / "missing"): "no directory",
        str(not_a_model): "not a diffusers model directory (no model_index.json)",
    }
    (tmp_path / "sd").mkdir()
    (tmp_path / "sd" / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline"}')
    cases[str(tmp_path / "sd")] = "unsupported pipeline 'StableDiffusionPipeline'"
    for model, message in cases.items():
        result = cli(tmp_path / "data", "serve", "--port", "1",
                     env=diffusers_env(Path(model)), check=False)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
        assert "Traceback" not in result.stderr
