"""GET /v3/async/task-events: Server-Sent Events read by a real streaming HTTP client."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import SUBMIT, assert_error
from tests.conftest import Server, photo, png_uri

EVENTS = "/v3/async/task-events"


def read_stream(client: httpx.Client, task_id: str, timeout: float = 90,
                comments: list[str] | None = None,
                on_event: Any = None) -> list[dict[str, Any]]:
    """Every event's JSON, in order, until the server ends the stream."""
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    with client.stream("GET", EVENTS, params={"task_id": task_id},
                       timeout=httpx.Timeout(timeout, read=20)) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        data: list[str] = []
        for line in response.iter_lines():
            assert time.monotonic() < deadline, "the stream did not end"
            if line.startswith(":"):
                if comments is not None:
                    comments.append(line)
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and data:
                events.append(json.loads("\n".join(data)))
                data = []
                if on_event is not None:
                    on_event(events[-1])
    return events


def submit(client: httpx.Client, **fields: object) -> str:
    response = client.post(SUBMIT, json={"images": [png_uri(photo("astronaut"))], **fields})
    assert response.status_code == 200, response.text
    return str(response.json()["task_id"])


@pytest.mark.slow
def test_stream_follows_a_render_to_the_end(api: httpx.Client) -> None:
    task_id = submit(api, resolution="720p")
    events = read_stream(api, task_id)
    statuses = [e["task"]["status"] for e in events]
    progress = [e["task"]["progress_percent"] for e in events]
    assert statuses[0] in ("TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING"), statuses
    assert "TASK_STATUS_PROCESSING" in statuses
    assert statuses[-1] == "TASK_STATUS_SUCCEED", events[-1]["task"]
    assert statuses.count("TASK_STATUS_SUCCEED") == 1  # the stream ends after it
    assert progress == sorted(progress), progress
    assert len({p for p in progress if 0 < p < 100}) >= 2, f"no rising progress: {progress}"
    assert all(e["task"]["task_id"] == task_id for e in events)
    final = events[-1]
    assert final["task"]["progress_percent"] == 100 and final["task"]["eta"] == 0
    (video,) = final["videos"]
    assert httpx.get(video["video_url"], timeout=30).status_code == 200
    # Our extensions: a queued task says how many are ahead, a running one its stage, in
    # the pipeline's order; a finished one neither.
    stages = ["analysis", "frames", "finishing", "upload"]
    running = [stages.index(e["extra"]["stage"]) for e in events
               if e["task"]["status"] == "TASK_STATUS_PROCESSING"]
    assert running == sorted(running) and stages.index("frames") in running, running
    for event in events:
        queued = event["task"]["status"] == "TASK_STATUS_QUEUED"
        assert ("queue_position" in event["extra"]) == queued, event["extra"]
        assert ("stage" in event["extra"]) == (
            event["task"]["status"] == "TASK_STATUS_PROCESSING")
    assert "webhook" not in final["extra"]  # no webhook asked for: the hosted body only
    # Nothing was sent twice in a row unchanged.
    for before, after in zip(events, events[1:], strict=False):
        assert before["task"] != after["task"] or before["videos"] != after["videos"]


def test_queued_tasks_show_their_place_in_the_queue(api_only: httpx.Client) -> None:
    """The API-only node has no workers, so the queue only moves when a test cancels."""
    ids = [submit(api_only) for _ in range(3)]

    def positions() -> list[int]:
        return [api_only.get("/v3/async/task-result", params={"task_id": task_id})
                .json()["extra"]["queue_position"] for task_id in ids]

    first, second, third = positions()
    assert (second, third) == (first + 1, first + 2)
    assert api_only.post("/v3/async/task-cancel", json={"task_id": ids[0]}).status_code == 200
    ids = ids[1:]
    assert positions() == [first, first + 1]  # the cancelled task no longer counts
    for task_id in ids:
        api_only.post("/v3/async/task-cancel", json={"task_id": task_id})


def test_unknown_task_and_missing_key(api_only: httpx.Client,
                                      api_only_server: Server) -> None:
    assert_error(api_only.get(EVENTS, params={"task_id": "no-such-task"}), 404,
                 "TASK_NOT_FOUND", "no-such-task")
    with httpx.Client(base_url=api_only_server.base_url) as anonymous:
        assert_error(anonymous.get(EVENTS, params={"task_id": "x"}), 401, "FAILED_TO_AUTH")


@pytest.fixture
def two_api_processes(tmp_path: Path) -> Iterator[Server]:
    """No workers (the task stays queued), two API processes, a short keep-alive."""
    srv = Server(tmp_path, workers=0, env={"STILLMOTION_API_PROCESSES": "2",
                                           "STILLMOTION_EVENTS_KEEPALIVE_S": "0.3"}).start()
    yield srv
    srv.stop()


def test_keep_alive_and_a_change_made_through_another_connection(
        two_api_processes: Server) -> None:
    """A queued task: keep-alive comments while nothing changes; a cancel sent on another
    connection (possibly another API process) reaches the stream, which then ends."""
    comments: list[str] = []
    answers: list[int] = []
    cancellers: list[threading.Thread] = []
    with two_api_processes.client() as client, two_api_processes.client() as canceller:
        task_id = submit(client, resolution="360p")

        def cancel_later() -> None:
            time.sleep(1.0)  # long enough for a few keep-alives
            answer = canceller.post("/v3/async/task-cancel", json={"task_id": task_id})
            answers.append(answer.status_code)

        def on_event(event: dict[str, Any]) -> None:
            if event["task"]["status"] == "TASK_STATUS_QUEUED" and not cancellers:
                cancellers.append(threading.Thread(target=cancel_later, daemon=True))
                cancellers[0].start()

        events = read_stream(client, task_id, timeout=30, comments=comments,
                             on_event=on_event)
        # Race: the stream can see FAILED before the cancel's own answer has arrived;
        # wait for it before the client closes under it.
        cancellers[0].join(10)
    assert answers == [200]
    assert events[0]["task"]["status"] == "TASK_STATUS_QUEUED"
    assert events[-1]["task"]["status"] == "TASK_STATUS_FAILED"
    assert events[-1]["task"]["reason"] == "cancelled by the user"
    assert len(comments) >= 2, comments


def test_open_streams_end_when_the_server_stops(two_api_processes: Server) -> None:
    """SIGTERM with a stream open: the stream ends cleanly and the shutdown is not held
    for uvicorn's graceful timeout (10 s)."""
    with two_api_processes.client() as client:
        task_id = submit(client, resolution="360p")
        ended: list[str] = []

        def follow() -> None:
            ended.append(str(len(read_stream(client, task_id, timeout=30))))

        reader = threading.Thread(target=follow, daemon=True)
        reader.start()
        time.sleep(1.0)  # the stream is open, the task stays queued (no workers)
        started = time.monotonic()
        two_api_processes.stop(timeout=30)
        assert time.monotonic() - started < 5, "an open event stream held the shutdown"
        reader.join(5)
    assert ended == ["1"], "the stream did not end cleanly after its one event"
