"""The webhook outbox and signer on a real SQLite file; signatures checked with the
independent `standardwebhooks` package."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import update
from standardwebhooks import Webhook

from stillmotion.jobs.database import now_ms, webhook_secrets, webhooks
from stillmotion.jobs.keys import WEBHOOK_SECRET_GRACE_MS, KeyStore
from stillmotion.jobs.store import NewTask, Store
from stillmotion.jobs.webhooks import Outbox, Outcome, event_body, sign
from tests.jobs.test_store import make_store


def add_task(store: Store, owner: str, webhook_url: str | None) -> str:
    task_id = store.new_task_id()
    store.submit(task_id, NewTask(
        owner=owner, request={"prompt": "", "duration": 4, "resolution": "360p",
                              "movement_amplitude": "auto", "seed": 1, "bgm": False},
        input_key=f"inputs/{task_id}.png", image_width=640, image_height=480,
        out_width=480, out_height=360, frame_count=96, webhook_url=webhook_url))
    return task_id


def headers(secrets: list[str], body: bytes, webhook_id: str = "msg_1") -> dict[str, str]:
    timestamp = int(now_ms() / 1000)
    return {"webhook-id": webhook_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secrets, webhook_id, timestamp, body)}


def test_signatures_verify_with_standard_webhooks_and_rotation_signs_with_both(
        tmp_path: Path) -> None:
    store = make_store(tmp_path)
    keys = KeyStore(store.engine)
    keys.create("alice")
    old = keys.webhook_secret("alice")
    assert old.startswith("whsec_") and keys.webhook_secret("alice") == old  # stable
    key_id = keys.list()[0].id
    body = event_body({"task": {"task_id": "t"}})
    Webhook(old).verify(body, headers(keys.signing_secrets(key_id), body))

    new = keys.rotate_webhook_secret("alice")
    assert new != old and keys.webhook_secret("alice") == new
    signing = keys.signing_secrets(key_id)
    assert signing == [new, old]  # during the grace period both sign
    signed = headers(signing, body)
    assert len(signed["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(body, signed)  # a receiver on either secret accepts it
    Webhook(old).verify(body, signed)
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(new).verify(body + b" ", signed)

    with store.engine.begin() as conn:  # the grace period passes
        conn.execute(update(webhook_secrets).where(webhook_secrets.c.secret == old)
                     .values(retired_ms=now_ms() - WEBHOOK_SECRET_GRACE_MS - 1))
    assert keys.signing_secrets(key_id) == [new]
    with pytest.raises(ValueError, match="no active key"):
        keys.rotate_webhook_secret("nobody")


def test_a_delivery_falls_due_only_when_its_task_ends(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    outbox = Outbox(store.engine, store.settings)
    task_id = add_task(store, "a", "https://example.com/hook")
    add_task(store, "a", None)  # no webhook: no outbox row at all
    assert outbox.claim_due(10) == []
    state = outbox.state(task_id)
    assert state is not None and state.state == "pending" and state.attempts == []
    assert store.cancel(task_id, "a") is not None
    (delivery,) = outbox.claim_due(10)
    assert (delivery.task_id, delivery.number, delivery.url) == (
        task_id, 1, "https://example.com/hook")
    assert outbox.claim_due(10) == []  # leased
    state = outbox.state(task_id)
    assert state is not None and state.attempts[0].error == "sending"  # visible in flight


def test_concurrent_senders_claim_each_delivery_once(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    ids = {add_task(store, "a", "https://example.com/hook") for _ in range(30)}
    for task_id in ids:
        store.cancel(task_id, "a")
    claimed: list[str] = []
    lock = threading.Lock()

    def send() -> None:
        outbox = Outbox(store.engine, store.settings)
        while batch := outbox.claim_due(3):
            with lock:
                claimed.extend(d.task_id for d in batch)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(ids)


def test_a_lapsed_lease_is_attempted_again_and_a_stale_sender_records_nothing(
        tmp_path: Path) -> None:
    store = make_store(tmp_path, webhook_max_attempts=2, webhook_backoff_s=0)
    outbox = Outbox(store.engine, store.settings)
    task_id = add_task(store, "a", "https://example.com/hook")
    store.cancel(task_id, "a")
    (stale,) = outbox.claim_due(1)
    with store.engine.begin() as conn:  # its sender froze past the lease
        conn.execute(update(webhooks).values(lease_expires_ms=now_ms() - 1))
    (fresh,) = outbox.claim_due(1)
    assert fresh.number == 2 and fresh.token != stale.token
    outbox.record(stale, Outcome(200, 5, ""))  # the frozen sender wakes: ignored
    state = outbox.state(task_id)
    assert state is not None and state.state == "pending"
    outbox.record(fresh, Outcome(500, 5, "the receiver answered HTTP 500"))
    state = outbox.state(task_id)
    assert state is not None and state.state == "failed"  # two attempts were allowed
    assert [a.status_code for a in state.attempts] == [None, 500]
    assert state.attempts[0].error == "sending"  # the cut-short attempt still shows
    assert outbox.redeliver(task_id, "a") and not outbox.redeliver(task_id, "b")
    (again,) = outbox.claim_due(1)
    assert again.number == 3 and again.max_attempts == 2 + 5


def test_a_sender_that_died_on_the_last_attempt_leaves_the_delivery_failed(
        tmp_path: Path) -> None:
    store = make_store(tmp_path, webhook_max_attempts=1)
    outbox = Outbox(store.engine, store.settings)
    task_id = add_task(store, "a", "https://example.com/hook")
    store.cancel(task_id, "a")
    (last,) = outbox.claim_due(1)  # its sender dies mid-delivery: nothing is recorded
    assert last.number == last.max_attempts == 1
    with store.engine.begin() as conn:
        conn.execute(update(webhooks).values(lease_expires_ms=now_ms() - 1))
    assert outbox.claim_due(1) == []  # no attempt beyond the budget...
    state = outbox.state(task_id)
    assert state is not None and state.state == "failed"  # ...and it shows as failed
    assert [a.error for a in state.attempts] == ["sending"]
