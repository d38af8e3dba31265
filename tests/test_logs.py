"""Logs: one JSON object per line, request and task ids on the lines about them, and no
secret (API key, signed URL, image data) ever written.

The end-to-end tests read a real `stillmotion serve`'s stderr. Its access log is turned
on (STILLMOTION_ACCESS_LOG): the access line of every request quotes the path with its
query string, which is where a signed URL or a key passed as a parameter would leak.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Request

from stillmotion.api.app import create_app
from stillmotion.config import Settings
from stillmotion.logs import bind_task, make_handler, redact, request_id_var
from tests.conftest import (
    FAST_RECOVERY_ENV,
    NO_QUOTAS_ENV,
    Server,
    cli,
    encode,
    free_port,
    photo,
    submit,
    wait_for,
)

RESULT = "/v3/async/task-result"
FIELDS = {"ts", "level", "logger", "message", "pid"}
BAD_KEY = "sm_thisIsNotAKeyButLooksLikeOne0123456789abcdef"


class StderrServer(Server):
    """The test suite's server with its stderr alone in `server.log`: stdout carries the
    banner `serve` prints for people (and the API key on a first start), not log lines."""

    def start(self) -> StderrServer:
        if not self.key:
            self.key = cli(self.data_dir, "keys", "create", "tests").stdout.strip()
        with open(self.data_dir / "server.log", "ab") as log, \
                open(self.data_dir / "server.stdout", "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "stillmotion.cli", "serve", "--data-dir",
                 str(self.data_dir), "--port", str(self.port), "--workers", str(self.workers)],
                stdout=out, stderr=log,
                env={**os.environ, **FAST_RECOVERY_ENV, **NO_QUOTAS_ENV, **self.env})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not become healthy:\n{self.log()}")


def records(text: str) -> list[dict[str, Any]]:
    """Every line as JSON, each with the fields every line has; fails on any other line."""
    lines = []
    for line in text.splitlines():
        record = json.loads(line)
        assert isinstance(record, dict) and FIELDS <= record.keys(), line
        lines.append(record)
    return lines


def assert_no_secrets(log: str, *secrets: str) -> None:
    assert "signature=" not in log
    assert "base64," not in log
    for secret in secrets:
        assert secret not in log


# --- the formatter and the filter, in this process ------------------------------------------

@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = make_handler("json", stream)
    logger = logging.getLogger("stillmotion.tests.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def test_redact_takes_out_keys_signed_queries_and_image_data() -> None:
    image = base64.b64encode(encode(photo("astronaut")[:64, :64], "PNG")).decode()
    text = (f"auth=Bearer {BAD_KEY} key {BAD_KEY} secret whsec_c2VjcmV0c2VjcmV0c2VjcmV0 "
            f"url http://h/files/a.mp4?expires=1&signature=abcdef next "
            f"img data:image/png;base64,{image} tail")
    clean = redact(text)
    assert BAD_KEY not in clean and "whsec_c2Vj" not in clean
    assert "signature=" not in clean and "expires=1" not in clean
    assert image[:40] not in clean and "base64," not in clean
    assert clean.startswith("auth=Bearer [redacted]") and clean.endswith(" tail")
    assert "http://h/files/a.mp4?[redacted] next" in clean
    assert redact("nothing secret here: task 1234, 720p") == "nothing secret here: task 1234, 720p"


def test_json_lines_carry_the_context_and_never_a_secret(
        captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    token = request_id_var.set("req-1")
    try:
        logger.info("plain %s", "line")
        with bind_task("task-1"):
            logger.warning("about a task with key %s", BAD_KEY)
            try:
                raise RuntimeError(f"fetching http://x/y?signature=zzz with {BAD_KEY}")
            except RuntimeError:
                logger.exception("failed")
    finally:
        request_id_var.reset(token)
    logger.info("outside")
    lines = records(stream.getvalue())
    assert [line["message"] for line in lines] == [
        "plain line", "about a task with key sm_[redacted]", "failed", "outside"]
    assert [line.get("request_id") for line in lines] == ["req-1"] * 3 + [None]
    assert [line.get("task_id") for line in lines] == [None, "task-1", "task-1", None]
    assert "RuntimeError" in lines[2]["exc"]
    assert all(line["pid"] == os.getpid() and line["logger"] == logger.name for line in lines)
    assert_no_secrets(stream.getvalue(), BAD_KEY)


def test_text_format_keeps_the_ids() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("stillmotion.tests.text")
    handler = make_handler("text", stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with bind_task("task-9"):
            logger.warning("hello from %s", BAD_KEY)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    line = stream.getvalue().strip()
    assert line.endswith("hello from sm_[redacted] [task_id=task-9]")
    assert "WARNING" in line and BAD_KEY not in line


def test_500_envelope_header_and_log_quote_one_request_id(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, workers=0))

    @app.get("/boom")
    def boom(request: Request) -> None:
        raise RuntimeError(f"a bug, holding {request.headers['authorization']}")

    stream = io.StringIO()
    handler = make_handler("json", stream)
    api_log = logging.getLogger("stillmotion.api")
    api_log.addHandler(handler)
    async def calls() -> tuple[httpx.Response, ...]:
        # The app in this process, through httpx's ASGI transport (no lifespan needed).
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return (
                await client.get("/boom", headers={"Authorization": f"Bearer {BAD_KEY}"}),
                await client.get("/healthz", headers={"X-Request-ID": "proxy-id.42"}),
                await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}))

    try:
        response, echoed, replaced = asyncio.run(calls())
    finally:
        api_log.removeHandler(handler)
        app.state.store.close()
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert response.json()["metadata"]["request_id"] == request_id
    assert request_id in response.json()["message"]
    (line,) = [r for r in records(stream.getvalue()) if r["level"] == "ERROR"]
    assert line["request_id"] == request_id and "RuntimeError" in line["exc"]
    assert_no_secrets(stream.getvalue(), BAD_KEY)
    assert echoed.headers["x-request-id"] == "proxy-id.42"
    assert replaced.headers["x-request-id"] not in ("", "bad id with spaces")
    assert len(replaced.headers["x-request-id"]) == 32


# --- a real server ---------------------------------------------------------------------------

def wait_for_lines(server: Server, match: Callable[[dict[str, Any]], bool],
                   timeout: float = 30) -> list[dict[str, Any]]:
    """The server's log lines that `match`, once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        complete = server.log().rpartition("\n")[0]  # not a line still being written
        found = [r for r in records(complete) if match(r)]
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("no such line in the server log")


