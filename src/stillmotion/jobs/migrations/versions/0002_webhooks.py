"""Webhooks (outbox, attempts, per-key signing secrets) and the open-task quota's index.

Databases made before migrations existed were stamped 0001 by `migrate`; some of them
already hold these tables (an earlier build made them with create_all), so each is only
created when missing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def _index_missing(table: str, name: str) -> bool:
    return name not in {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(table)}


def upgrade() -> None:
    if _index_missing("tasks", "ix_tasks_owner_status"):
        op.create_index("ix_tasks_owner_status", "tasks", ["owner", "status"])
    if _missing("webhook_secrets"):
        op.create_table(
            "webhook_secrets",
            sa.Column("id", sa.String(36), primary_key=True),
            sa.Column("key_id", sa.String(36), nullable=False),
            sa.Column("secret", sa.String(128), nullable=False),
            sa.Column("created_ms", sa.BigInteger, nullable=False),
            sa.Column("retired_ms", sa.BigInteger, nullable=True),
        )
        op.create_index("ix_webhook_secrets_key", "webhook_secrets", ["key_id", "created_ms"])
    if _missing("webhooks"):
        op.create_table(
            "webhooks",
            sa.Column("id", sa.String(40), primary_key=True),
            sa.Column("task_id", sa.String(36), nullable=False, unique=True),
            sa.Column("owner", sa.String(36), nullable=False),
            sa.Column("url", sa.Text, nullable=False),
            sa.Column("state", sa.String(16), nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("max_attempts", sa.Integer, nullable=False),
            sa.Column("next_attempt_ms", sa.BigInteger, nullable=False),
            sa.Column("lease_token", sa.String(32), nullable=True),
            sa.Column("lease_expires_ms", sa.BigInteger, nullable=True),
            sa.Column("created_ms", sa.BigInteger, nullable=False),
            sa.Column("delivered_ms", sa.BigInteger, nullable=True),
        )
        op.create_index("ix_webhooks_due", "webhooks", ["state", "next_attempt_ms"])
    if _missing("webhook_attempts"):
        op.create_table(
            "webhook_attempts",
            sa.Column("webhook_id", sa.String(40), nullable=False),
            sa.Column("number", sa.Integer, nullable=False),
            sa.Column("started_ms", sa.BigInteger, nullable=False),
            sa.Column("status_code", sa.Integer, nullable=True),
            sa.Column("latency_ms", sa.Integer, nullable=False),
            sa.Column("error", sa.Text, nullable=False),
            sa.Column("next_retry_ms", sa.BigInteger, nullable=True),
            sa.PrimaryKeyConstraint("webhook_id", "number", name="pk_webhook_attempts"),
        )


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_table("webhooks")
    op.drop_table("webhook_secrets")
    op.drop_index("ix_tasks_owner_status", "tasks")
