"""GET /metrics against a real `stillmotion serve`: it parses, and it moves with the tasks.

The task, queue, render, failure and webhook metrics are read from the store, so every
API process reports the same numbers; request latency is summed over the API processes
(prometheus_client multiprocess mode).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from stillmotion.config import Settings
from stillmotion.jobs.store import Claim, NewTask, Store
from stillmotion.metrics import StoreCollector, make_registry
from tests.conftest import Server, free_port, submit, wait_for

RESULT = "/v3/async/task-result"
CANCEL = "/v3/async/task-cancel"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of a Prometheus text exposition, by (name, sorted labels)."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def scrape(base_url: str, headers: dict[str, str] | None = None) -> Samples:
    response = httpx.get(base_url + "/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape_until(base_url: str, done: Callable[[Samples], bool], timeout: float = 30) -> Samples:
    """Scrape until `done` holds: store metrics are cached for a second or two."""
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(base_url)
        if done(samples) or time.monotonic() > deadline:
            return samples
        time.sleep(0.2)


def latency_count(samples: Samples, route: str, status: str = "200",
                  method: str = "GET") -> float:
    return value(samples, "stillmotion_http_request_duration_seconds_count",
                 method=method, route=route, status=status)


@pytest.mark.slow
def test_metrics_move_when_a_task_renders(tmp_path: Path) -> None:
    server = Server(tmp_path, workers=1).start()
    try:
        before = scrape(server.base_url)
        assert value(before, "stillmotion_store_up") == 1
        for status in ("queued", "processing", "succeed", "failed"):
            assert ("stillmotion_tasks", (("status", status),)) in before
        with server.client() as client:
            response = submit(client, prompt="slow push in", duration=4, resolution="360p")
            assert response.status_code == 200, response.text
            task_id = response.json()["task_id"]
            polls: list[dict[str, object]] = []
            assert wait_for(client, task_id, seen=polls)["task"]["status"] == \
                "TASK_STATUS_SUCCEED"

        succeeded = value(before, "stillmotion_tasks", status="succeed") + 1
        after = scrape_until(server.base_url, lambda s: value(
            s, "stillmotion_tasks", status="succeed") >= succeeded)
        assert value(after, "stillmotion_tasks", status="succeed") == succeeded
        render = {"resolution": "360p", "duration": "4"}
        assert value(after, "stillmotion_render_seconds_count", **render) == \
            value(before, "stillmotion_render_seconds_count", **render) + 1
        assert value(after, "stillmotion_render_seconds_sum", **render) > \
            value(before, "stillmotion_render_seconds_sum", **render)
        assert value(after, "stillmotion_render_seconds_bucket", le="+Inf", **render) == \
            value(after, "stillmotion_render_seconds_count", **render)
        # Every poll was one observation of the route's template, never of its raw path.
        assert latency_count(after, RESULT) == latency_count(before, RESULT) + len(polls)
        submits = dict(route="/v3/async/vidu-2.0-img2video", method="POST")
        assert latency_count(after, **submits) == latency_count(before, **submits) + 1
        labels = {v for (_name, pairs) in after for _k, v in pairs}
        assert not any(task_id in label for label in labels), "a task id became a label"
        assert value(after, "stillmotion_queue_depth") == 0
    finally:
        server.stop()


def test_queue_failure_and_webhook_metrics_on_an_api_only_node(tmp_path: Path) -> None:
    """Queued tasks show in the queue metrics; cancelled, they count as failures of the
    `cancelled` category (bounded labels, never the reason's text); the webhook of one,
    sent to a port nobody listens on, counts as an attempt with no answer."""
    server = Server(tmp_path, workers=0).start()
    try:
        with server.client() as client:
            plain = submit(client)
            hooked = submit(client, extra={"webhook": {"url": f"http://127.0.0.1:{free_port()}/"}})
            assert plain.status_code == hooked.status_code == 200, hooked.text
            queued = scrape_until(server.base_url,
                                  lambda s: value(s, "stillmotion_queue_depth") == 2)
            assert value(queued, "stillmotion_queue_depth") == 2
            assert value(queued, "stillmotion_tasks", status="queued") == 2
            assert value(queued, "stillmotion_queue_oldest_age_seconds") >= 0
            assert value(queued, "stillmotion_webhooks", state="pending") == 1
            for response in (plain, hooked):
                cancelled = client.post(CANCEL, json={"task_id": response.json()["task_id"]})
                assert cancelled.status_code == 200, cancelled.text
        after = scrape_until(server.base_url, lambda s: value(
            s, "stillmotion_queue_depth") == 0 and value(
            s, "stillmotion_webhook_attempts", outcome="no_answer") >= 1)
        assert value(after, "stillmotion_tasks", status="failed") == 2
        assert value(after, "stillmotion_task_failures", reason="cancelled") == 2
        assert value(after, "stillmotion_queue_oldest_age_seconds") == 0
        reasons = {dict(pairs)["reason"] for (name, pairs) in after
                   if name == "stillmotion_task_failures"}
        assert reasons == {"cancelled", "worker_lost", "input", "internal", "other"}
        assert latency_count(after, CANCEL, method="POST") == 2
        assert value(after, "stillmotion_webhook_attempts", outcome="no_answer") >= 1
        assert value(after, "stillmotion_webhook_attempts", outcome="success") == 0
        assert value(after, "stillmotion_webhooks", state="delivered") == 0
        assert value(after, "stillmotion_webhooks", state="pending") + value(
            after, "stillmotion_webhooks", state="failed") == 1
    finally:
        server.stop()


def test_metrics_token_guards_the_route(tmp_path: Path) -> None:
    server = Server(tmp_path, workers=0,
                    env={"STILLMOTION_METRICS_TOKEN": "metrics-secret"}).start()
    try:
        refused = httpx.get(server.base_url + "/metrics", timeout=30)
        assert refused.status_code == 401
        assert refused.json()["reason"] == "FAILED_TO_AUTH"
        wrong = httpx.get(server.base_url + "/metrics", timeout=30,
                          headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        samples = scrape(server.base_url, {"Authorization": "Bearer metrics-secret"})
        assert value(samples, "stillmotion_store_up") == 1
        schema = httpx.get(server.base_url + "/openapi.json", timeout=30).json()
        assert "Operations" in schema["paths"]["/metrics"]["get"]["tags"]
    finally:
        server.stop()


def pids_by_request_id(server: Server) -> dict[str, int]:
    """Which process answered each request, from the access log's JSON lines."""
    found = {}
    for line in server.log().rpartition("\n")[0].splitlines():  # complete lines only
        if not line.startswith("{"):  # the banner `serve` prints on stdout
            continue
        record = json.loads(line)
        if record["logger"] == "uvicorn.access" and "request_id" in record:
            found[record["request_id"]] = record["pid"]
    return found


def test_two_api_processes_report_the_same_totals(tmp_path: Path) -> None:
    """Requests spread over two API processes; /metrics from either one counts all of them
    (latency from the multiprocess files, tasks from the store)."""
    server = Server(tmp_path, workers=0, env={"STILLMOTION_API_PROCESSES": "2",
                                              "STILLMOTION_ACCESS_LOG": "true"}).start()
    try:
        with server.client() as client:
            response = submit(client)
            assert response.status_code == 200, response.text
            task_id = response.json()["task_id"]
        # A fresh connection per request: the kernel hands each to either process.
        result_ids: list[str] = []
        for _ in range(400):
            with server.client() as client:
                answer = client.get(RESULT, params={"task_id": task_id})
                assert answer.status_code == 200
                result_ids.append(answer.headers["x-request-id"])
            if len(result_ids) >= 10 and len(
                    {pids_by_request_id(server).get(r) for r in result_ids} - {None}) >= 2:
                break
        pids = pids_by_request_id(server)
        assert len({pids[r] for r in result_ids}) == 2, "one process answered every request"

        seen_from: dict[int, Samples] = {}
        for _ in range(400):
            response = httpx.get(server.base_url + "/metrics", timeout=30)
            assert response.status_code == 200
            pid = pids_by_request_id(server)[response.headers["x-request-id"]]
            seen_from[pid] = parse(response.text)
            if len(seen_from) == 2:
                break
        assert len(seen_from) == 2, "one process answered every scrape"
        for samples in seen_from.values():
            assert latency_count(samples, RESULT) == len(result_ids)
            assert latency_count(samples, "/v3/async/vidu-2.0-img2video", method="POST") == 1
            assert value(samples, "stillmotion_tasks", status="queued") == 1
            assert value(samples, "stillmotion_queue_depth") == 1
        # And the multiprocess files live under the data dir, one set per API process.
        assert any((tmp_path / "prometheus").glob("histogram_*.db"))
    finally:
        server.stop()


# --- the store collector on a real SQLite file, through the store's own transitions ---------

def test_store_collector_counts_every_ending_by_category(tmp_path: Path) -> None:
    store = Store(Settings(data_dir=tmp_path, max_attempts=1, workers=0))
    store.prepare_schema()

    def add(out_width: int, out_height: int, frames: int) -> str:
        task_id = store.new_task_id()
        store.submit(task_id, NewTask(
            owner="o", request={"seed": 1}, input_key=f"inputs/{task_id}.png",
            image_width=out_width, image_height=out_height, out_width=out_width,
            out_height=out_height, frame_count=frames))
        return task_id

    def claim() -> Claim:
        claimed = store.claim("test-worker")
        assert claimed is not None
        return claimed

    try:
        for _ in range(2):
            add(640, 360, 96)
            store.complete(claim(), "outputs/x.mp4")
        add(720, 1280, 192)
        store.complete(claim(), "outputs/y.mp4")
        add(640, 360, 96)
        store.fail(claim(), "The stored input image could not be read: it is cut short.")
        add(640, 360, 96)
        store.retry(claim(), "internal rendering error (ValueError)")
        add(640, 360, 96)
        store.fail(claim(), "something nobody classified")
        cancelled = add(640, 360, 96)
        store.cancel(cancelled, "o")
        add(640, 360, 96)  # stays queued

        samples = parse(generate(make_registry(store)))
        assert StoreCollector(store).snapshot().up
    finally:
        store.close()
    assert value(samples, "stillmotion_tasks", status="succeed") == 3
    assert value(samples, "stillmotion_tasks", status="failed") == 4
    assert value(samples, "stillmotion_tasks", status="queued") == 1
    assert value(samples, "stillmotion_queue_depth") == 1
    assert {reason: value(samples, "stillmotion_task_failures", reason=reason)
            for reason in ("cancelled", "worker_lost", "input", "internal", "other")} == {
        "cancelled": 1, "worker_lost": 0, "input": 1, "internal": 1, "other": 1}
    assert value(samples, "stillmotion_render_seconds_count",
                 resolution="360p", duration="4") == 2
    assert value(samples, "stillmotion_render_seconds_count",
                 resolution="720p", duration="8") == 1
    assert value(samples, "stillmotion_render_seconds_bucket",
                 resolution="720p", duration="8", le="+Inf") == 1


def generate(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode()
