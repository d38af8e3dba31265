"""The database schema's version: Alembic migrations, applied by `stillmotion migrate`.

Processes that serve or render refuse a database whose schema is not the one this build
was written for (behind: run `migrate`; ahead: a newer build wrote it), with a message
that says which. A database with no tables at all is new: it is migrated on the spot, so
the embedded default (a fresh SQLite file) starts with one command.
"""

from __future__ import annotations

import logging

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

BASELINE = "0001"  # the schema databases made before migrations existed are at
log = logging.getLogger("stillmotion.schema")
# Alembic narrates every context it opens; one line of ours per migration says enough.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)


class SchemaMismatch(ValueError):
    """The database's schema is not the one this build needs (a ValueError, so the CLI
    prints it as one line)."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", "stillmotion.jobs:migrations")
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not inspect(conn).get_table_names()


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to this build's head; returns (revision before, revision after).

    A database made before migrations existed (tables, no version) is first stamped
    with the baseline it matches.
    """
    config = _config()
    before = current_revision(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        if before is None and inspect(conn).has_table("tasks"):
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
    after = head_revision()
    if before != after:
        log.info("database schema migrated from %s to %s", before or "an empty database",
                 after)
    return before, after


def require_current(engine: Engine) -> None:
    """Return if the schema is this build's; migrate a new, empty database; otherwise
    raise SchemaMismatch saying what to do."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    if current is None and _is_empty(engine):
        migrate(engine)
        return
    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    if current is not None and current not in known:
        raise SchemaMismatch(
            f"the database schema is at revision {current}, which this version of "
            f"stillmotion does not know (it needs {head}): a newer version wrote it; "
            "run that version, or restore a backup")
    raise SchemaMismatch(
        f"the database schema is at revision {current or 'none (made before migrations)'} "
        f"and this version needs {head}: run `stillmotion migrate` (back the database up "
        "first), then start again")
