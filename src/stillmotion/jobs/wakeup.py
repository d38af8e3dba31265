"""How an idle worker waits for work: LISTEN/NOTIFY on PostgreSQL, a plain sleep on SQLite.

On PostgreSQL every submit (and every task put back in the queue) sends a NOTIFY in its
own transaction, so an idle worker starts a new task within milliseconds of its commit.
Polling stays underneath: a missed notification (the listening connection dropped, the
database restarted) costs at most one poll interval, and tasks whose retry backoff ends
later are found by the poll as before.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine

from stillmotion.jobs.database import is_postgres
from stillmotion.jobs.store import NOTIFY_CHANNEL

log = logging.getLogger("stillmotion.worker")


class Wakeup:
    """`wait(timeout)` returns when work may have arrived, the timeout passed, or `stop`
    was set (checked at least every `timeout`).

    `listen=False` (the `listen_notify` setting off) makes it poll on PostgreSQL too."""

    def __init__(self, engine: Engine, stop: threading.Event, listen: bool = True) -> None:
        self._stop = stop
        self._conninfo: str | None = None
        self._conn: Any = None
        if listen and is_postgres(engine):
            self._conninfo = engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False)

    @property
    def listening(self) -> bool:
        return self._conn is not None

    def wait(self, timeout: float) -> None:
        if self._conninfo is None or self._stop.is_set():
            self._stop.wait(timeout)
            return
        try:
            conn = self._listen()
            for _notification in conn.notifies(timeout=timeout, stop_after=1):
                pass
        except Exception as exc:  # noqa: BLE001 - any failure: fall back to polling
            log.warning("LISTEN connection lost (%s); polling until it is back", exc)
            self.close()
            self._stop.wait(timeout)

    def _listen(self) -> Any:
        if self._conn is None:
            import psycopg

            assert self._conninfo is not None
            self._conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
            self._conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
            self._conn = None
