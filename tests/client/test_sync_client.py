"""`stillmotion.client.Client` against a real `stillmotion serve`: real HTTP, real SQLite,
real MP4s decoded with PyAV."""

from __future__ import annotations

import functools
import http.server
import itertools
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stillmotion.client import (
    FAILED,
    QUEUED,
    SUCCEED,
    ApiError,
    AuthError,
    BadRequest,
    Client,
    ClientError,
    NotFound,
    TaskResult,
    TransportError,
    WaitTimeout,
)
from stillmotion.client.images import image_field
from tests.client.conftest import b64, new_key
from tests.conftest import Server, decode_video, encode, free_port, photo, png_uri

CANCELLED = "cancelled by the user"


@pytest.fixture
def queued(api_only_server: Server) -> Iterator[Client]:
    """A client of the API-only node, with a key of its own."""
    with Client(api_only_server.base_url, new_key(api_only_server)) as client:
        yield client


@pytest.mark.slow
def test_submit_wait_download_a_real_video(server: Server, chelsea_jpeg: Path,
                                           tmp_path: Path) -> None:
    seen: list[TaskResult] = []
    with Client(server.base_url, server.key) as client:
        task_id = client.submit(chelsea_jpeg, prompt="pan right", seed=5)
        uuid.UUID(task_id)
        result = client.wait(task_id, timeout=600, poll_interval=0.05, on_progress=seen.append)
        assert result.status == SUCCEED and result.succeeded and result.done, result
        assert result.task_id == task_id and result.reason == ""
        assert result.extra.seed == "5" and result.eta == 0
        written = client.download(result, tmp_path / "out.mp4")
    assert written == tmp_path / "out.mp4"
    assert not list(tmp_path.glob(".*.part"))
    # a tampered (or expired) URL is 403: download polls once for a fresh one (checked on
    # the server's own /files URLs: moto, the test S3, does not verify presigned URLs)
    url = result.video_url
    assert url is not None
    if server.serves_files:
        assert "signature=" in url
        stale = result.model_copy(deep=True)
        stale.videos[0].video_url = url.replace("signature=", "signature=0")
        with Client(server.base_url, server.key) as client:
            again = client.download(stale, tmp_path / "again.mp4")
        assert again.read_bytes() == written.read_bytes()
    video = decode_video(written.read_bytes())
    assert (video.width, video.height, len(video.frames)) == (542, 360, 96)
    progress = [r.progress for r in seen]
    assert progress == sorted(progress), progress
    assert progress[0] < 100 and progress[-1] == 100
    assert any(0 < p < 100 for p in progress), progress
    assert seen[-1].status == SUCCEED
    # on_progress hears only changes
    states = [(r.status, r.progress, r.eta, r.stage) for r in seen]
    assert all(a != b for a, b in itertools.pairwise(states))


def test_every_image_form_is_accepted(queued: Client, tmp_path: Path) -> None:
    png = encode(photo("astronaut"), "PNG")
    jpeg = encode(photo("chelsea"), "JPEG", quality=90)
    webp = encode(photo("coffee"), "WEBP", quality=80)
    (tmp_path / "a.png").write_bytes(png)
    assert image_field(png).startswith("data:image/png;base64,")
    assert image_field(jpeg) == "data:image/jpeg;base64," + b64(jpeg)
    assert image_field(webp).startswith("data:image/webp;base64,")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/a.png"
        forms: list[object] = [tmp_path / "a.png", str(tmp_path / "a.png"), jpeg, webp,
                               "data:image/png;base64," + b64(png), url]
        ids = [queued.submit(form) for form in forms]  # type: ignore[arg-type]
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert len(set(ids)) == len(forms)
    for task_id in ids:
        assert queued.result(task_id).status == QUEUED
    with pytest.raises(ValueError, match="PNG, JPEG or WebP"):
        queued.submit(encode(photo("chelsea"), "GIF"))
    with pytest.raises(FileNotFoundError):
        queued.submit(tmp_path / "missing.png")


def test_cancel_ends_failed_and_wait_returns_it(queued: Client) -> None:
    task_id = queued.submit(encode(photo("astronaut"), "PNG"), prompt="push in")
    cancelled = queued.cancel(task_id)
    assert cancelled.status == FAILED and cancelled.failed and cancelled.reason == CANCELLED
    result = queued.wait(task_id, timeout=30, poll_interval=0.05)
    assert result.status == FAILED and result.reason == CANCELLED
    with pytest.raises(BadRequest) as again:
        queued.cancel(task_id)
    assert (again.value.code, again.value.reason) == (409, "TASK_ALREADY_FINISHED")
    with pytest.raises(ClientError, match=f"{task_id} has no video.*{CANCELLED}"):
        queued.download(task_id, "never.mp4")


def test_wait_times_out_naming_the_task(queued: Client) -> None:
    task_id = queued.submit(encode(photo("astronaut"), "PNG"))
    with pytest.raises(WaitTimeout) as timed_out:
        queued.wait(task_id, timeout=0.3, poll_interval=0.05)
    assert isinstance(timed_out.value, TimeoutError)
    assert timed_out.value.task_id == task_id and task_id in str(timed_out.value)
    assert timed_out.value.last is not None and timed_out.value.last.status == QUEUED
    queued.cancel(task_id)


def test_bad_key_is_an_auth_error(api_only_server: Server) -> None:
    with Client(api_only_server.base_url, "sm_not_a_real_key") as client:
        with pytest.raises(AuthError) as bad:
            client.result(str(uuid.uuid4()))
        with pytest.raises(AuthError):
            client.submit(encode(photo("astronaut"), "PNG"))
    assert (bad.value.code, bad.value.reason) == (401, "FAILED_TO_AUTH")
    assert isinstance(bad.value, ApiError) and bad.value.message


