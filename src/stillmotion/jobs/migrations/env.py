"""Alembic's environment: migrations run on the connection `stillmotion.jobs.schema` hands
over (no alembic.ini, no URL of its own), so `migrate` and the tests drive them alike."""

from __future__ import annotations

from alembic import context

from stillmotion.jobs.database import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
