"""LISTEN/NOTIFY on the machine's PostgreSQL: a waiting worker wakes on a submit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stillmotion.config import Settings
from stillmotion.jobs.store import Store
from stillmotion.jobs.wakeup import Wakeup
from tests.conftest import postgres_database
from tests.jobs.test_store import add_task


@pytest.fixture
def pg_store(tmp_path: Path) -> Iterator[Store]:
    with postgres_database() as url:
        store = Store(Settings(data_dir=tmp_path, database_url=url))
        store.prepare_schema()
        yield store
        store.close()


def test_a_submit_wakes_a_listening_worker_and_it_can_claim_at_once(pg_store: Store) -> None:
    stop = threading.Event()
    wakeup = Wakeup(pg_store.engine, stop)
    wakeup.wait(0.01)  # connects and LISTENs
    assert wakeup.listening
    woke = threading.Event()

    def idle_worker() -> None:
        wakeup.wait(600)  # without a notification this would sleep ten minutes
        woke.set()

    thread = threading.Thread(target=idle_worker, daemon=True)
    thread.start()
    task_id = add_task(pg_store)
    assert woke.wait(60), "the submit's NOTIFY did not wake the worker"
    claim = pg_store.claim("w")
    assert claim is not None and claim.task.id == task_id
    wakeup.close()


def test_a_task_put_back_in_the_queue_wakes_a_worker_too(pg_store: Store) -> None:
    add_task(pg_store)
    claim = pg_store.claim("w")
    assert claim is not None
    wakeup = Wakeup(pg_store.engine, threading.Event())
    wakeup.wait(0.01)
    woke = threading.Event()
    thread = threading.Thread(target=lambda: (wakeup.wait(600), woke.set()), daemon=True)
    thread.start()
    pg_store.release(claim)  # a draining worker hands it back
    assert woke.wait(60)
    wakeup.close()


def test_sqlite_has_no_listener_and_waits_by_polling(tmp_path: Path) -> None:
    store = Store(Settings(data_dir=tmp_path))
    stop = threading.Event()
    wakeup = Wakeup(store.engine, stop)
    wakeup.wait(0.01)
    assert not wakeup.listening
    stop.set()
    wakeup.wait(600)  # returns at once: the worker is stopping
    store.close()


def test_listen_notify_off_polls_on_postgresql_too(pg_store: Store) -> None:
    assert Settings(data_dir=pg_store.settings.data_dir).listen_notify  # on by default
    stop = threading.Event()
    wakeup = Wakeup(pg_store.engine, stop, listen=False)
    wakeup.wait(0.01)
    assert not wakeup.listening
    started = time.monotonic()
    threading.Timer(0.05, lambda: add_task(pg_store)).start()
    wakeup.wait(0.5)  # a submit's NOTIFY does not cut the poll interval short
    assert time.monotonic() - started >= 0.45
    wakeup.close()


def test_listen_notify_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.setenv("STILLMOTION_LISTEN_NOTIFY", "false")
    assert not Settings(data_dir=tmp_path).listen_notify
