"""Webhook delivery: a durable outbox in the store, signed POSTs, retries with backoff.

The outbox row is written with its task at submit (`Store.submit`), and falls due when
the task ends, whoever ended it. Senders (a thread in `serve` and in each `stillmotion
worker`) claim due rows under a lease, exactly as workers claim tasks, so two senders
never deliver the same attempt and a sender killed mid-delivery only delays it: the lease
lapses and another sender (or the restarted one) makes the next attempt. Delivery is at
least once; the `webhook-id` stays the same across attempts so receivers can drop repeats.

Each attempt is a row of its own, written when it starts (so an attempt cut short by a
crash still shows) and completed with its status code, latency and next retry.

Signing follows Standard Webhooks (standardwebhooks.com): `webhook-signature` is
`v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` keyed with the
bytes of the key's `whsec_` secret; during a secret rotation both secrets sign.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from stillmotion import __version__, defaults
from stillmotion.config import Settings
from stillmotion.jobs.database import now_ms, tasks, webhook_attempts, webhooks
from stillmotion.jobs.keys import WEBHOOK_SECRET_PREFIX, KeyStore
from stillmotion.jobs.store import FINAL, Store, Task
from stillmotion.logs import bind_task
from stillmotion.media.errors import InputError
from stillmotion.media.fetch import pinned_address

log = logging.getLogger("stillmotion.webhooks")

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
EVENT_TYPE = "ASYNC_TASK_RESULT"  # the hosted service's event name
LEASE_MARGIN_S = 25.0  # a sender holds a delivery for its timeout plus this
SENDING = "sending"  # an attempt's error text until it ends; kept if its sender died


@dataclass(frozen=True)
class Delivery:
    """One claimed attempt of one webhook: the token guards every write about it."""

    id: str
    task_id: str
    owner: str
    url: str
    number: int  # this attempt's number, from 1
    max_attempts: int
    token: str


@dataclass(frozen=True)
class Outcome:
    status_code: int | None  # None when no HTTP answer came
    latency_ms: int
    error: str  # empty on success

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Attempt:
    number: int
    started_ms: int
    status_code: int | None
    latency_ms: int
    error: str
    next_retry_ms: int | None


@dataclass(frozen=True)
class WebhookState:
    """What a task shows about its webhook: where, how it stands, every attempt."""

    id: str
    url: str
    state: str
    attempts: list[Attempt]


def sign(signing_secrets: Sequence[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: one `v1,<base64>` entry per secret, space-separated."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    entries = []
    for secret in signing_secrets:
        key = base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX))
        digest = hmac.new(key, signed, hashlib.sha256).digest()
        entries.append("v1," + base64.b64encode(digest).decode())
    return " ".join(entries)


def event_body(payload: dict[str, Any]) -> bytes:
    """The hosted service's webhook body; these exact bytes are signed and sent."""
    return json.dumps({"event_type": EVENT_TYPE, "payload": payload},
                      separators=(",", ":"), ensure_ascii=False).encode()


def backoff_ms(settings: Settings, failed_attempts: int) -> int:
    """Wait before the next attempt: base * 6^(n-1), +/-20% so retries do not align."""
    base = settings.webhook_backoff_s * 1000 * 6 ** max(0, failed_attempts - 1)
    return int(base * random.uniform(0.8, 1.2))