def test_a_bad_field_is_the_servers_400_before_the_upload(queued: Client) -> None:
    """The client checks a submit with the API's own model: the same 400, word for word,
    without sending the photo."""
    with pytest.raises(BadRequest) as bad:
        queued.submit(encode(photo("astronaut"), "PNG"), duration=6)
    assert (bad.value.code, bad.value.reason) == (400, "INVALID_REQUEST_BODY")
    assert "duration must be 4 or 8" in bad.value.message
    assert bad.value.metadata == {}
    body = {"images": [png_uri(photo("astronaut"))], "duration": 6}
    with httpx.Client(base_url=queued.base_url, timeout=30,
                      headers={"Authorization": f"Bearer {queued.config.api_key}"}) as raw:
        assert raw.post("/v3/async/vidu-2.0-img2video", json=body).json()["message"] \
            == bad.value.message
    with pytest.raises(BadRequest, match="resolution"):
        queued.submit(encode(photo("astronaut"), "PNG"), duration=8, resolution="1080p")


def test_unknown_task_is_not_found(queued: Client) -> None:
    task_id = str(uuid.uuid4())
    with pytest.raises(NotFound) as missing:
        queued.result(task_id)
    assert (missing.value.code, missing.value.reason) == (404, "TASK_NOT_FOUND")
    assert task_id in missing.value.message


def test_another_keys_task_is_not_found(api_only_server: Server, queued: Client) -> None:
    task_id = queued.submit(encode(photo("astronaut"), "PNG"))
    with Client(api_only_server.base_url, new_key(api_only_server)) as other:
        with pytest.raises(NotFound):
            other.result(task_id)
        with pytest.raises(NotFound):
            other.cancel(task_id)
    queued.cancel(task_id)


def test_list_pages_through_every_task(queued: Client) -> None:
    image = encode(photo("astronaut"), "PNG")
    ids = [queued.submit(image, prompt=f"shot {n}") for n in range(5)]
    first = queued.list(limit=2)
    assert [t.task_id for t in first.tasks] == ids[::-1][:2] and first.next_cursor
    second = queued.list(limit=2, cursor=first.next_cursor)
    assert [t.task_id for t in second.tasks] == ids[::-1][2:4]
    assert [t.task_id for t in queued.iter_tasks(page_size=2)] == ids[::-1]
    assert [t.task_id for t in queued.iter_tasks()] == ids[::-1]
    queued.cancel(ids[1])
    failed = queued.list(status=FAILED)
    assert [t.task_id for t in failed.tasks] == [ids[1]] and failed.next_cursor == ""
    assert [t.task_id for t in queued.iter_tasks(QUEUED, page_size=1)] == [
        i for i in ids[::-1] if i != ids[1]]
    with pytest.raises(BadRequest, match="limit"):
        queued.list(limit=0)
    for task_id in ids:
        if task_id != ids[1]:
            queued.cancel(task_id)


def test_events_follow_the_task_to_its_end(queued: Client) -> None:
    task_id = queued.submit(encode(photo("astronaut"), "PNG"))
    statuses = []
    for event in queued.events(task_id):
        assert event.task_id == task_id
        statuses.append(event.status)
        if event.status == QUEUED:
            queued.cancel(task_id)
    assert statuses[0] == QUEUED and statuses[-1] == FAILED
    with pytest.raises(NotFound):
        next(iter(queued.events(str(uuid.uuid4()))))


def test_idempotency_key_returns_the_same_task(queued: Client) -> None:
    image = encode(photo("astronaut"), "PNG")
    key = f"retry-{uuid.uuid4()}"
    first = queued.submit(image, prompt="push in", idempotency_key=key)
    assert queued.submit(image, prompt="push in", idempotency_key=key) == first
    with pytest.raises(BadRequest) as reused:
        queued.submit(image, prompt="pull out", idempotency_key=key)
    assert (reused.value.code, reused.value.reason) == (409, "IDEMPOTENCY_KEY_REUSED")
    # without an explicit key every submit gets its own, so two submits are two tasks
    assert queued.submit(image, prompt="push in") != queued.submit(image, prompt="push in")
    queued.cancel(first)


def test_base_url_and_key_come_from_the_environment(
        api_only_server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STILLMOTION_BASE_URL", api_only_server.base_url)
    monkeypatch.setenv("STILLMOTION_API_KEY", new_key(api_only_server))
    with Client() as client:
        assert client.base_url == api_only_server.base_url
        task_id = client.submit(encode(photo("astronaut"), "PNG"))
        assert client.cancel(task_id).status == FAILED
    monkeypatch.delenv("STILLMOTION_BASE_URL")
    with Client(api_key="x") as client:
        assert client.base_url == "http://127.0.0.1:8000"


def test_no_server_is_a_transport_error() -> None:
    with Client(f"http://127.0.0.1:{free_port()}", "sm_x", timeout=5) as client:
        with pytest.raises(TransportError, match="ConnectError"):
            client.result(str(uuid.uuid4()))


def test_the_client_does_not_load_the_server() -> None:
    code = ("import sys, stillmotion.client; "
            "print(' '.join(m for m in ('fastapi', 'sqlalchemy', 'cv2', 'numpy', 'uvicorn', "
            "'stillmotion.api', 'stillmotion.jobs') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert loaded.stdout.strip() == "", loaded.stdout
