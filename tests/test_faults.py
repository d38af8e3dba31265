"""Kill processes at bad moments: no task is lost, every video comes out whole."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from stillmotion.config import Settings
from stillmotion.jobs.store import QUEUED, SUCCEED, Store
from tests.conftest import Server, decode_video, photo, png_uri, portrait_9x16, wait_for

pytestmark = pytest.mark.slow


def submit(client: httpx.Client, image=None, **fields: object) -> str:
    body = {"images": [png_uri(photo("chelsea") if image is None else image)], **fields}
    response = client.post("/v3/async/vidu-2.0-img2video", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["task_id"])


def wait_until_rendering(client: httpx.Client, task_id: str, timeout: float = 60) -> None:
    """Block until the task is PROCESSING with some frames done (mid-render)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get("/v3/async/task-result", params={"task_id": task_id}).json()["task"]
        if task["status"] == "TASK_STATUS_PROCESSING" and task["progress_percent"] >= 10:
            return
        assert task["status"] != "TASK_STATUS_SUCCEED", "finished before it could be killed"
        time.sleep(0.02)
    raise AssertionError("task never started rendering")


def assert_complete_video(result: dict, frames: int = 96) -> None:
    assert result["task"]["status"] == "TASK_STATUS_SUCCEED", result["task"]["reason"]
    data = httpx.get(result["videos"][0]["video_url"], timeout=30).content
    assert len(decode_video(data).frames) == frames


def test_sigkill_worker_mid_render_task_still_succeeds(tmp_path: Path) -> None:
    server = Server(tmp_path, workers=1).start()
    try:
        with server.client() as client:
            task_id = submit(client, portrait_9x16(), resolution="1080p", seed=11)
            wait_until_rendering(client, task_id)
            (worker,) = server.worker_pids()
            os.kill(worker, signal.SIGKILL)
            result = wait_for(client, task_id, timeout=120)
            assert_complete_video(result)
            # the output of the killed attempt never became the task's video
            outputs = list((tmp_path / "blobs" / "outputs" / task_id).iterdir())
            assert len(outputs) == 1
        assert worker not in server.worker_pids()  # a new worker took its place
    finally:
        server.stop()


def test_server_stopped_with_queued_tasks_completes_them_after_restart(tmp_path: Path) -> None:
    server = Server(tmp_path, workers=1).start()
    with server.client() as client:
        ids = [submit(client, resolution="720p", seed=i) for i in range(3)]
        wait_until_rendering(client, ids[0])
    server.stop()  # SIGTERM: the API stops, the worker drains: it finishes its render
    assert server.process is not None and server.process.returncode is not None
    store = Store(Settings(data_dir=tmp_path))
    statuses = [task.status for task in map(store.get, ids) if task is not None]
    store.close()
    assert statuses == [SUCCEED, QUEUED, QUEUED]
    restarted = Server(tmp_path, workers=1, key=server.key).start()
    try:
        with restarted.client() as client:
            for task_id in ids:
                assert_complete_video(wait_for(client, task_id, timeout=120))
    finally:
        restarted.stop()


def test_sigkill_everything_mid_render_then_restart(tmp_path: Path) -> None:
    server = Server(tmp_path, workers=1).start()
    with server.client() as client:
        task_id = submit(client, portrait_9x16(), resolution="1080p", seed=12)
        wait_until_rendering(client, task_id)
    server.kill()
    restarted = Server(tmp_path, workers=1, key=server.key).start()
    try:
        with restarted.client() as client:
            seen: list[dict] = []
            result = wait_for(client, task_id, timeout=120, seen=seen)
            assert_complete_video(result)
            progress = [body["task"]["progress_percent"] for body in seen]
            assert progress == sorted(progress), "a retry must not lower progress_percent"
    finally:
        restarted.stop()
