"""The first release's schema: tasks, Idempotency-Keys and API keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("plan", sa.Text, nullable=True),
        sa.Column("input_key", sa.String(255), nullable=False),
        sa.Column("image_width", sa.Integer, nullable=False),
        sa.Column("image_height", sa.Integer, nullable=False),
        sa.Column("out_width", sa.Integer, nullable=False),
        sa.Column("out_height", sa.Integer, nullable=False),
        sa.Column("frame_count", sa.Integer, nullable=False),
        sa.Column("progress", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("worker", sa.String(128), nullable=True),
        sa.Column("lease_expires_ms", sa.BigInteger, nullable=True),
        sa.Column("not_before_ms", sa.BigInteger, nullable=False),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("submit_ms", sa.BigInteger, nullable=False),
        sa.Column("execute_ms", sa.BigInteger, nullable=True),
        sa.Column("complete_ms", sa.BigInteger, nullable=True),
        sa.Column("render_ms", sa.BigInteger, nullable=True),
        sa.Column("output_key", sa.String(255), nullable=True),
    )
    op.create_index("ix_tasks_claim", "tasks", ["status", "not_before_ms", "submit_ms"])
    op.create_index("ix_tasks_lease", "tasks", ["status", "lease_expires_ms"])
    op.create_index("ix_tasks_owner", "tasks", ["owner", "submit_ms"])
    op.create_index("ix_tasks_size", "tasks",
                    ["status", "out_width", "out_height", "frame_count", "complete_ms"])
    op.create_table(
        "idempotency_keys",
        sa.Column("owner", sa.String(36), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("owner", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_created", "idempotency_keys", ["created_ms"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("revoked_ms", sa.BigInteger, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_table("idempotency_keys")
    op.drop_table("tasks")