class Outbox:
    """The webhook rows of the store: claim, record, redeliver, show."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def claim_due(self, limit: int) -> list[Delivery]:
        """Take up to `limit` deliveries whose task has ended and whose turn has come.

        Race: several senders may pick the same row; each claim is one UPDATE that only
        matches while the row is unleased (or its lease lapsed), so one sender wins it.
        """
        now = now_ms()
        lease_ms = int((self.settings.webhook_timeout_s + LEASE_MARGIN_S) * 1000)
        free = or_(webhooks.c.lease_expires_ms.is_(None), webhooks.c.lease_expires_ms < now)
        claimable = (webhooks.c.state == PENDING, webhooks.c.next_attempt_ms <= now, free,
                     webhooks.c.attempts < webhooks.c.max_attempts)
        # A sender that died on the last allowed attempt leaves a row that can never be
        # claimed again: it has failed. Looked for with a read first, so an idle sender
        # polling every half second never takes SQLite's write lock from the submits.
        exhausted = (webhooks.c.state == PENDING,
                     webhooks.c.attempts >= webhooks.c.max_attempts, free)
        with self.engine.connect() as conn:
            found = conn.execute(select(webhooks.c.id).where(*exhausted).limit(1)).first()
        if found is not None:
            with self.engine.begin() as conn:
                conn.execute(update(webhooks).where(*exhausted).values(
                    state=FAILED, lease_token=None, lease_expires_ms=None))
        with self.engine.connect() as conn:
            due = conn.execute(
                select(webhooks.c.id)
                .join(tasks, tasks.c.id == webhooks.c.task_id)
                .where(*claimable, tasks.c.status.in_(FINAL))
                .order_by(webhooks.c.next_attempt_ms).limit(limit)).scalars().all()
        claimed = []
        for webhook_id in due:
            token = secrets.token_hex(16)
            with self.engine.begin() as conn:
                row = conn.execute(
                    update(webhooks).where(webhooks.c.id == webhook_id, *claimable)
                    .values(lease_token=token, lease_expires_ms=now + lease_ms,
                            attempts=webhooks.c.attempts + 1)
                    .returning(webhooks.c.task_id, webhooks.c.owner, webhooks.c.url,
                               webhooks.c.attempts, webhooks.c.max_attempts)).first()
                if row is None:
                    continue
                conn.execute(webhook_attempts.insert().values(
                    webhook_id=webhook_id, number=row.attempts, started_ms=now,
                    status_code=None, latency_ms=0, error=SENDING, next_retry_ms=None))
            claimed.append(Delivery(webhook_id, row.task_id, row.owner, row.url,
                                    row.attempts, row.max_attempts, token))
        return claimed

    def record(self, delivery: Delivery, outcome: Outcome) -> None:
        """Store how the attempt went and what comes next; nothing if the lease was lost."""
        now = now_ms()
        values: dict[str, Any] = dict(lease_token=None, lease_expires_ms=None)
        next_retry: int | None = None
        if outcome.ok:
            values |= dict(state=DELIVERED, delivered_ms=now)
        elif delivery.number >= delivery.max_attempts:
            values |= dict(state=FAILED)
        else:
            next_retry = now + backoff_ms(self.settings, delivery.number)
            values |= dict(next_attempt_ms=next_retry)
        with self.engine.begin() as conn:
            owned = conn.execute(update(webhooks).where(
                webhooks.c.id == delivery.id, webhooks.c.lease_token == delivery.token
            ).values(**values)).rowcount == 1
            if owned:
                conn.execute(update(webhook_attempts).where(
                    webhook_attempts.c.webhook_id == delivery.id,
                    webhook_attempts.c.number == delivery.number,
                ).values(status_code=outcome.status_code, latency_ms=outcome.latency_ms,
                         error=outcome.error, next_retry_ms=next_retry))

    def redeliver(self, task_id: str, owner: str) -> bool:
        """Send the task's webhook again now, with a fresh budget of attempts; False when
        the task has no webhook. An attempt in flight is left to finish."""
        with self.engine.begin() as conn:
            row = conn.execute(select(webhooks.c.id, webhooks.c.attempts).where(
                webhooks.c.task_id == task_id, webhooks.c.owner == owner)).first()
            if row is None:
                return False
            conn.execute(update(webhooks).where(webhooks.c.id == row.id).values(
                state=PENDING, next_attempt_ms=0,
                max_attempts=webhooks.c.attempts + defaults.WEBHOOK_REDELIVER_ATTEMPTS))
        return True

    def state(self, task_id: str) -> WebhookState | None:
        """The task's webhook and its attempts, oldest first; None without a webhook."""
        with self.engine.connect() as conn:
            row = conn.execute(select(webhooks.c.id, webhooks.c.url, webhooks.c.state)
                               .where(webhooks.c.task_id == task_id)).first()
            if row is None:
                return None
            attempts = conn.execute(
                select(webhook_attempts).where(webhook_attempts.c.webhook_id == row.id)
                .order_by(webhook_attempts.c.number)).all()
        return WebhookState(row.id, row.url, row.state, [
            Attempt(a.number, a.started_ms, a.status_code, a.latency_ms, a.error,
                    a.next_retry_ms) for a in attempts])


