"""Programs written for the hosted API, unchanged apart from base URL and key: the hosted
service's own Python SDK (novita-client, from PyPI) and the raw HTTP clients people use
(urllib, requests, httpx), against a real server. Issue 16."""

from __future__ import annotations

import json
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Callable

import httpx
import pytest
import requests
from novita_client import NovitaClient
from novita_client.proto import V3TaskResponseStatus

from tests.api.conftest import RESULT, SUBMIT
from tests.conftest import Server, decode_video, photo, png_uri

CANCEL = "/v3/async/task-cancel"
# What is tested here is HTTP between a client and the API, the same whatever stores the
# tasks: the embedded deployment only (the store's two kinds are covered everywhere else).
pytestmark = pytest.mark.parametrize("backend", ["sqlite+files"], indirect=True)


def small_body(**fields: object) -> dict[str, object]:
    return {"images": [png_uri(photo("coffee")[::4, ::4])], "duration": 4,
            "resolution": "360p", **fields}


def test_the_hosted_python_sdk_parses_every_status(api_only_server: Server) -> None:
    """A queued task's times are "0", not "": the SDK parses them as integers at every poll
    (it crashed on the first poll of a queued task). Its base URL with a trailing slash
    asks for //v3/..., which is /v3/... here as there."""
    sdk = NovitaClient(api_only_server.key, base_url=api_only_server.base_url + "/")
    task_id = sdk._post(SUBMIT, small_body(prompt="slow push in"))["task_id"]  # its transport
    queued = sdk.async_task_result(task_id)  # no worker on this server: it stays queued
    assert queued.task.status == V3TaskResponseStatus.TASK_STATUS_QUEUED
    assert queued.extra.debug_info.execute_time_ms == 0
    assert queued.extra.debug_info.submit_time_ms > 0
    assert sdk._post(CANCEL, {"task_id": task_id})["task"]["status"] == "TASK_STATUS_FAILED"
    failed = sdk.wait_for_task_v3(task_id, wait_for=10)
    assert failed.task.status == V3TaskResponseStatus.TASK_STATUS_FAILED
    assert failed.task.reason and failed.extra.debug_info.complete_time_ms > 0


def test_the_hosted_python_sdk_waits_for_and_downloads_a_video(server: Server) -> None:
    sdk = NovitaClient(server.key, base_url=server.base_url)
    task_id = sdk._post(SUBMIT, small_body(prompt="pan left", seed=5))["task_id"]
    seen: list[str] = []
    done = sdk.wait_for_task_v3(task_id, wait_for=240,
                                callback=lambda p: seen.append(p.task.status.value))
    assert done.task.status == V3TaskResponseStatus.TASK_STATUS_SUCCEED, done.task.reason
    assert seen[-1] == "TASK_STATUS_SUCCEED"
    times = done.extra.debug_info
    assert 0 < times.submit_time_ms <= times.execute_time_ms <= times.complete_time_ms
    assert done.extra.seed == 5 and done.videos[0].video_url_ttl > 0
    video = requests.get(done.videos[0].video_url, timeout=60)
    assert video.status_code == 200
    assert len(decode_video(video.content).frames) == 96


# --- early answers reach every client --------------------------------------------------------

def _urllib(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _requests(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    answer = requests.post(url, data=body, headers=headers, timeout=60)
    return answer.status_code, answer.json()


def _httpx(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    answer = httpx.post(url, content=body, headers=headers, timeout=60)
    return answer.status_code, answer.json()


CLIENTS: dict[str, Callable[[str, bytes, dict[str, str]], tuple[int, dict[str, object]]]] = {
    "urllib": _urllib, "requests": _requests, "httpx": _httpx}


def _photo_sized_body(megabytes: float) -> bytes:
    return b'{"images": ["data:image/png;base64,' + b"A" * int(megabytes * 2**20) + b'"]}'


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_a_wrong_key_with_a_photo_sized_body_gets_its_401(api_only_server: Server,
                                                          client: str) -> None:
    """The key is refused before the 8 MB body is read; the body is read and dropped
    before the answer, so the client reads the 401 instead of a connection reset."""
    status, body = CLIENTS[client](api_only_server.base_url + SUBMIT, _photo_sized_body(8), {
        "Authorization": "Bearer sm_" + "x" * 43, "Content-Type": "application/json"})
    assert (status, body["reason"]) == (401, "FAILED_TO_AUTH")


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_a_body_over_the_limit_gets_its_413(api_only_server: Server, client: str) -> None:
    status, body = CLIENTS[client](api_only_server.base_url + SUBMIT, _photo_sized_body(41), {
        "Authorization": f"Bearer {api_only_server.key}", "Content-Type": "application/json"})
    assert (status, body["reason"]) == (413, "REQUEST_TOO_LARGE")


def test_a_client_that_expects_100_continue_gets_the_answer_instead(
        api_only_server: Server) -> None:
    """curl sends `Expect: 100-continue` for large bodies: a refused request answers at
    once, the body is never sent, and the connection is not left waiting for it."""
    host, port = api_only_server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"POST {SUBMIT} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer nope\r\n"
                     "Content-Type: application/json\r\nContent-Length: 50000000\r\n"
                     "Expect: 100-continue\r\n\r\n".encode())
        answer_text = _read_answer(sock)
    assert answer_text.startswith("HTTP/1.1 401"), answer_text[:200]
    assert "FAILED_TO_AUTH" in answer_text


def _read_answer(sock: socket.socket) -> str:
    """One whole HTTP answer (headers, then Content-Length bytes of body) from a socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"content-length: (\d+)", head.lower())
    while length and len(body) < int(length.group(1)):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return (head + b"\r\n\r\n" + body).decode("latin-1")


# --- paths and browsers ----------------------------------------------------------------------

def test_doubled_slashes_reach_the_route(api_only_server: Server) -> None:
    """The SDKs join strings: base URL "http://host/" + "/v3/..." is "http://host//v3/..."."""
    answer = requests.get(api_only_server.base_url + "//v3//async/task-result", timeout=10,
                          params={"task_id": "nope"},
                          headers={"Authorization": f"Bearer {api_only_server.key}"})
    assert answer.status_code == 404
    assert answer.json()["reason"] == "TASK_NOT_FOUND"


def test_cors_preflights_are_answered_only_for_configured_origins(
        api_only_server: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The hosted JS SDK's browser build sends X-Novita-Source and X-Api-Source: a page on
    a configured origin gets its preflight answered; by default no origin does."""
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type,x-novita-source,"
                                                   "x-api-source"}
    default = httpx.options(api_only_server.base_url + SUBMIT, headers=preflight, timeout=10)
    assert "access-control-allow-origin" not in default.headers
    web = Server(tmp_path_factory.mktemp("cors"), workers=0,
                 env={"STILLMOTION_CORS_ORIGINS": "https://app.example"}).start()
    try:
        answer = httpx.options(web.base_url + SUBMIT, headers=preflight, timeout=10)
        other = httpx.options(web.base_url + SUBMIT, timeout=10, headers={
            **preflight, "Origin": "https://elsewhere.example"})
        with web.client() as client:
            simple = client.get(RESULT, params={"task_id": "nope"},
                                headers={"Origin": "https://app.example"})
        banner = web.log()
    finally:
        web.close()
    # (and a start with keys already made says where another comes from)
    assert "a new one: `stillmotion keys create NAME`" in banner
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "https://app.example"
    assert "x-novita-source" in answer.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in other.headers
    assert simple.headers["access-control-allow-origin"] == "https://app.example"
