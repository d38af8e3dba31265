"""Quotas and backpressure through real servers with two API processes each: the limits
are counted in the store, so they hold whichever process takes a submit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import SUBMIT, assert_error
from tests.conftest import Server, cli, photo, png_uri

pytestmark = pytest.mark.slow
BODY = {"images": [png_uri(photo("astronaut"))]}


def quota_server(tmp_path: Path, backend: str, **limits: str) -> Server:
    env = {"STILLMOTION_API_PROCESSES": "2",
           **{f"STILLMOTION_{name.upper()}": value for name, value in limits.items()}}
    return Server(tmp_path, workers=0, env=env, backend=backend).start()


@pytest.fixture
def capped(tmp_path: Path, backend: str) -> Iterator[Server]:
    srv = quota_server(tmp_path, backend, open_tasks_per_key="3")
    yield srv
    srv.close()


def new_key(srv: Server) -> str:
    return cli(srv.data_dir, "keys", "create", f"q-{uuid.uuid4().hex[:8]}").stdout.strip()


def post(srv: Server, key: str, headers: dict[str, str] | None = None,
         body: dict[str, Any] | None = None) -> httpx.Response:
    with srv.client(key) as client:
        return client.post(SUBMIT, json=body or BODY, headers=headers)


def assert_429(response: httpx.Response, *names: str) -> int:
    assert_error(response, 429, "RATE_LIMIT_EXCEEDED", "limit", *names)
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1
    assert response.json()["metadata"]["retry_after_s"] == retry_after
    return retry_after


def test_the_open_task_cap_holds_exactly_under_concurrent_submits(capped: Server) -> None:
    key, other = new_key(capped), new_key(capped)
    inputs = capped.data_dir / "blobs" / "inputs"
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: post(capped, key), range(10)))
    accepted = [r for r in answers if r.status_code == 200]
    assert len(accepted) == 3, [r.status_code for r in answers]
    for refused in (r for r in answers if r.status_code != 200):
        assert_429(refused, "unfinished")
    # A refused submit keeps nothing: exactly the accepted tasks' images are stored.
    assert len(list(inputs.iterdir())) == 3
    assert post(capped, other).status_code == 200  # another key is unaffected

    first = accepted[0].json()["task_id"]
    with capped.client(key) as client:
        assert client.post("/v3/async/task-cancel", json={"task_id": first}).status_code == 200
    assert post(capped, key).status_code == 200  # a finished task frees its place
    assert_429(post(capped, key))


def test_an_idempotent_retry_is_answered_even_at_the_cap(capped: Server) -> None:
    key = new_key(capped)
    first = post(capped, key, headers={"Idempotency-Key": "retry-me"})
    assert first.status_code == 200
    for _ in range(2):
        assert post(capped, key).status_code == 200
    assert_429(post(capped, key))
    again = post(capped, key, headers={"Idempotency-Key": "retry-me"})
    assert again.status_code == 200 and again.json() == first.json()


def test_the_submit_rate_is_counted_per_key_per_minute(tmp_path: Path, backend: str) -> None:
    srv = quota_server(tmp_path, backend, submits_per_minute_per_key="4")
    try:
        key, other = new_key(srv), new_key(srv)
        for _ in range(4):
            assert post(srv, key).status_code == 200
        retry_after = assert_429(post(srv, key), "minute")
        assert retry_after <= 60
        assert post(srv, other).status_code == 200
    finally:
        srv.close()


def test_the_global_queue_bound_refuses_every_key(tmp_path: Path, backend: str) -> None:
    srv = quota_server(tmp_path, backend, max_queued_tasks="3")
    try:
        keys = [new_key(srv) for _ in range(3)]
        for key in keys:
            assert post(srv, key).status_code == 200
        for key in keys:
            assert_429(post(srv, key), "queue")
    finally:
        srv.close()
