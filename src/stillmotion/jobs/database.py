"""Tables and the database connection: SQLite (WAL) by default, any SQLAlchemy URL later."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    create_engine,
    event,
)

metadata = MetaData()

tasks = Table(
    "tasks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("owner", String(36), nullable=False),
    Column("status", String(16), nullable=False),  # queued | processing | succeed | failed
    Column("request", Text, nullable=False),  # the resolved contract fields, JSON
    Column("plan", Text, nullable=True),  # the engine's plan, JSON, once a worker made it
    Column("input_key", String(255), nullable=False),
    Column("image_width", Integer, nullable=False),
    Column("image_height", Integer, nullable=False),
    Column("out_width", Integer, nullable=False),
    Column("out_height", Integer, nullable=False),
    Column("frame_count", Integer, nullable=False),
    Column("progress", Integer, nullable=False, default=0),
    Column("reason", Text, nullable=False, default=""),
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False),
    Column("claim_token", String(32), nullable=True),
    Column("worker", String(128), nullable=True),
    Column("lease_expires_ms", BigInteger, nullable=True),
    Column("not_before_ms", BigInteger, nullable=False, default=0),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("submit_ms", BigInteger, nullable=False),
    Column("execute_ms", BigInteger, nullable=True),
    Column("complete_ms", BigInteger, nullable=True),
    Column("render_ms", BigInteger, nullable=True),
    Column("output_key", String(255), nullable=True),
)
Index("ix_tasks_claim", tasks.c.status, tasks.c.not_before_ms, tasks.c.submit_ms)
Index("ix_tasks_lease", tasks.c.status, tasks.c.lease_expires_ms)
Index("ix_tasks_owner", tasks.c.owner, tasks.c.submit_ms)
Index("ix_tasks_owner_status", tasks.c.owner, tasks.c.status)  # the open-task quota
Index("ix_tasks_size", tasks.c.status, tasks.c.out_width, tasks.c.out_height,
      tasks.c.frame_count, tasks.c.complete_ms)

# Idempotency-Key of submits (CONTRACT.md): one row per (API key, Idempotency-Key). The
# primary key is the uniqueness that makes concurrent duplicates safe: the row is inserted
# in the same transaction as its task, so exactly one duplicate's task is ever committed.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("owner", String(36), nullable=False),
    Column("key", String(255), nullable=False),
    Column("body_hash", String(64), nullable=False),  # sha256 of the canonical JSON body
    Column("task_id", String(36), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("owner", "key", name="pk_idempotency_keys"),
)
Index("ix_idempotency_created", idempotency_keys.c.created_ms)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),  # shown in listings; the key itself never is
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("revoked_ms", BigInteger, nullable=True),
)

# Webhook signing secrets (Standard Webhooks), one current row per API key. A rotated
# secret keeps signing beside its successor for a grace period (`retired_ms`), so a
# receiver can switch secrets without dropping a delivery. Kept apart from `api_keys`:
# the API key itself is stored only as a hash, these must be readable to sign with.
webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("key_id", String(36), nullable=False),
    Column("secret", String(128), nullable=False),  # "whsec_" + base64 of 32 random bytes
    Column("created_ms", BigInteger, nullable=False),
    Column("retired_ms", BigInteger, nullable=True),
)
Index("ix_webhook_secrets_key", webhook_secrets.c.key_id, webhook_secrets.c.created_ms)

# The webhook outbox: one row per task submitted with extra.webhook.url, written in the
# submit's transaction, so a delivery exists as durably as its task. It falls due when
# its task ends (a join on the task's status), which needs no hook in any of the places
# a task can end (worker, cancel, reaper). `id` is the Standard Webhooks `webhook-id`,
# the same on every attempt. A sender holds a row by a lease like a worker holds a task.
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("task_id", String(36), nullable=False, unique=True),
    Column("owner", String(36), nullable=False),
    Column("url", Text, nullable=False),
    Column("state", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False),  # a redelivery raises it by a budget
    Column("next_attempt_ms", BigInteger, nullable=False, default=0),
    Column("lease_token", String(32), nullable=True),
    Column("lease_expires_ms", BigInteger, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("delivered_ms", BigInteger, nullable=True),
)
Index("ix_webhooks_due", webhooks.c.state, webhooks.c.next_attempt_ms)

# Every delivery attempt, kept for the task-result's extra.webhook.attempts.
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("webhook_id", String(40), nullable=False),
    Column("number", Integer, nullable=False),
    Column("started_ms", BigInteger, nullable=False),
    Column("status_code", Integer, nullable=True),  # None: no HTTP answer (see error)
    Column("latency_ms", Integer, nullable=False),
    Column("error", Text, nullable=False, default=""),
    Column("next_retry_ms", BigInteger, nullable=True),  # None: no further attempt planned
    PrimaryKeyConstraint("webhook_id", "number", name="pk_webhook_attempts"),
)

SQLITE_BUSY_TIMEOUT_MS = 15_000  # writers queue behind each other instead of failing


def now_ms() -> int:
    return int(time.time() * 1000)


POSTGRES_STATEMENT_TIMEOUT_MS = 10_000  # a stuck statement fails (503) instead of hanging
POSTGRES_CONNECT_TIMEOUT_S = 5


def normalise_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg 3 here (SQLAlchemy's default driver
    for the bare scheme is psycopg2, which we do not install)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def make_engine(url: str) -> Engine:
    """A pooled engine; SQLite gets WAL so readers never wait for the one writer;
    PostgreSQL gets a statement timeout and connections checked before use, so a
    restarted database costs one failed request rather than a pool of dead connections."""
    url = normalise_url(url)
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("postgresql"):
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 20
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {
            "connect_timeout": POSTGRES_CONNECT_TIMEOUT_S,
            "options": f"-c statement_timeout={POSTGRES_STATEMENT_TIMEOUT_MS}"}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False,
                                  "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        # As many connections as the API's worker threads (anyio's default is 40), so busy
        # moments never close and reopen connections (each reopen re-runs the PRAGMAs).
        kwargs["pool_size"] = 40
        kwargs["max_overflow"] = 40
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process kills in WAL
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()
    return engine
