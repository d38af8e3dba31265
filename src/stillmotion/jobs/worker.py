"""The worker loop: claim a task, render it under a heartbeat, record the outcome.

A worker is a long-lived process that keeps its engine loaded (rq's SimpleWorker shape,
never fork-per-job), so an engine with model weights loads once. SIGTERM drains: no new
claims, the current render finishes; a second SIGTERM stops the render and hands the task
back. SIGKILL loses nothing: the lease lapses and the reaper queues another attempt.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from stillmotion import defaults
from stillmotion.blobs import make_blob_store
from stillmotion.config import Settings
from stillmotion.engines import Engine, RenderRequest, load_engine
from stillmotion.engines.base import EngineFailure, RenderStopped
from stillmotion.jobs.store import Claim, LeaseLost, Store, TaskCancelled
from stillmotion.jobs.wakeup import Wakeup
from stillmotion.logs import bind_task
from stillmotion.media import thumbnail
from stillmotion.media.errors import InputError
from stillmotion.music import preload as preload_music
from stillmotion.pipeline import UPLOAD_AT, EncoderOptions, render_to_file

log = logging.getLogger("stillmotion.worker")
# A finished video whose completion the store did not answer is recorded again after
# these waits (doubling), until the store answers.
PUBLISH_RETRY_FIRST_S = 0.5
PUBLISH_RETRY_MAX_S = 5.0


class Heartbeat:
    """Keeps one attempt's lease alive from a side thread while the render runs.

    Race: if this worker freezes longer than the lease, the reaper hands the task on; the
    next beat then matches no row, `lost` is set, and the render stops at its next frame.
    Each beat also reads the task's cancel flag (same statement) into `cancelled`.
    """

    def __init__(self, store: Store, claim: Claim, interval_s: float) -> None:
        self.lost = threading.Event()
        self.cancelled = threading.Event()
        self._stop = threading.Event()
        self._store, self._claim, self._interval = store, claim, interval_s
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with bind_task(self._claim.task.id):  # a thread starts with a context of its own
            self._beat()

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if self._store.heartbeat(self._claim):
                    self.cancelled.set()
            except LeaseLost:
                self.lost.set()
                return
            except SQLAlchemyError as exc:  # a busy or briefly absent database: beat again
                log.warning("heartbeat for task %s failed: %s", self._claim.task.id, exc)


class ProgressWriter:
    """Throttled progress writes: at most one per interval, and only when the value rose.

    Each write also reads the task's cancel flag (UPDATE ... RETURNING) into `cancelled`.
    """

    def __init__(self, store: Store, claim: Claim, interval_s: float, lost: threading.Event,
                 cancelled: threading.Event):
        self._store, self._claim, self._interval, self._lost = store, claim, interval_s, lost
        self._cancelled = cancelled
        self._last_write = 0.0
        self._last_percent = -1

    def __call__(self, fraction: float) -> None:
        percent = int(fraction * 100)
        now = time.monotonic()
        if percent <= self._last_percent or now - self._last_write < self._interval:
            return
        try:
            if self._store.progress(self._claim, percent):
                self._cancelled.set()
        except LeaseLost:
            self._lost.set()
        except SQLAlchemyError as exc:
            log.warning("progress write for task %s failed: %s", self._claim.task.id, exc)
        self._last_write, self._last_percent = now, percent


class StopCheck:
    """`should_stop` for one render: lease lost, worker aborting, or the user cancelled.

    The cancel flag arrives for free with every progress write and heartbeat; as progress
    writes are throttled (and skipped while the percentage stands still), one primary-key
    read also asks the store every CANCEL_CHECK_INTERVAL_S, so a cancel stops the render
    within about that interval plus one frame.
    """

    def __init__(self, store: Store, claim: Claim, heartbeat: Heartbeat,
                 aborting: threading.Event) -> None:
        self._store, self._claim, self._heartbeat, self._aborting = (
            store, claim, heartbeat, aborting)
        self._last_check = time.monotonic()

    def __call__(self) -> bool:
        beat = self._heartbeat
        if beat.lost.is_set() or beat.cancelled.is_set() or self._aborting.is_set():
            return True
        if time.monotonic() - self._last_check >= defaults.CANCEL_CHECK_INTERVAL_S:
            return self.cancelled_or_lost()
        return False

    def cancelled_or_lost(self) -> bool:
        """Ask the store now whether the task was cancelled (or handed on)."""
        beat = self._heartbeat
        self._last_check = time.monotonic()
        try:
            if self._store.cancel_requested(self._claim):
                beat.cancelled.set()
        except LeaseLost:
            beat.lost.set()
        except SQLAlchemyError as exc:  # busy database: the next check asks again
            log.warning("cancel check for task %s failed: %s", self._claim.task.id, exc)
        return beat.lost.is_set() or beat.cancelled.is_set()


class Worker:
    """One render worker; `run()` loops until drained."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.store = Store(settings)
        self.blobs = make_blob_store(settings)
        self.engine = engine or load_engine(settings)
        preload_music()
        self.draining = threading.Event()
        self.aborting = threading.Event()
        self.wakeup = Wakeup(self.store.engine, self.draining, listen=settings.listen_notify)

    def install_signal_handlers(self) -> None:
        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            if self.draining.is_set():
                self.aborting.set()
            self.draining.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    def run(self) -> None:
        log.info("worker %s started (engine %s)", self.name, self.engine.name)
        next_reap = 0.0
        while not self.draining.is_set():
            if self._orphaned():
                log.warning("worker %s: serve has gone; stopping", self.name)
                break
            try:
                if time.monotonic() >= next_reap:
                    reaped = self.store.reap()
                    if reaped:
                        log.info("re-queued %d task(s) whose worker stopped responding", reaped)
                    next_reap = time.monotonic() + self.settings.reap_interval_s
                claim = self.store.claim(self.name)
            except SQLAlchemyError as exc:
                log.warning("store unavailable, backing off: %s", exc)
                self.draining.wait(min(5.0, self.settings.poll_interval_s * 10))
                continue
            if claim is None:
                self.wakeup.wait(self.settings.poll_interval_s)
                continue
            self.run_claim(claim)
        self.wakeup.close()
        self.store.close()
        log.info("worker %s drained", self.name)

    def _orphaned(self) -> bool:
        parent = self.settings.parent_pid
        return parent is not None and os.getppid() != parent

    def run_claim(self, claim: Claim) -> None:
        """Render one claimed task and record how it ended; never raises."""
        with bind_task(claim.task.id):  # every line logged about it carries its task_id
            self._run_claim(claim)

    def _run_claim(self, claim: Claim) -> None:
        task = claim.task
        scratch = self.blobs.scratch_path(".mp4")
        log.info("task %s: attempt %d started", task.id, task.attempts)
        with Heartbeat(self.store, claim, self.settings.heartbeat_s) as heartbeat:
            progress = ProgressWriter(self.store, claim, self.settings.progress_write_interval_s,
                                      heartbeat.lost, heartbeat.cancelled)
            should_stop = StopCheck(self.store, claim, heartbeat, self.aborting)

            def on_plan(plan: dict[str, Any]) -> None:  # the shot, and the music under "music"
                self.store.record_plan(claim, plan)

            try:
                render_to_file(
                    self.engine,
                    RenderRequest.from_fields(task.request, task.image_width, task.image_height),
                    self.blobs.read_bytes(task.input_key), scratch,
                    EncoderOptions.from_settings(self.settings),
                    on_plan=on_plan, on_progress=progress, should_stop=should_stop,
                    max_pixels=self.settings.max_image_pixels,
                )
                # A cancel after the last frame: do not publish. (A draining worker's
                # abort does not count here: the video is finished, so it completes.)
                if should_stop.cancelled_or_lost():
                    raise RenderStopped("the render was stopped")
                progress(UPLOAD_AT)
                key = f"outputs/{task.id}/{claim.token}.mp4"  # per attempt: no attempt
                # The thumbnail first: a local blob store moves the file it is given.
                self.blobs.put_bytes(thumbnail.key_for(task.id),  # for lists of tasks
                                     thumbnail.first_frame_jpeg(scratch))
                self.blobs.put_file(key, scratch)           # can overwrite another's file
                self._publish(claim, key)
                log.info("task %s: succeeded", task.id)
            except TaskCancelled:
                log.info("task %s: cancelled by the user", task.id)
            except RenderStopped:
                if heartbeat.cancelled.is_set() and not heartbeat.lost.is_set():
                    log.info("task %s: cancelled by the user; render stopped", task.id)
                    self._quietly(self.store.finish_cancelled, claim)
                elif heartbeat.lost.is_set():
                    log.warning("task %s: lease lost, another attempt owns it", task.id)
                else:
                    log.info("task %s: handed back while draining", task.id)
                    self._quietly(self.store.release, claim)
            except LeaseLost:
                log.warning("task %s: lease lost, another attempt owns it", task.id)
            except InputError as exc:
                self._quietly(self.store.fail, claim,
                              f"The stored input image could not be read: it {exc}.")
            except EngineFailure as exc:  # permanent for this task (out of memory, say)
                log.warning("task %s: failed: %s", task.id, exc.reason)
                self._quietly(self.store.fail, claim, exc.reason)
            except SQLAlchemyError as exc:  # the store went away mid-render: no traceback
                log.warning("task %s: attempt %d stopped, the store is unavailable: %s",
                            task.id, task.attempts, exc)
                self._quietly(self.store.retry, claim, "the task store was unavailable")
            except Exception as exc:  # noqa: BLE001 - any bug becomes a retry, never a crash
                log.exception("task %s: attempt %d failed", task.id, task.attempts)
                self._quietly(self.store.retry, claim,
                              f"internal rendering error ({type(exc).__name__})")
            finally:
                scratch.unlink(missing_ok=True)

    def _publish(self, claim: Claim, key: str) -> None:
        """Make the uploaded `key` the task's video (Store.complete), or delete it.

        Race: a cancel may land between the render's last check and this write; the store
        decides (see Store._guarded) and a cancelled task's file goes. Race: the store may
        go away around this write (an outage, a failover); whether a failed commit landed
        is then unknown, and the file must neither stay behind as an orphan nor go while
        the task names it. So the write is tried again until the store answers: done, or
        LeaseLost/TaskCancelled, which after an unanswered try may also mean that try did
        land; the task's own output key settles it.
        """
        unanswered = False
        delay = PUBLISH_RETRY_FIRST_S
        while True:
            try:
                self.store.complete(claim, key)
                self._sweep_outputs(claim, key)
                return
            except (LeaseLost, TaskCancelled):
                if unanswered:
                    try:
                        task = self.store.get(claim.task.id)
                    except SQLAlchemyError:
                        continue  # ask again: complete() answers LeaseLost again
                    if task is not None and task.output_key == key:
                        return  # an earlier, unanswered try committed
                self.blobs.delete(key)
                raise
            except SQLAlchemyError as exc:
                if self.aborting.is_set():  # told twice to stop: the lease will lapse
                    raise
                unanswered = True
                log.warning("task %s: could not record its video, trying again in %.1f s: %s",
                            claim.task.id, delay, exc)
                self.aborting.wait(delay)
                delay = min(PUBLISH_RETRY_MAX_S, delay * 2)

    def _sweep_outputs(self, claim: Claim, key: str) -> None:
        """Remove what earlier attempts uploaded but never recorded (killed in between),
        so a task keeps exactly one video. Best effort: the purge removes the rest."""
        try:
            self.blobs.delete_prefix(f"outputs/{claim.task.id}", keep=key)
        except OSError as exc:
            log.warning("task %s: could not remove earlier attempts' uploads: %s",
                        claim.task.id, exc)

    @staticmethod
    def _quietly(write: Callable[..., None], *args: object) -> None:
        """Record an outcome; if even that fails, the lapsing lease brings the task back."""
        try:
            write(*args)
        except (LeaseLost, TaskCancelled):  # TaskCancelled: the store ended it cancelled
            pass
        except SQLAlchemyError as exc:
            log.warning("could not record a task outcome (the lease will lapse): %s", exc)


def run_worker_process(settings_values: dict[str, object]) -> None:
    """Entry point of a worker process started by `serve` (multiprocessing spawn)."""
    from stillmotion.logs import configure_logging

    configure_logging()
    settings = Settings(**settings_values)  # type: ignore[arg-type]
    worker = Worker(settings)
    worker.install_signal_handlers()
    worker.run()
