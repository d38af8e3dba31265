"""Webhooks through a real server and a real HTTP receiver on loopback.

Signatures are checked with the `standardwebhooks` package, independently of our signer.
Tasks that need no video are ended by cancelling them while queued on an API-only server
(a cancel ends a task like any other final state), so most of these tests render nothing.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from standardwebhooks import Webhook

from tests.api.conftest import RESULT, SUBMIT, assert_error
from tests.api.webhook_receiver import Received, Receiver
from tests.conftest import Server, cli, photo, png_uri, wait_for

CANCEL = "/v3/async/task-cancel"
REDELIVER = "/v3/async/webhook-redeliver"
FAST_WEBHOOKS = {"STILLMOTION_WEBHOOK_POLL_S": "0.05", "STILLMOTION_WEBHOOK_BACKOFF_S": "0.2"}

pytestmark = pytest.mark.slow


def submit(client: httpx.Client, webhook_url: str | None, **fields: Any) -> str:
    body: dict[str, Any] = {"images": [png_uri(photo("astronaut"))], **fields}
    if webhook_url is not None:
        body["extra"] = {"webhook": {"url": webhook_url}}
    response = client.post(SUBMIT, json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["task_id"])


def result(client: httpx.Client, task_id: str) -> dict[str, Any]:
    response = client.get(RESULT, params={"task_id": task_id})
    assert response.status_code == 200, response.text
    return dict(response.json())


def cancel(client: httpx.Client, task_id: str) -> None:
    response = client.post(CANCEL, json={"task_id": task_id})
    assert response.status_code == 200, response.text
    assert response.json()["task"]["status"] == "TASK_STATUS_FAILED"


def webhook_state(client: httpx.Client, task_id: str, until: str, attempts: int = 1,
                  timeout: float = 30) -> dict[str, Any]:
    """The task's extra.webhook once its state is `until`, at least `attempts` attempts
    were made and none is in flight."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        webhook = result(client, task_id)["extra"]["webhook"]
        if webhook["state"] == until and len(webhook["attempts"]) >= attempts and all(
                a["error"] != "sending" for a in webhook["attempts"]):
            return dict(webhook)
        time.sleep(0.05)
    raise AssertionError(f"webhook of {task_id} never reached {until}: {webhook}")


def verify(secret: str, delivery: Received) -> Any:
    """The Standard Webhooks check a receiver would make; raises on a bad signature."""
    return Webhook(secret).verify(delivery.body, delivery.headers)


def secret_of(srv: Server) -> str:
    return cli(srv.data_dir, "keys", "webhook-secret", "tests").stdout.strip()


@pytest.fixture
def renderer(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path, workers=1, env=FAST_WEBHOOKS).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def api_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """No workers: submitted tasks stay queued until a test cancels them."""
    srv = Server(tmp_path_factory.mktemp("webhook-api-node"), workers=0,
                 env={**FAST_WEBHOOKS, "STILLMOTION_WEBHOOK_MAX_ATTEMPTS": "2"}).start()
    yield srv
    srv.stop()


