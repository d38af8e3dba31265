"""The store: every statement that changes task state lives here, and only here.

Races this module handles, each guarded in a WHERE clause:
- two workers claiming the same task: the claim is one UPDATE of one row chosen by a
  sub-select, and it only matches while the row is still queued;
- a frozen or slow worker whose lease lapsed and whose task was handed on: every later
  write of an attempt carries its claim token, so it matches no row once a newer attempt
  holds the task, and `LeaseLost` is raised instead of silently writing nothing;
- the reaper racing a heartbeat: the reaper re-checks both the token it saw and the
  lapsed deadline in its UPDATE, so a lease renewed in between is left alone;
- a cancel racing a claim, a completion or a hand-back: see `cancel` and `_guarded`.
"""

from __future__ import annotations

import json
import math
import random
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from stillmotion import defaults
from stillmotion.config import Settings
from stillmotion.jobs.database import (
    idempotency_keys,
    is_postgres,
    make_engine,
    now_ms,
    tasks,
    webhook_attempts,
    webhooks,
)
from stillmotion.jobs.schema import require_current

QUEUED, PROCESSING, SUCCEED, FAILED = "queued", "processing", "succeed", "failed"
FINAL = (SUCCEED, FAILED)
CANCELLED_REASON = "cancelled by the user"
# `input_key` of a task whose blobs were purged. A marker rather than a new column: the
# schema gains columns with the migrations issue (Alembic); until then every table added
# since the first release is a new table, so older databases keep working.
PURGED_KEY = ""


class LeaseLost(RuntimeError):
    """This attempt no longer owns its task (the lease lapsed and it was handed on)."""


class TaskCancelled(RuntimeError):
    """The user cancelled this task; the store has ended it FAILED "cancelled by the user"."""


class QuotaExceeded(RuntimeError):
    """A submit over a key's rate or open-task cap, or over the global queue bound."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)


class IdempotencyKeyReused(RuntimeError):
    """The Idempotency-Key was used, within its lifetime, for a different request body."""


@dataclass(frozen=True)
class Idempotency:
    """A submit's Idempotency-Key and the hash of its body, as the store compares them."""

    key: str
    body_hash: str


class TaskFinished(RuntimeError):
    """A cancel came for a task that had already ended (SUCCEED or FAILED)."""

    def __init__(self, task: Task) -> None:
        super().__init__(f"task {task.id} has already finished ({task.status})")
        self.task = task


@dataclass(frozen=True)
class Task:
    """A task row as the rest of the service sees it."""

    id: str
    owner: str
    status: str
    request: dict[str, Any]
    plan_json: str | None  # kept as stored (sorted-key JSON): polls show it, never parse it
    input_key: str
    image_width: int
    image_height: int
    out_width: int
    out_height: int
    frame_count: int
    progress: int
    reason: str
    attempts: int
    max_attempts: int
    submit_ms: int
    execute_ms: int | None
    complete_ms: int | None
    output_key: str | None

    @property
    def purged(self) -> bool:
        """Its blobs went at the end of the retention period (`Store.purge`)."""
        return self.input_key == PURGED_KEY

    @property
    def request_info(self) -> str:
        """`{"plan": ..., "request": ...}` as sorted-key JSON, spliced from the stored texts
        (both written with sort_keys), so a poll neither parses nor re-serialises the plan."""
        request = json.dumps(self.request, sort_keys=True)
        return f'{{"plan": {self.plan_json or "null"}, "request": {request}}}'

    @classmethod
    def from_row(cls, row: Row[Any]) -> Task:
        m = row._mapping
        return cls(
            id=m["id"], owner=m["owner"], status=m["status"], request=json.loads(m["request"]),
            plan_json=m["plan"], input_key=m["input_key"],
            image_width=m["image_width"], image_height=m["image_height"],
            out_width=m["out_width"], out_height=m["out_height"], frame_count=m["frame_count"],
            progress=m["progress"], reason=m["reason"], attempts=m["attempts"],
            max_attempts=m["max_attempts"], submit_ms=m["submit_ms"],
            execute_ms=m["execute_ms"], complete_ms=m["complete_ms"],
            output_key=m["output_key"],
        )


