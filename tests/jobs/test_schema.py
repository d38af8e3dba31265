"""Migrations on real databases: SQLite files and the machine's PostgreSQL."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, Table, text

from stillmotion.jobs.database import make_engine, metadata
from stillmotion.jobs.schema import (
    BASELINE,
    SchemaMismatch,
    current_revision,
    head_revision,
    migrate,
    require_current,
)
from tests.conftest import cli, postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        made = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
        yield made
        made.dispose()
        return
    with postgres_database() as url:
        made = make_engine(url)
        yield made
        made.dispose()


def test_a_new_database_is_migrated_to_exactly_the_models(engine: Engine) -> None:
    require_current(engine)  # empty: migrated on the spot
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []  # the migrations build what the code's tables describe
    require_current(engine)  # and now it is simply current


def test_a_database_made_before_migrations_must_be_migrated(engine: Engine) -> None:
    first_release = MetaData()
    for name in ("tasks", "idempotency_keys", "api_keys"):
        metadata.tables[name].to_metadata(first_release)
    for table in first_release.tables.values():
        table.indexes = {ix for ix in table.indexes if ix.name != "ix_tasks_owner_status"}
    first_release.create_all(engine)
    with pytest.raises(SchemaMismatch, match="stillmotion migrate"):
        require_current(engine)
    assert migrate(engine) == (None, head_revision())
    require_current(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_a_newer_schema_is_refused(engine: Engine) -> None:
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaMismatch, match="does not know"):
        require_current(engine)


def test_serve_refuses_an_old_schema_and_migrate_fixes_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'stillmotion.db'}")
    migrate(engine)
    with engine.begin() as conn:  # as if made by the first release
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{BASELINE}'"))
        Table("webhook_attempts", metadata).drop(conn)
    engine.dispose()
    refused = cli(tmp_path, "serve", "--port", "9", check=False)  # refused before binding
    assert refused.returncode == 2
    assert "stillmotion migrate" in refused.stderr and "Traceback" not in refused.stderr
    done = cli(tmp_path, "migrate")
    assert f"from {BASELINE} to {head_revision()}" in done.stdout
    again = cli(tmp_path, "migrate")
    assert "up to date" in again.stdout


def test_serve_migrate_brings_the_schema_up_first(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'stillmotion.db'}")
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{BASELINE}'"))
    # A port already taken: serve gets past the schema, then fails on the socket and exits.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        answer = cli(tmp_path, "serve", "--migrate", "--port", port, "--workers", "0",
                     check=False)
    assert answer.returncode != 0 and "stillmotion migrate" not in answer.stderr
    assert current_revision(engine) == head_revision()
    engine.dispose()