def test_a_receiver_failing_twice_gets_exactly_one_accepted_signed_delivery(
        renderer: Server) -> None:
    with Receiver([500, 503, 200]) as receiver, renderer.client() as client:
        task_id = submit(client, receiver.url, prompt="slow push in", seed=7)
        final = wait_for(client, task_id)
        assert final["task"]["status"] == "TASK_STATUS_SUCCEED"
        webhook = webhook_state(client, task_id, "delivered")
        time.sleep(1.0)  # nothing more may arrive once it was accepted
        deliveries = receiver.received
    assert [d.status for d in deliveries] == [500, 503, 200]
    # One delivery, three attempts: the same webhook-id, each attempt freshly signed.
    assert len({d.headers["webhook-id"] for d in deliveries}) == 1
    assert deliveries[0].headers["webhook-id"] == webhook["webhook_id"]
    secret = secret_of(renderer)
    for delivery in deliveries:
        verify(secret, delivery)
        assert delivery.path == "/hook"
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(secret).verify(deliveries[-1].body.replace(b"SUCCEED", b"FAILED"),
                               deliveries[-1].headers)
    # Backoff grows: the second wait is longer than the first.
    assert deliveries[2].at - deliveries[1].at > deliveries[1].at - deliveries[0].at

    body = deliveries[-1].json()
    assert body["event_type"] == "ASYNC_TASK_RESULT"
    payload = body["payload"]
    assert set(payload) == {"task", "extra", "images", "videos", "audios"}
    assert payload["task"]["task_id"] == task_id
    assert payload["task"]["status"] == "TASK_STATUS_SUCCEED"
    assert payload["extra"]["seed"] == "7"
    # As the hosted service sends it: the url, not our delivery log
    assert payload["extra"]["webhook"] == {"url": receiver.url}
    video = httpx.get(payload["videos"][0]["video_url"], timeout=30)
    assert video.status_code == 200
    with av.open(io.BytesIO(video.content)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 96

    attempts = webhook["attempts"]
    assert [a["number"] for a in attempts] == [1, 2, 3]
    assert [a["status_code"] for a in attempts] == [500, 503, 200]
    assert "500" in attempts[0]["error"] and "503" in attempts[1]["error"]
    assert attempts[2]["error"] == ""
    assert all(a["next_retry_ms"].isdigit() for a in attempts[:2])
    assert attempts[2]["next_retry_ms"] == ""
    assert all(a["latency_ms"] >= 0 and a["started_ms"].isdigit() for a in attempts)


def test_a_delivery_survives_killing_the_server_between_attempts(tmp_path: Path) -> None:
    env = {"STILLMOTION_WEBHOOK_POLL_S": "0.05", "STILLMOTION_WEBHOOK_BACKOFF_S": "3"}
    first = Server(tmp_path, workers=1, env=env).start()
    with Receiver([500, 200]) as receiver:
        try:
            with first.client() as client:
                task_id = submit(client, receiver.url)
                wait_for(client, task_id)
                # Attempt 1 failed and is recorded; attempt 2 is ~3 s away. Kill it all.
                pending = webhook_state(client, task_id, "pending")
                assert [a["status_code"] for a in pending["attempts"]] == [500]
            first.kill()
            assert len(receiver.received) == 1
        finally:
            first.kill()
        second = Server(tmp_path, workers=1, env=env, key=first.key).start()
        try:
            with second.client() as client:
                delivered = webhook_state(client, task_id, "delivered")
            deliveries = receiver.wait_for(2)
            time.sleep(0.5)
            assert len(receiver.received) == 2
        finally:
            second.stop()
    assert deliveries[0].headers["webhook-id"] == deliveries[1].headers["webhook-id"]
    verify(secret_of(second), deliveries[1])
    assert deliveries[1].json()["payload"]["task"]["status"] == "TASK_STATUS_SUCCEED"
    assert [a["status_code"] for a in delivered["attempts"]] == [500, 200]


def test_a_cancelled_task_is_delivered_as_failed_with_its_reason(api_node: Server) -> None:
    with Receiver([200]) as receiver, api_node.client() as client:
        task_id = submit(client, receiver.url)
        assert result(client, task_id)["extra"]["webhook"]["state"] == "pending"
        assert receiver.received == []  # nothing is sent before the task ends
        cancel(client, task_id)
        delivery = receiver.wait_for(1)[0]
        webhook_state(client, task_id, "delivered")
    verify(secret_of(api_node), delivery)
    task = delivery.json()["payload"]["task"]
    assert (task["task_id"], task["status"], task["reason"]) == (
        task_id, "TASK_STATUS_FAILED", "cancelled by the user")


def test_redirects_are_not_followed_and_redelivery_sends_it_again(api_node: Server) -> None:
    with Receiver([302, 307, 200]) as receiver, api_node.client() as client:
        task_id = submit(client, receiver.url)
        cancel(client, task_id)
        failed = webhook_state(client, task_id, "failed")  # two attempts allowed here
        assert [a["status_code"] for a in failed["attempts"]] == [302, 307]
        assert all("redirect" in a["error"] for a in failed["attempts"])
        assert [d.path for d in receiver.received] == ["/hook", "/hook"]  # never /elsewhere

        response = client.post(REDELIVER, json={"task_id": task_id})
        assert response.status_code == 200, response.text
        assert response.json()["task"]["task_id"] == task_id
        delivered = webhook_state(client, task_id, "delivered")
        deliveries = receiver.wait_for(3)
    assert [a["status_code"] for a in delivered["attempts"]] == [302, 307, 200]
    assert len({d.headers["webhook-id"] for d in deliveries}) == 1
    verify(secret_of(api_node), deliveries[2])


def test_redeliver_refuses_what_it_cannot_do(api_node: Server) -> None:
    with api_node.client() as client:
        assert_error(client.post(REDELIVER, json={"task_id": "no-such-task"}),
                     404, "TASK_NOT_FOUND")
        assert_error(client.post(REDELIVER, json={}), 400, "INVALID_REQUEST_BODY", "task_id")
        queued = submit(client, "http://127.0.0.1:9/hook")
        assert_error(client.post(REDELIVER, json={"task_id": queued}),
                     409, "TASK_NOT_FINISHED", queued)
        plain = submit(client, None)
        cancel(client, plain)
        assert_error(client.post(REDELIVER, json={"task_id": plain}),
                     400, "INVALID_REQUEST_BODY", "extra.webhook.url")
        cancel(client, queued)
        other = cli(api_node.data_dir, "keys", "create", "webhook-other").stdout.strip()
    with api_node.client(other) as stranger:  # another key's task does not exist for it
        assert_error(stranger.post(REDELIVER, json={"task_id": queued}), 404, "TASK_NOT_FOUND")


@pytest.mark.parametrize("extra, named", [
    ({"webhook": "https://example.com"}, "extra.webhook"),
    ({"webhook": {"url": 5}}, "extra.webhook.url"),
    ({"webhook": {"url": ""}}, "extra.webhook.url"),
    ({"webhook": {"url": "ftp://example.com/hook"}}, "extra.webhook.url"),
    ({"webhook": {"url": "https://"}}, "extra.webhook.url"),
    ({"webhook": {"url": "http://example.com:99999/"}}, "extra.webhook.url"),
    ({"webhook": {"url": "https://example.com/" + "a" * 2100}}, "2048"),
])
def test_a_bad_webhook_url_is_refused_at_submit(api_node: Server, extra: dict[str, Any],
                                                named: str) -> None:
    with api_node.client() as client:
        response = client.post(SUBMIT, json={"images": [png_uri(photo("astronaut"))],
                                             "extra": extra})
    assert_error(response, 400, "INVALID_REQUEST_BODY", named)


def test_a_private_receiver_is_refused_unless_the_operator_allows_it(tmp_path: Path) -> None:
    srv = Server(tmp_path, workers=0, env={
        **FAST_WEBHOOKS, "STILLMOTION_ALLOW_PRIVATE_URLS": "false",
        "STILLMOTION_WEBHOOK_MAX_ATTEMPTS": "1"}).start()
    try:
        with Receiver([200]) as receiver, srv.client() as client:
            task_id = submit(client, receiver.url)
            cancel(client, task_id)
            failed = webhook_state(client, task_id, "failed")
            time.sleep(0.3)
            assert receiver.received == []
    finally:
        srv.stop()
    (attempt,) = failed["attempts"]
    assert attempt["status_code"] is None
    assert "private" in attempt["error"]


@pytest.mark.parametrize("status", ["TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"])
def test_test_mode_sends_the_asked_status_at_once_without_a_render(
        api_node: Server, status: str) -> None:
    """The hosted webhook's test mode, on a node with no worker at all: the task ends as
    it is submitted and its event goes out; SUCCEED carries a playable video of the
    right size and length (the photo held still), FAILED a reason that says why."""
    test_mode = {"enabled": True, "return_task_status": status}
    with Receiver([200]) as receiver, api_node.client() as client:
        body = {"images": [png_uri(photo("astronaut")[::2, ::2])], "duration": 4,
                "resolution": "360p",
                "extra": {"webhook": {"url": receiver.url, "test_mode": test_mode}}}
        response = client.post(SUBMIT, json=body)
        assert response.status_code == 200, response.text
        task_id = response.json()["task_id"]
        polled = result(client, task_id)
        assert polled["task"]["status"] == status  # ended at submit: nothing queued
        webhook_state(client, task_id, "delivered")
        delivery = receiver.received[-1]
        # A task that succeeded unrendered says nothing of render times: a queued task's
        # ETA, estimated from them, is still answered.
        queued = result(client, submit(client, None))
        assert queued["task"]["status"] == "TASK_STATUS_QUEUED" and queued["task"]["eta"] > 0
        cancel(client, queued["task"]["task_id"])
    verify(secret_of(api_node), delivery)
    payload = delivery.json()["payload"]
    assert delivery.json()["event_type"] == "ASYNC_TASK_RESULT"
    assert payload["task"]["task_id"] == task_id and payload["task"]["status"] == status
    assert payload["extra"]["webhook"] == {"url": receiver.url, "test_mode": test_mode}
    if status == "TASK_STATUS_FAILED":
        assert "test mode" in payload["task"]["reason"] and payload["videos"] == []
        return
    assert payload["task"]["reason"] == "" and payload["task"]["progress_percent"] == 100
    video = httpx.get(payload["videos"][0]["video_url"], timeout=30)
    assert video.status_code == 200
    with av.open(io.BytesIO(video.content)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 96 and frames[0].shape[:2] == (360, 360)
    # the photo held still: every frame is the first, to within the encoder's noise
    assert max(float(abs(f.astype(int) - frames[0].astype(int)).mean()) for f in frames) < 3


def test_test_mode_is_checked_like_any_field(api_node: Server) -> None:
    with api_node.client() as client:
        for webhook, words in (
                ({"url": "http://127.0.0.1:9/h", "test_mode": {"enabled": "yes"}},
                 "test_mode.enabled"),
                ({"url": "http://127.0.0.1:9/h",
                  "test_mode": {"enabled": True, "return_task_status": "TASK_STATUS_QUEUED"}},
                 "return_task_status"),
                ({"test_mode": {"enabled": True}}, "needs extra.webhook.url")):
            answer = client.post(SUBMIT, json={"images": [png_uri(photo("astronaut")[::4, ::4])],
                                               "extra": {"webhook": webhook}})
            assert_error(answer, 400, "INVALID_REQUEST_BODY", words)
