"""Hostile and broken clients against a real server (issue 17): nothing they send gets a
5xx, a stack trace in the log, or an answer the size of what they sent."""

from __future__ import annotations

import base64
import json
import socket
import time

import httpx
import pytest

from tests.api.conftest import RESULT, SUBMIT, assert_error
from tests.conftest import Server, photo, png_uri

TASKS = "/v3/async/tasks"
# HTTP between a client and the API: the embedded deployment is enough.
pytestmark = pytest.mark.parametrize("backend", ["sqlite+files"], indirect=True)


def video_url(client: httpx.Client) -> str:
    """A real video URL in seconds, without a render: the webhook's test mode."""
    answer = client.post(SUBMIT, json={
        "images": [png_uri(photo("coffee")[::4, ::4])],
        "extra": {"webhook": {"url": "http://127.0.0.1:9/hook", "test_mode": {"enabled": True}}}})
    assert answer.status_code == 200, answer.text
    task = client.get(RESULT, params={"task_id": answer.json()["task_id"]}).json()
    return str(task["videos"][0]["video_url"])


@pytest.mark.parametrize("query", [
    "expires=%C2%B2&signature=x",  # a superscript two is a digit to str.isdigit
    "expires=" + "9" * 5000 + "&signature=x",  # past int()'s digit limit
    "expires=-1&signature=x", "expires=&signature="])
def test_a_mangled_download_url_is_403_never_500(api_only_server: Server, query: str) -> None:
    answer = httpx.get(f"{api_only_server.base_url}/files/outputs/x.mp4?{query}", timeout=10)
    assert_error(answer, 403, "FORBIDDEN", "download URL")


def test_listing_parameters_out_of_range_are_400(api_only: httpx.Client) -> None:
    assert_error(api_only.get(TASKS, params={"limit": "9" * 5000}), 400,
                 "INVALID_REQUEST_BODY", "limit")
    huge = base64.urlsafe_b64encode(json.dumps([2**63, "x"]).encode()).decode().rstrip("=")
    assert_error(api_only.get(TASKS, params={"cursor": huge}), 400, "INVALID_REQUEST_BODY",
                 "cursor")
    assert_error(api_only.get(TASKS, params={"status": "x" * 10_000}), 400,
                 "INVALID_REQUEST_BODY", "status")


def test_a_bad_value_is_not_echoed_back_whole(api_only: httpx.Client) -> None:
    """A 10 MB movement_amplitude used to come back as a 10 MB 400."""
    big = "x" * 10_000_000
    answer = api_only.post(SUBMIT, json={"images": [png_uri(photo("coffee")[::8, ::8])],
                                         "movement_amplitude": big})
    body = assert_error(answer, 400, "INVALID_REQUEST_BODY", "movement_amplitude")
    assert len(answer.content) < 1000 and "characters)" in body["message"]
    gone = api_only.get(RESULT, params={"task_id": "y" * 10_000})
    assert_error(gone, 404, "TASK_NOT_FOUND", "task")
    assert len(gone.content) < 1000


def test_head_and_ranges_on_a_video_url(api_only: httpx.Client) -> None:
    url = video_url(api_only)
    whole = httpx.get(url, timeout=30)
    head = httpx.head(url, timeout=30)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(whole.content)
    assert head.headers["content-type"] == "video/mp4"
    part = httpx.get(url, headers={"Range": "bytes=0-99"}, timeout=30)
    assert part.status_code == 206 and part.content == whole.content[:100]
    past = httpx.get(url, headers={"Range": f"bytes={len(whole.content) + 10}-"}, timeout=30)
    assert_error(past, 416, "RANGE_NOT_SATISFIABLE", "Range")
    assert past.headers["content-range"] == f"bytes */{len(whole.content)}"
    assert_error(httpx.get(url, headers={"Range": "lines=1-2"}, timeout=30), 400,
                 "INVALID_REQUEST_BODY", "Range")


def server_errors(server: Server) -> float:
    """How many requests /metrics counts as answered 5xx."""
    metrics = httpx.get(server.base_url + "/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("stillmotion_http_request_duration_seconds_count")
               and 'status="5' in line)


def test_a_client_hanging_up_mid_upload_is_not_an_error(api_only_server: Server) -> None:
    """It used to log two ERROR tracebacks and count a 500 in /metrics."""
    host, port = api_only_server.base_url.removeprefix("http://").split(":")
    log_before = len(api_only_server.log())
    errors_before = server_errors(api_only_server)
    for _ in range(3):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(f"POST {SUBMIT} HTTP/1.1\r\nHost: {host}\r\n"
                         f"Authorization: Bearer {api_only_server.key}\r\n"
                         "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
                         '{"images": ["data:image/png;base64,'.encode() + b"A" * 50_000)
    time.sleep(1.0)
    written = api_only_server.log()[log_before:]
    assert '"level": "ERROR"' not in written and "Traceback" not in written, written[-2000:]
    assert server_errors(api_only_server) == errors_before