@dataclass(frozen=True)
class Claim:
    """One attempt's hold on a task: the task plus the token every write must carry."""

    task: Task
    token: str


@dataclass(frozen=True)
class NewTask:
    """Everything submit knows about a task; the store adds ids, times and state."""

    owner: str
    request: dict[str, Any]
    input_key: str
    image_width: int
    image_height: int
    out_width: int
    out_height: int
    frame_count: int
    webhook_url: str | None = None  # extra.webhook.url: an outbox row is made with the task
    finished: Finished | None = None  # the webhook's test mode: ended at submit, never rendered


@dataclass(frozen=True)
class Finished:
    """A task that ends as it is submitted (the hosted webhook's test mode): its status,
    reason and, for SUCCEED, its video, already in the blob store."""

    status: str  # SUCCEED or FAILED
    reason: str = ""
    output_key: str | None = None


def new_webhook_id() -> str:
    """A Standard Webhooks message id: stable across every attempt of one delivery."""
    return "msg_" + uuid.uuid4().hex


# Hot statements, built once: building SQLAlchemy expressions per call costs more than
# SQLite takes to run them.
_INSERT = tasks.insert()
_GET = select(tasks).where(tasks.c.id == bindparam("id"))
_GET_OWNED = _GET.where(tasks.c.owner == bindparam("owner"))
_QUEUE = select(
    select(func.count()).select_from(tasks).where(tasks.c.status == PROCESSING)
    .scalar_subquery(),
    select(func.count()).select_from(tasks).where(
        tasks.c.status == QUEUED,
        # The claim order, (submit_ms, id), so ties within a millisecond agree.
        or_(tasks.c.submit_ms < bindparam("submit_ms"),
            and_(tasks.c.submit_ms == bindparam("submit_ms"), tasks.c.id < bindparam("id"))))
    .scalar_subquery(),
)
_CANCEL_FLAG = select(tasks.c.cancel_requested).where(
    tasks.c.id == bindparam("id"), tasks.c.claim_token == bindparam("token"),
    tasks.c.status == PROCESSING)
NOTIFY_CHANNEL = "stillmotion_tasks"
_NOTIFY = select(func.pg_notify(NOTIFY_CHANNEL, ""))
RATE_WINDOW_MS = 60_000  # the per-key submit rate is counted over the last minute
_RECENT = select(func.count()).select_from(tasks).where(
    tasks.c.owner == bindparam("owner"), tasks.c.submit_ms > bindparam("since"))
_RECENT_TIMES = (select(tasks.c.submit_ms)
                 .where(tasks.c.owner == bindparam("owner"),
                        tasks.c.submit_ms > bindparam("since"))
                 .order_by(tasks.c.submit_ms.desc())
                 .offset(bindparam("offset")).limit(1))
_OPEN = select(func.count()).select_from(tasks).where(
    tasks.c.owner == bindparam("owner"), tasks.c.status.in_((QUEUED, PROCESSING)))
_QUEUED_COUNT = select(func.count()).select_from(tasks).where(tasks.c.status == QUEUED)
_BUSY = select(func.count()).select_from(tasks).where(tasks.c.status == PROCESSING)
# Tasks whose render time says something: succeeded, and rendered (a webhook test-mode
# task succeeds at submit and has none).
_RENDERED = (tasks.c.status == SUCCEED, tasks.c.render_ms.is_not(None))
ESTIMATE_TTL_S = 2.0  # render-time estimates change only when a render completes


