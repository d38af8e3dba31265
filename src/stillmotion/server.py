"""`serve`: the API in this process and render workers in child processes.

Workers are processes, not threads, so rendering never stalls the event loop. On
shutdown the API stops first (no new tasks), then workers drain: each finishes its
render; past the drain timeout they are told again and hand their tasks back.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from multiprocessing.process import BaseProcess

import uvicorn

from stillmotion.api.app import create_app
from stillmotion.config import Settings
from stillmotion.jobs.worker import run_worker_process

log = logging.getLogger("stillmotion.server")
SECOND_SIGNAL_GRACE_S = 15.0  # after the second SIGTERM a worker only has to hand back


def start_workers(settings: Settings, count: int) -> list[BaseProcess]:
    context = multiprocessing.get_context("spawn")  # no inherited sockets, threads or locks
    values = settings.model_dump(mode="json")
    values["parent_pid"] = os.getpid()
    workers = []
    for index in range(count):
        process = context.Process(target=run_worker_process, args=(values,),
                                  name=f"stillmotion-worker-{index}", daemon=False)
        process.start()
        workers.append(process)
    return workers


def stop_workers(workers: list[BaseProcess], drain_timeout_s: float) -> None:
    for process in workers:
        if process.is_alive() and process.pid:
            os.kill(process.pid, 15)
    for process in workers:
        process.join(drain_timeout_s)
    for process in workers:  # past the drain timeout: hand back, then insist
        if process.is_alive() and process.pid:
            os.kill(process.pid, 15)
            process.join(SECOND_SIGNAL_GRACE_S)
        if process.is_alive():
            process.kill()
            process.join()


def serve(settings: Settings, access_log: bool = False) -> None:
    app = create_app(settings)
    workers = start_workers(settings, settings.workers)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, access_log=access_log,
                            log_level="info", timeout_graceful_shutdown=10)
    try:
        uvicorn.Server(config).run()
    finally:
        log.info("stopping %d worker(s)", len(workers))
        stop_workers(workers, settings.drain_timeout_s)