def access_lines(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["request_id"]: r for r in lines if r["logger"] == "uvicorn.access"}


def test_server_logs_are_json_with_request_ids_and_no_secrets(tmp_path: Path) -> None:
    server = StderrServer(tmp_path, workers=0, env={"STILLMOTION_ACCESS_LOG": "true"}).start()
    try:
        with server.client() as client:
            accepted = submit(client, prompt="slow push in")
            assert accepted.status_code == 200, accepted.text
            mine = client.get(RESULT, params={"task_id": accepted.json()["task_id"]},
                              headers={"X-Request-ID": "client-chosen-1"})
        with server.client(BAD_KEY) as stranger:  # a bad key, in the header and the query
            refused = stranger.get(RESULT, params={"task_id": BAD_KEY})
        forged = httpx.get(server.base_url + "/files/outputs/x.mp4",
                           params={"expires": "1", "signature": "deadbeef"}, timeout=30)
        # A webhook to a port nobody listens on: the sender logs its attempt.
        with server.client() as client:
            hooked = submit(client, extra={"webhook": {"url": f"http://127.0.0.1:{free_port()}/"}})
            hooked_id = hooked.json()["task_id"]
            assert client.post("/v3/async/task-cancel",
                               json={"task_id": hooked_id}).status_code == 200
        sender_lines = wait_for_lines(server, lambda r: r["logger"] == "stillmotion.webhooks")
    finally:
        server.stop()
    assert refused.status_code == 401 and forged.status_code == 403
    assert mine.headers["x-request-id"] == "client-chosen-1"
    log = server.log()
    lines = records(log)
    by_request = access_lines(lines)
    for response in (accepted, mine, refused, forged):
        request_id = response.headers["x-request-id"]
        assert request_id in by_request, f"no line carries request id {request_id}"
    assert f"{RESULT}?task_id=sm_[redacted]" in by_request[refused.headers["x-request-id"]][
        "message"]
    assert "/files/outputs/x.mp4?[redacted]" in by_request[forged.headers["x-request-id"]][
        "message"]
    assert_no_secrets(log, BAD_KEY, server.key)
    assert sender_lines and all(r["task_id"] == hooked_id for r in sender_lines)
    image = base64.b64encode(encode(photo("astronaut"), "PNG")).decode()
    assert image[1000:1100] not in log


@pytest.mark.slow
def test_lines_about_a_rendered_task_carry_its_id(tmp_path: Path) -> None:
    server = StderrServer(tmp_path, workers=1, env={"STILLMOTION_ACCESS_LOG": "true"}).start()
    try:
        with server.client() as client:
            accepted = submit(client, prompt="slow push in", duration=4, resolution="360p")
            task_id = accepted.json()["task_id"]
            done = wait_for(client, task_id)
            assert done["task"]["status"] == "TASK_STATUS_SUCCEED"
            video = httpx.get(done["videos"][0]["video_url"], timeout=30)
            assert video.status_code == 200
    finally:
        server.stop()
    log = server.log()
    lines = records(log)
    about_task = [r for r in lines if r.get("task_id") == task_id]
    messages = [r["message"] for r in about_task]
    assert any("attempt 1 started" in m for m in messages), messages
    assert any("succeeded" in m for m in messages), messages
    # Worker lines come from the worker process, not the API's.
    assert {r["process"] for r in about_task} == {"stillmotion-worker-0"}
    assert video.headers["x-request-id"] in access_lines(lines)
    assert_no_secrets(log, server.key)
    # Every process logged JSON: serve (and its API), the worker.
    assert len({r["pid"] for r in lines}) >= 2
