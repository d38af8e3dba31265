"""`serve`: the API in this process and render workers in child processes.

Workers are processes, not threads, so rendering never stalls the event loop. On
shutdown the API stops first (no new tasks), then workers drain: each finishes its
render; past the drain timeout they are told again and hand their tasks back.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

from stillmotion.api.app import create_app
from stillmotion.api.results import ResultBuilder
from stillmotion.blobs import make_blob_store
from stillmotion.config import Settings
from stillmotion.jobs.retention import Purger
from stillmotion.jobs.store import Store, Task
from stillmotion.jobs.webhooks import Dispatcher
from stillmotion.jobs.worker import run_worker_process
from stillmotion.metrics import prepare_multiprocess_dir

log = logging.getLogger("stillmotion.server")
SECOND_SIGNAL_GRACE_S = 15.0  # after the second SIGTERM a worker only has to hand back
RESPAWN_CHECK_S = 1.0


class Housekeeping:
    """What a serving or rendering process runs beside its main job: webhook delivery and
    the periodic purge. Any number of processes may run it; both are safe in parallel."""

    def __init__(self, settings: Settings) -> None:
        self.store = Store(settings)
        blobs = make_blob_store(settings)
        results = ResultBuilder(settings, self.store, blobs)
        base = settings.public_base_url

        def payload(task: Task) -> dict[str, object]:
            return results.build(task, base, with_webhook=False).model_dump(
                mode="json", exclude_none=True)  # the hosted body has no nulls

        self.dispatcher = Dispatcher(settings, self.store, payload) if settings.webhooks else None
        self.purger = Purger(settings, self.store, blobs)

    def start(self) -> Housekeeping:
        if self.dispatcher is not None:
            self.dispatcher.start()
        self.purger.start()
        return self

    def stop(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.stop()
        self.purger.stop()
        self.store.close()


def start_worker(settings: Settings, index: int) -> BaseProcess:
    context = multiprocessing.get_context("spawn")  # no inherited sockets, threads or locks
    values = settings.model_dump(mode="json")
    values["parent_pid"] = os.getpid()
    process = context.Process(target=run_worker_process, args=(values,),
                              name=f"stillmotion-worker-{index}", daemon=False)
    process.start()
    return process


class WorkerPool:
    """Keeps `count` worker processes alive: a worker that dies (OOM killer, SIGKILL, a
    crash in native code) is replaced, and its task comes back through the reaper."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.workers = [start_worker(settings, i) for i in range(count)]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="worker-pool", daemon=True)
        self._thread.start()

    def _supervise(self) -> None:
        while not self._stopping.wait(RESPAWN_CHECK_S):
            for index, process in enumerate(self.workers):
                if not process.is_alive() and not self._stopping.is_set():
                    log.warning("worker %s exited with %s; starting a new one",
                                process.pid, process.exitcode)
                    self.workers[index] = start_worker(self.settings, index)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def signal_all(self, signum: int) -> None:
        for process in self.workers:
            if process.is_alive() and process.pid:
                os.kill(process.pid, signum)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        stop_workers(self.workers, self.settings.drain_timeout_s)


def stop_workers(workers: list[BaseProcess], drain_timeout_s: float) -> None:
    for process in workers:
        if process.is_alive() and process.pid:
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + drain_timeout_s
    for process in workers:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in workers:  # past the drain timeout: hand back, then insist
        if process.is_alive() and process.pid:
            os.kill(process.pid, signal.SIGTERM)
            process.join(SECOND_SIGNAL_GRACE_S)
        if process.is_alive():
            process.kill()
            process.join()


def export_settings(settings: Settings) -> None:
    """Put the settings into this process's environment, where API processes started by
    uvicorn (which builds each app from an import string) read them back."""
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list | dict):
            text = json.dumps(value)  # how Settings reads them back (cors_origins)
        else:
            text = str(value)
        os.environ[f"STILLMOTION_{name.upper()}"] = text


def serve(settings: Settings, access_log: bool = False) -> None:
    api_processes = max(1, settings.api_processes)
    # The schema exists before any API process starts, so they never race to create it.
    app = create_app(settings) if api_processes == 1 else None
    if app is None:
        settings.ensure_dirs()
        Store(settings).prepare_schema()
        export_settings(settings)
        # Each API process keeps its request-latency histogram in a file there, and
        # /metrics in any of them sums the files (prometheus_client multiprocess mode).
        prepare_multiprocess_dir(settings.data_dir)
    pool = WorkerPool(settings, settings.workers)
    housekeeping = Housekeeping(settings).start()

    # uvicorn restores the handlers it found and re-raises the signal once it has shut
    # down; with Python's default handler that would kill this process before the workers
    # drain. Ours only records it, so the `finally` below runs. A signal that arrives while
    # the workers drain is passed on to them: they stop rendering and hand their tasks back.
    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if pool.stopping:
            pool.signal_all(signal.SIGTERM)

    # log_config=None: uvicorn's lines go through our handler (stillmotion.logs), as JSON.
    common = dict(host=settings.host, port=settings.port,
                  access_log=access_log or settings.access_log, log_config=None,
                  log_level="info", timeout_graceful_shutdown=10)
    try:
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        if app is not None:
            uvicorn.Server(uvicorn.Config(app, **common)).run()  # type: ignore[arg-type]
        else:
            # Several API processes on one port: uvicorn's supervisor shares the socket.
            uvicorn.run("stillmotion.api.app:create_app_from_env", factory=True,
                        workers=api_processes, **common)  # type: ignore[arg-type]
    finally:
        signal.signal(signal.SIGTERM, on_signal)  # uvicorn's supervisor left its own
        signal.signal(signal.SIGINT, on_signal)
        log.info("stopping %d worker(s)", len(pool.workers))
        pool.stop()
        housekeeping.stop()