class Store:
    """Task state on one SQLAlchemy engine; safe to share between threads of a process."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.resolved_database_url)
        self._postgres = is_postgres(self.engine)
        self._estimates: dict[tuple[int, int, int], tuple[float, float]] = {}

    def _notify(self, conn: Connection) -> None:
        """On PostgreSQL, wake idle workers (delivered when this transaction commits)."""
        if self._postgres:
            conn.execute(_NOTIFY)

    def prepare_schema(self) -> None:
        """Refuse a database on another schema version; migrate a brand-new, empty one."""
        require_current(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """Raise if the database does not answer."""
        with self.engine.connect() as conn:
            conn.execute(select(1))

    # --- submit and read -------------------------------------------------------------------

    @staticmethod
    def new_task_id() -> str:
        return str(uuid.uuid4())

    def submit(self, task_id: str, new: NewTask, idempotency: Idempotency | None = None) -> str:
        """Insert a queued task; once this returns the task survives any crash.

        With an Idempotency-Key, returns the task id that key stands for: `task_id` when
        this call created the task, an earlier task's id when the key was already used
        with the same body (nothing new is created); raises IdempotencyKeyReused when it
        was used with another body.

        Race: concurrent duplicates each get here after checking their image; the key's
        row is inserted in the same transaction as the task, and (owner, key) is unique,
        so exactly one transaction commits and the others read its row.
        """
        submitted = now_ms()
        done = new.finished
        row = dict(
            id=task_id, owner=new.owner, status=QUEUED if done is None else done.status,
            request=json.dumps(new.request, sort_keys=True), plan=None,
            input_key=new.input_key, image_width=new.image_width,
            image_height=new.image_height, out_width=new.out_width,
            out_height=new.out_height, frame_count=new.frame_count, progress=0, reason="",
            attempts=0, max_attempts=self.settings.max_attempts, not_before_ms=0,
            cancel_requested=False, submit_ms=submitted, execute_ms=None, complete_ms=None,
            render_ms=None, output_key=None, claim_token=None, worker=None,
            lease_expires_ms=None,
        )
        if done is not None:
            row.update(progress=100 if done.status == SUCCEED else 0, reason=done.reason,
                       execute_ms=submitted, complete_ms=submitted, output_key=done.output_key)
        outbox = None if new.webhook_url is None else dict(
            id=new_webhook_id(), task_id=task_id, owner=new.owner, url=new.webhook_url,
            state="pending", attempts=0, max_attempts=self.settings.webhook_max_attempts,
            next_attempt_ms=0, lease_token=None, lease_expires_ms=None,
            created_ms=submitted, delivered_ms=None)

        def insert(conn: Connection) -> None:
            if self._postgres:
                # PostgreSQL runs submits side by side: one key's submits take turns here
                # so its quota counts below see each other (SQLite has one writer anyway).
                conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(new.owner))))
            conn.execute(_INSERT, row)
            if outbox is not None:  # same transaction: the delivery is as durable as the task
                conn.execute(webhooks.insert(), outbox)
            # Counted after the insert, inside its transaction: SQLite runs one writer at a
            # time, so concurrent submits see each other and the limits hold exactly; an
            # excess raises and rolls this task back.
            self._enforce_quotas(conn, new.owner, submitted, counting_new=True)
            if done is None:  # a task born finished has nothing for a worker to do
                self._notify(conn)

        if idempotency is None:
            with self.engine.begin() as conn:
                insert(conn)
            return task_id
        for _ in range(3):
            try:
                with self.engine.begin() as conn:
                    # A key past its lifetime is forgotten: its row makes way for this one.
                    conn.execute(delete(idempotency_keys).where(
                        idempotency_keys.c.owner == new.owner,
                        idempotency_keys.c.key == idempotency.key,
                        idempotency_keys.c.created_ms < self._idempotency_cutoff()))
                    conn.execute(idempotency_keys.insert(), dict(
                        owner=new.owner, key=idempotency.key, body_hash=idempotency.body_hash,
                        task_id=task_id, created_ms=now_ms()))
                    insert(conn)
                return task_id
            except IntegrityError:
                existing = self.find_idempotent(new.owner, idempotency)
                if existing is not None:
                    return existing
                # The winner's row lapsed in between (24 h later): try once more.
        raise RuntimeError(f"Idempotency-Key {idempotency.key!r}: could not be recorded")

    def check_quotas(self, owner: str) -> None:
        """Raise QuotaExceeded if a submit now would be refused: asked before an image is
        fetched, so a refused submit costs nothing. `submit` checks again, exactly."""
        with self.engine.connect() as conn:
            self._enforce_quotas(conn, owner, now_ms(), counting_new=False)

    def _enforce_quotas(self, conn: Connection, owner: str, now: int, counting_new: bool) -> None:
        """The per-key submit rate, the per-key open-task cap and the global queue bound.

        Each count comes from the tasks table through an index, so the limits hold across
        every API process and node with no counter of their own. `counting_new`: the
        submit's own row is already among the counts.
        """
        settings = self.settings
        extra = 0 if counting_new else 1
        own = 1 - extra  # the submit's own row, when it is among the counts
        window_start = now - RATE_WINDOW_MS
        rate = settings.submits_per_minute_per_key
        if rate:
            recent = conn.execute(_RECENT, {"owner": owner, "since": window_start}).scalar_one()
            if recent + extra > rate:
                # The oldest submit that must leave the window before one more fits.
                leaving = conn.execute(_RECENT_TIMES, {
                    "owner": owner, "since": window_start,
                    "offset": rate - extra}).scalar()
                wait_ms = (leaving or now) + RATE_WINDOW_MS - now
                raise QuotaExceeded(
                    f"this API key submitted {recent - own} tasks in the last minute; its limit is "
                    f"{rate} a minute", math.ceil(wait_ms / 1000))
        cap = settings.open_tasks_per_key
        if cap:
            open_tasks = conn.execute(_OPEN, {"owner": owner}).scalar_one()
            if open_tasks + extra > cap:
                raise QuotaExceeded(
                    f"this API key has {open_tasks - own} unfinished tasks (queued "
                    f"or running); its limit is {cap}: wait for one to finish or cancel one",
                    self._one_slot_s(conn))
        bound = settings.max_queued_tasks
        if bound:
            queued = conn.execute(_QUEUED_COUNT).scalar_one()
            if queued + extra > bound:
                raise QuotaExceeded(
                    f"the server's queue is full: {queued - own} tasks are waiting, its limit is "
                    f"{bound}; try again later",
                    self._one_slot_s(conn))

    def _one_slot_s(self, conn: Connection) -> int:
        """About how long until a running task finishes and frees a place."""
        recent = conn.execute(
            select(tasks.c.render_ms).where(*_RENDERED)
            .order_by(tasks.c.complete_ms.desc()).limit(defaults.ETA_SAMPLE_SIZE)
        ).scalars().all()
        busy = conn.execute(_BUSY).scalar_one()
        typical_ms = sum(recent) / len(recent) if recent else 5000.0
        return math.ceil(typical_ms / max(1, busy) / 1000)

    def find_idempotent(self, owner: str, idempotency: Idempotency) -> str | None:
        """The task an unexpired Idempotency-Key stands for, if any; IdempotencyKeyReused
        when the key was used with a different body."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(idempotency_keys.c.task_id, idempotency_keys.c.body_hash)
                .where(idempotency_keys.c.owner == owner,
                       idempotency_keys.c.key == idempotency.key,
                       idempotency_keys.c.created_ms >= self._idempotency_cutoff())).first()
        if found is None:
            return None
        if found.body_hash != idempotency.body_hash:
            raise IdempotencyKeyReused(idempotency.key)
        return str(found.task_id)

    @staticmethod
    def _idempotency_cutoff() -> int:
        return now_ms() - defaults.IDEMPOTENCY_TTL_S * 1000

    def get(self, task_id: str, owner: str | None = None) -> Task | None:
        """The task, or None when it does not exist or (given an owner) is not theirs."""
        with self.engine.connect() as conn:
            if owner is None:
                row = conn.execute(_GET, {"id": task_id}).first()
            else:
                row = conn.execute(_GET_OWNED, {"id": task_id, "owner": owner}).first()
        return Task.from_row(row) if row else None

    def list_tasks(self, owner: str, status: str | None, limit: int,
                   after: tuple[int, str] | None = None) -> list[Task]:
        """The owner's tasks, newest first, by (submit_ms, id) descending.

        `after` is the (submit_ms, id) of the last task of the previous page; keyset
        pagination, so pages neither skip nor repeat tasks while new ones arrive.
        """
        statement = select(tasks).where(tasks.c.owner == owner)
        if status is not None:
            statement = statement.where(tasks.c.status == status)
        if after is not None:
            submit_ms, task_id = after
            statement = statement.where(or_(
                tasks.c.submit_ms < submit_ms,
                and_(tasks.c.submit_ms == submit_ms, tasks.c.id < task_id)))
        statement = statement.order_by(tasks.c.submit_ms.desc(), tasks.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [Task.from_row(row) for row in conn.execute(statement)]

    def cancel(self, task_id: str, owner: str) -> Task | None:
        """Cancel the owner's task: a queued one ends at once, a running one is flagged.

        Returns the task after the cancel (FAILED, or still PROCESSING with the flag set
        for its worker to read at its next frame), None when the owner has no such task;
        raises TaskFinished when it had already ended.

        Races: a worker may claim the queued task between our read and our write, and a
        running task may complete, fail or be handed back at any moment. Each UPDATE
        re-checks the status it expects in its WHERE clause, so exactly one of the
        competing writes lands; when ours matched nothing we read again and retry.
        """
        base = (tasks.c.id == task_id, tasks.c.owner == owner)
        for _ in range(5):
            with self.engine.begin() as conn:
                row = conn.execute(
                    update(tasks).where(*base, tasks.c.status == QUEUED)
                    .values(status=FAILED, reason=CANCELLED_REASON, complete_ms=now_ms(),
                            cancel_requested=True, not_before_ms=0)
                    .returning(*tasks.c)).first()
                if row is None:
                    row = conn.execute(
                        update(tasks).where(*base, tasks.c.status == PROCESSING)
                        .values(cancel_requested=True)
                        .returning(*tasks.c)).first()
            if row is not None:
                return Task.from_row(row)
            task = self.get(task_id, owner)
            if task is None:
                return None
            if task.status in FINAL:
                raise TaskFinished(task)
        raise RuntimeError(f"task {task_id}: its status kept changing under the cancel")

    # --- the attempt lifecycle -----------------------------------------------------------

    def claim(self, worker: str) -> Claim | None:
        """Atomically take the oldest runnable task, with a fresh token and lease."""
        now = now_ms()
        token = secrets.token_hex(16)
        oldest = (
            select(tasks.c.id)
            .where(tasks.c.status == QUEUED, tasks.c.not_before_ms <= now)
            .order_by(tasks.c.submit_ms, tasks.c.id)
            .limit(1)
            # PostgreSQL: concurrent claimers skip rows another claim holds instead of
            # queueing behind it (SQLite ignores this: it has one writer at a time).
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        statement = (
            update(tasks)
            # Race: another worker may take the same row first; `status == QUEUED` in the
            # WHERE makes the loser match nothing instead of stealing it.
            .where(tasks.c.id == oldest, tasks.c.status == QUEUED)
            .values(status=PROCESSING, claim_token=token, worker=worker,
                    lease_expires_ms=now + int(self.settings.lease_s * 1000),
                    attempts=tasks.c.attempts + 1, execute_ms=now)
            .returning(*tasks.c)
        )
        with self.engine.begin() as conn:
            row = conn.execute(statement).first()
        return Claim(Task.from_row(row), token) if row else None

    def _guarded(self, claim: Claim, honour_cancel: bool = False, **values: Any) -> None:
        """Write to the attempt's own row, or raise LeaseLost if a newer attempt holds it.

        With `honour_cancel` the write only lands while no cancel is pending; when one is,
        the attempt's row ends FAILED "cancelled by the user" instead and TaskCancelled is
        raised. Race: a cancel arriving while the worker completes (or hands the task back)
        is decided by whichever UPDATE commits first: the cancel's flag (then this write
        matches nothing and the task ends cancelled, its video never published) or this
        write (then the cancel finds a finished task and answers 409).
        """
        guard = [tasks.c.id == claim.task.id, tasks.c.claim_token == claim.token,
                 tasks.c.status == PROCESSING]
        if honour_cancel:
            guard.append(tasks.c.cancel_requested.is_(False))
        with self.engine.begin() as conn:
            if conn.execute(update(tasks).where(*guard).values(**values)).rowcount == 1:
                if values.get("status") == QUEUED:  # back in the queue: wake a worker
                    self._notify(conn)
                return
        if honour_cancel:
            self.finish_cancelled(claim)
        raise LeaseLost(f"task {claim.task.id}: this attempt no longer holds the task")

    def _guarded_flag(self, claim: Claim, **values: Any) -> bool:
        """A guarded write that also answers whether a cancel is pending (one statement)."""
        statement = (
            update(tasks)
            .where(tasks.c.id == claim.task.id, tasks.c.claim_token == claim.token,
                   tasks.c.status == PROCESSING)
            .values(**values)
            .returning(tasks.c.cancel_requested)
        )
        with self.engine.begin() as conn:
            row = conn.execute(statement).first()
        if row is None:
            raise LeaseLost(f"task {claim.task.id}: this attempt no longer holds the task")
        return bool(row[0])

    def cancel_requested(self, claim: Claim) -> bool:
        """Whether the user asked this attempt's task to stop (one primary-key read)."""
        with self.engine.connect() as conn:
            row = conn.execute(_CANCEL_FLAG, {"id": claim.task.id, "token": claim.token}).first()
        if row is None:
            raise LeaseLost(f"task {claim.task.id}: this attempt no longer holds the task")
        return bool(row[0])

    def finish_cancelled(self, claim: Claim) -> None:
        """End a cancelled attempt FAILED "cancelled by the user"; raise TaskCancelled.

        Guarded by the claim token like every write of an attempt; LeaseLost when the
        attempt no longer holds the task.
        """
        statement = (
            update(tasks)
            .where(tasks.c.id == claim.task.id, tasks.c.claim_token == claim.token,
                   tasks.c.status == PROCESSING, tasks.c.cancel_requested.is_(True))
            .values(status=FAILED, reason=CANCELLED_REASON, complete_ms=now_ms(),
                    claim_token=None, lease_expires_ms=None)
        )
        with self.engine.begin() as conn:
            if conn.execute(statement).rowcount != 1:
                raise LeaseLost(f"task {claim.task.id}: this attempt no longer holds the task")
        raise TaskCancelled(f"task {claim.task.id}: {CANCELLED_REASON}")

    def heartbeat(self, claim: Claim) -> bool:
        """Renew the lease; True when a cancel is pending."""
        return self._guarded_flag(
            claim, lease_expires_ms=now_ms() + int(self.settings.lease_s * 1000))

    def record_plan(self, claim: Claim, plan: dict[str, Any]) -> None:
        self._guarded(claim, plan=json.dumps(plan, sort_keys=True))  # sorted: see request_info

    def progress(self, claim: Claim, percent: int) -> bool:
        """Raise progress; never lower it, not even when a retry starts from zero.

        Returns whether a cancel is pending, read in the same statement, so the render
        learns of a cancel without an extra query.
        """
        percent = max(0, min(99, int(percent)))  # 100 is written by complete() alone
        return self._guarded_flag(claim, progress=case(
            (tasks.c.progress < percent, percent), else_=tasks.c.progress))

    def complete(self, claim: Claim, output_key: str) -> None:
        now = now_ms()
        self._guarded(claim, honour_cancel=True, status=SUCCEED, progress=100,
                      output_key=output_key,
                      complete_ms=now, render_ms=now - (claim.task.execute_ms or now),
                      claim_token=None, lease_expires_ms=None)

    def fail(self, claim: Claim, reason: str) -> None:
        """End the task for good: the error would repeat on any attempt."""
        self._guarded(claim, status=FAILED, reason=reason, complete_ms=now_ms(),
                      claim_token=None, lease_expires_ms=None)

    def retry(self, claim: Claim, reason: str) -> None:
        """Queue another attempt after a jittered backoff, or fail once attempts run out."""
        if claim.task.attempts >= claim.task.max_attempts:
            self.fail(claim, _exhausted(claim.task.max_attempts, reason))
            return
        self._guarded(claim, honour_cancel=True, status=QUEUED, claim_token=None,
                      lease_expires_ms=None, worker=None,
                      not_before_ms=now_ms() + self._backoff_ms(claim.task.attempts))

    def release(self, claim: Claim) -> None:
        """Hand the task back untouched (a draining worker); the attempt does not count."""
        self._guarded(claim, honour_cancel=True, status=QUEUED, claim_token=None,
                      lease_expires_ms=None, worker=None, attempts=tasks.c.attempts - 1)

    def _backoff_ms(self, attempts: int) -> int:
        base = self.settings.retry_backoff_s * 1000 * 2 ** max(0, attempts - 1)
        return int(base * random.uniform(0.5, 1.5))

    def reap(self) -> int:
        """Return tasks whose lease lapsed (their worker died or froze) to the queue."""
        now = now_ms()
        with self.engine.connect() as conn:
            lapsed = conn.execute(
                select(tasks.c.id, tasks.c.claim_token, tasks.c.attempts, tasks.c.max_attempts,
                       tasks.c.cancel_requested)
                .where(tasks.c.status == PROCESSING, tasks.c.lease_expires_ms < now)
            ).all()
        reaped = 0
        for task_id, token, attempts, max_attempts, cancelled in lapsed:
            guard = and_(tasks.c.id == task_id, tasks.c.claim_token == token,
                         tasks.c.status == PROCESSING, tasks.c.lease_expires_ms < now)
            reason = "the worker rendering this task stopped responding"
            if cancelled:  # the user asked it to stop: never render it again
                values: dict[str, Any] = dict(
                    status=FAILED, reason=CANCELLED_REASON, complete_ms=now, claim_token=None,
                    lease_expires_ms=None)
            elif attempts >= max_attempts:
                values = dict(
                    status=FAILED, reason=_exhausted(max_attempts, reason), complete_ms=now,
                    claim_token=None, lease_expires_ms=None)
            else:
                values = dict(status=QUEUED, claim_token=None, lease_expires_ms=None,
                              worker=None, not_before_ms=now + self._backoff_ms(attempts))
            with self.engine.begin() as conn:
                reaped += conn.execute(update(tasks).where(guard).values(**values)).rowcount
                if values["status"] == QUEUED:
                    self._notify(conn)
        return reaped

    # --- retention ---------------------------------------------------------------------

    def purgeable(self, completed_before_ms: int, limit: int) -> list[Task]:
        """Finished tasks past the blob retention whose blobs are still kept, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tasks).where(tasks.c.status.in_(FINAL),
                                    tasks.c.complete_ms < completed_before_ms,
                                    tasks.c.input_key != PURGED_KEY)
                .order_by(tasks.c.complete_ms).limit(limit)).all()
        return [Task.from_row(row) for row in rows]

    def mark_purged(self, task: Task, reason: str) -> bool:
        """Record that the task's blobs are gone; a succeeded task's result then says so in
        `reason` (its status stays SUCCEED, with no video). A failed task keeps its reason."""
        values: dict[str, Any] = dict(input_key=PURGED_KEY, output_key=None)
        if task.status == SUCCEED:
            values["reason"] = reason
        with self.engine.begin() as conn:
            return conn.execute(update(tasks).where(
                tasks.c.id == task.id, tasks.c.status == task.status,
                tasks.c.input_key == task.input_key).values(**values)).rowcount == 1

    def delete_rows(self, completed_before_ms: int) -> int:
        """Delete finished tasks past the row retention with their webhook rows, and
        Idempotency-Keys past their lifetime; returns the number of tasks deleted."""
        finished_long_ago = select(tasks.c.id).where(
            tasks.c.status.in_(FINAL), tasks.c.complete_ms < completed_before_ms)
        with self.engine.begin() as conn:
            conn.execute(delete(webhook_attempts).where(webhook_attempts.c.webhook_id.in_(
                select(webhooks.c.id).where(webhooks.c.task_id.in_(finished_long_ago)))))
            conn.execute(delete(webhooks).where(webhooks.c.task_id.in_(finished_long_ago)))
            deleted = conn.execute(delete(tasks).where(
                tasks.c.status.in_(FINAL), tasks.c.complete_ms < completed_before_ms)).rowcount
            conn.execute(delete(idempotency_keys).where(
                idempotency_keys.c.created_ms < self._idempotency_cutoff()))
        return int(deleted)

    # --- estimates -------------------------------------------------------------------------

    def estimate_render_ms(self, task: Task) -> float:
        """Expected render time: recent renders of this size, else of any size per pixel.

        Kept for ESTIMATE_TTL_S per size: every poll asks, but the answer only changes when
        a render finishes.
        """
        key = (task.out_width, task.out_height, task.frame_count)
        cached = self._estimates.get(key)
        now = time.monotonic()
        if cached and now - cached[1] < ESTIMATE_TTL_S:
            return cached[0]
        estimate = self._measure_render_ms(task)
        self._estimates[key] = (estimate, now)
        return estimate

    def _measure_render_ms(self, task: Task) -> float:
        sample = defaults.ETA_SAMPLE_SIZE
        with self.engine.connect() as conn:
            same = conn.execute(
                select(tasks.c.render_ms)
                .where(*_RENDERED, tasks.c.out_width == task.out_width,
                       tasks.c.out_height == task.out_height,
                       tasks.c.frame_count == task.frame_count)
                .order_by(tasks.c.complete_ms.desc()).limit(sample)
            ).scalars().all()
            if same:
                return sum(same) / len(same)
            recent = conn.execute(
                select(tasks.c.render_ms, tasks.c.out_width * tasks.c.out_height
                       * tasks.c.frame_count)
                .where(*_RENDERED)
                .order_by(tasks.c.complete_ms.desc()).limit(sample)
            ).all()
        work = task.out_width * task.out_height * task.frame_count
        if recent:
            ms = sum(r[0] for r in recent)
            px = sum(r[1] for r in recent)
            return ms / px * work
        return defaults.ETA_DEFAULT_NS_PER_PIXEL_FRAME * work / 1e6

    def queue_position(self, task: Task) -> int:
        """How many queued tasks are ahead of this one."""
        return self._queue(task)[1]

    def _queue(self, task: Task) -> tuple[int, int]:
        """(tasks rendering now, queued tasks ahead of this one), in one read."""
        with self.engine.connect() as conn:
            busy, ahead = conn.execute(
                _QUEUE, {"submit_ms": task.submit_ms, "id": task.id}).one()
        return int(busy), int(ahead)

    def eta_and_position(self, task: Task) -> tuple[int, int | None]:
        """The ETA and, for a queued task, its queue position, from one queue read."""
        if task.status != QUEUED:
            return self.eta_s(task), None
        queue = self._queue(task)
        return self.eta_s(task, queue), queue[1]

    def eta_s(self, task: Task, queue: tuple[int, int] | None = None) -> int:
        """Whole seconds until the task ends, queue wait included; 0 once it has."""
        if task.status in FINAL:
            return 0
        estimate = self.estimate_render_ms(task)
        now = now_ms()
        if task.status == PROCESSING and task.execute_ms:
            elapsed = now - task.execute_ms
            if task.progress >= 10:
                remaining = elapsed * (100 - task.progress) / task.progress
            else:
                remaining = estimate - elapsed
            return max(1, math.ceil(remaining / 1000))
        busy, ahead = queue or self._queue(task)
        slots = max(1, busy)
        wait = estimate * (ahead // slots) + (estimate / 2 if busy else 0)
        return max(1, math.ceil((wait + estimate) / 1000))


def _exhausted(max_attempts: int, reason: str) -> str:
    return f"Rendering failed after {max_attempts} attempts: {reason}."
