"""Cancel through the real server: a queued task ends at once, a running render stops.

One server with one worker: a 1080p render occupies it, a second task waits in the queue;
both are cancelled and end FAILED "cancelled by the user" within a second, the cancelled
render publishes no video, and the freed worker renders the next task.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import RESULT, SUBMIT, assert_error
from tests.conftest import Server, cli, photo, png_uri, wait_for

CANCEL = "/v3/async/task-cancel"
REASON = "cancelled by the user"

pytestmark = pytest.mark.slow


@pytest.fixture
def one_worker(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path, workers=1).start()
    yield srv
    srv.stop()


def submit(client: httpx.Client, **fields: object) -> str:
    response = client.post(SUBMIT, json={"images": [png_uri(photo("astronaut"))], **fields})
    assert response.status_code == 200, response.text
    return str(response.json()["task_id"])


def result(client: httpx.Client, task_id: str) -> dict:
    response = client.get(RESULT, params={"task_id": task_id})
    assert response.status_code == 200, response.text
    return dict(response.json())


def wait_until_rendering(client: httpx.Client, task_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = result(client, task_id)
        assert body["task"]["status"] not in ("TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED")
        if body["task"]["status"] == "TASK_STATUS_PROCESSING" and \
                body["task"]["progress_percent"] >= 5:
            return body
        time.sleep(0.02)
    raise AssertionError(f"task {task_id} did not start rendering in {timeout} s")


def wait_failed(client: httpx.Client, task_id: str, within: float) -> dict:
    deadline = time.monotonic() + within
    while True:
        body = result(client, task_id)
        if body["task"]["status"] == "TASK_STATUS_FAILED" or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


def test_cancel_queued_and_running_tasks(one_worker: Server) -> None:
    with one_worker.client() as client:
        running = submit(client, resolution="1080p")
        queued = submit(client, resolution="720p")  # waits: the one worker renders `running`
        before = wait_until_rendering(client, running)
        waiting = result(client, queued)
        assert waiting["task"]["status"] == "TASK_STATUS_QUEUED"
        # Not known yet: "0", which the hosted Python SDK parses as an integer ("" crashed it)
        times = waiting["extra"]["debug_info"]
        assert (times["execute_time_ms"], times["complete_time_ms"]) == ("0", "0")
        assert int(times["submit_time_ms"]) > 0

        # A queued task ends at once: the answer already says FAILED.
        started = time.monotonic()
        answer = client.post(CANCEL, json={"task_id": queued})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["task"]["task_id"] == queued
        assert body["task"]["status"] == "TASK_STATUS_FAILED"
        assert body["task"]["reason"] == REASON
        assert body["task"]["progress_percent"] == 0
        assert body["task"]["eta"] == 0
        assert int(body["extra"]["debug_info"]["complete_time_ms"]) > 0
        assert time.monotonic() - started < 1.0

        # A running task stops at its next frame.
        started = time.monotonic()
        answer = client.post(CANCEL, json={"task_id": running})
        assert answer.status_code == 200, answer.text
        body = wait_failed(client, running, within=1.0)
        assert time.monotonic() - started < 1.0, "the running render did not stop in 1 s"
        assert body["task"]["status"] == "TASK_STATUS_FAILED", body["task"]
        assert body["task"]["reason"] == REASON
        assert body["videos"] == []
        assert body["task"]["progress_percent"] >= before["task"]["progress_percent"]
        assert body["task"]["progress_percent"] < 100
        outputs = one_worker.data_dir / "blobs" / "outputs" / running
        assert not outputs.exists() or not any(outputs.iterdir()), "a cancelled video was kept"

        # The worker is free: the next task starts and succeeds, and then stays finished.
        after = submit(client, resolution="360p")
        final = wait_for(client, after, timeout=60)
        assert final["task"]["status"] == "TASK_STATUS_SUCCEED", final["task"]
        for finished in (after, queued, running):
            assert_error(client.post(CANCEL, json={"task_id": finished}), 409,
                         "TASK_ALREADY_FINISHED", "already finished")
        assert result(client, after)["task"]["status"] == "TASK_STATUS_SUCCEED"

        # Unknown ids and other keys' tasks do not exist for the caller.
        assert_error(client.post(CANCEL, json={"task_id": "no-such-task"}), 404,
                     "TASK_NOT_FOUND", "no-such-task")
        other_key = cli(one_worker.data_dir, "keys", "create", "other").stdout.strip()
        other_task = submit(client, resolution="360p")
        with one_worker.client(other_key) as other:
            assert_error(other.post(CANCEL, json={"task_id": other_task}), 404,
                         "TASK_NOT_FOUND")
        assert_error(client.post(CANCEL, json={}), 400, "INVALID_REQUEST_BODY", "task_id")
        assert_error(client.post(CANCEL, json={"task_id": 5}), 400, "INVALID_REQUEST_BODY",
                     "task_id")
        with httpx.Client(base_url=one_worker.base_url) as anonymous:
            assert_error(anonymous.post(CANCEL, json={"task_id": other_task}), 401,
                         "FAILED_TO_AUTH")
        wait_for(client, other_task, timeout=60)