async def post_signed(client: httpx.AsyncClient, url: str, headers: dict[str, str], body: bytes,
                      timeout_s: float, allow_private: bool) -> Outcome:
    """One POST under the image-URL rules: checked, pinned address; no redirects followed;
    the answer's body is never read (a receiver cannot make us download anything)."""
    started = time.monotonic()

    def outcome(code: int | None, error: str) -> Outcome:
        return Outcome(code, int((time.monotonic() - started) * 1000), error)

    try:
        target = httpx.URL(url)
        async with asyncio.timeout(timeout_s):
            address = await pinned_address(target, allow_private)
            extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
            async with client.stream(
                "POST", target.copy_with(host=address), content=body,
                headers=headers | {"Host": target.netloc.decode("ascii")},
                extensions=extensions,
            ) as response:
                code = response.status_code
        if 200 <= code < 300:
            return outcome(code, "")
        if response.is_redirect:
            return outcome(code, f"the receiver answered HTTP {code}, a redirect; "
                           "webhooks do not follow redirects")
        return outcome(code, f"the receiver answered HTTP {code}")
    except InputError as exc:
        return outcome(None, f"the webhook URL {exc}")
    except (TimeoutError, httpx.TimeoutException):
        return outcome(None, f"no answer within {timeout_s:g} s")
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        return outcome(None, f"could not reach the receiver ({type(exc).__name__})")


PayloadFn = Callable[[Task], dict[str, Any]]


class Dispatcher:
    """Sends due webhooks from a background thread running its own event loop, up to
    `webhook_concurrency` at once, so one slow receiver never holds the others up."""

    def __init__(self, settings: Settings, store: Store, payload_for: PayloadFn) -> None:
        self.settings = settings
        self.store = store
        self.outbox = Outbox(store.engine, settings)
        self.keys = KeyStore(store.engine)
        self.payload_for = payload_for
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()),
                                        name="webhooks", daemon=True)

    def start(self) -> Dispatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop claiming; attempts in flight get their timeout to finish and be recorded."""
        self._stop.set()
        self._thread.join(self.settings.webhook_timeout_s + 5)

    async def _run(self) -> None:
        timeout = httpx.Timeout(self.settings.webhook_timeout_s)
        in_flight: set[asyncio.Task[None]] = set()
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                     trust_env=False) as client:
            while not self._stop.is_set():
                free = self.settings.webhook_concurrency - len(in_flight)
                if free > 0:
                    try:
                        due = await asyncio.to_thread(self.outbox.claim_due, free)
                    except SQLAlchemyError as exc:
                        log.warning("webhook outbox unavailable, retrying: %s", exc)
                        due = []
                    for delivery in due:
                        job = asyncio.create_task(self._deliver(client, delivery))
                        in_flight.add(job)
                        job.add_done_callback(in_flight.discard)
                await asyncio.to_thread(self._stop.wait, self.settings.webhook_poll_s)
            if in_flight:
                await asyncio.wait(in_flight, timeout=self.settings.webhook_timeout_s + 2)

    async def _deliver(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        # Each delivery runs in an asyncio task of its own, so the id stays with it (and
        # to_thread carries it into the threads that read and write the store).
        with bind_task(delivery.task_id):
            await self._deliver_bound(client, delivery)

    async def _deliver_bound(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        try:
            outcome = await self._attempt(client, delivery)
            await asyncio.to_thread(self.outbox.record, delivery, outcome)
        except SQLAlchemyError as exc:  # the lease lapses and the attempt is made again
            log.warning("webhook %s: store unavailable: %s", delivery.id, exc)
            return
        except Exception:  # noqa: BLE001 - a bug must not stop the sender thread
            log.exception("webhook %s: attempt %d failed", delivery.id, delivery.number)
            return
        log.info("webhook %s for task %s: attempt %d -> %s", delivery.id, delivery.task_id,
                 delivery.number, outcome.status_code or outcome.error)

    async def _attempt(self, client: httpx.AsyncClient, delivery: Delivery) -> Outcome:
        task = await asyncio.to_thread(self.store.get, delivery.task_id)
        if task is None:
            return Outcome(None, 0, "the task no longer exists (retention)")
        body = event_body(await asyncio.to_thread(self.payload_for, task))
        signing = await asyncio.to_thread(self.keys.signing_secrets, delivery.owner)
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": f"stillmotion/{__version__}",
            "webhook-id": delivery.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(signing, delivery.id, timestamp, body),
        }
        return await post_signed(client, delivery.url, headers, body,
                                 self.settings.webhook_timeout_s,
                                 self.settings.allow_private_urls)
