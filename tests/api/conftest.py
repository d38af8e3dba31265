"""Fixtures and checks shared by the API contract tests.

`api_only_server` is a real `stillmotion serve --workers 0` (an API-only node, a supported
deployment): tests that only need a submit to be *accepted* use it, so they do not queue
renders on the shared server's single worker. Its URL timeouts are short (1 s read, 2 s in
all) so the URL-timeout tests finish in seconds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Server, storage_env

SUBMIT = "/v3/async/vidu-2.0-img2video"
RESULT = "/v3/async/task-result"


@pytest.fixture(scope="session")
def api_only_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest,
                    backend: str) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("api-only-server"), workers=0, backend=backend, env={
        **storage_env(request, backend),
        "STILLMOTION_URL_CONNECT_TIMEOUT_S": "1",
        "STILLMOTION_URL_READ_TIMEOUT_S": "1",
        "STILLMOTION_URL_TOTAL_TIMEOUT_S": "2",
    }).start()
    yield srv
    srv.close()


@pytest.fixture
def api_only(api_only_server: Server) -> Iterator[httpx.Client]:
    with api_only_server.client() as client:
        yield client


def assert_error(response: httpx.Response, status: int, reason: str,
                 *names: str) -> dict[str, Any]:
    """The contract's envelope, exactly, with a message that names every one of `names`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == "application/json"
    body = response.json()
    assert isinstance(body, dict), body
    assert set(body) == {"code", "reason", "message", "metadata"}, body
    assert body["code"] == status
    assert body["reason"] == reason
    assert re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*", body["reason"]), body
    message = body["message"]
    assert isinstance(message, str) and len(message.strip()) > 10, body
    assert "Traceback" not in message
    for name in names:
        assert name.lower() in message.lower(), f"{name!r} not named in {message!r}"
    assert isinstance(body["metadata"], dict), body
    return body


def post_raw(client: httpx.Client, content: bytes | Iterator[bytes],
             content_type: str | None = "application/json") -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    return client.post(SUBMIT, content=content, headers=headers)


def accepted_task(client: httpx.Client, response: httpx.Response) -> dict[str, Any]:
    """Assert a 200 submit answer and return the task-result body the server now holds."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"task_id"}
    result = client.get(RESULT, params={"task_id": body["task_id"]})
    assert result.status_code == 200, result.text
    task = result.json()
    assert task["task"]["task_id"] == body["task_id"]
    return task


def request_info(task: dict[str, Any]) -> dict[str, Any]:
    """The request as the server resolved and stored it (extra.debug_info.request_info)."""
    info = json.loads(task["extra"]["debug_info"]["request_info"])
    assert isinstance(info, dict)
    return dict(info["request"])
