"""Retention: a finished task's image and video go after `retention_days`, its row (and
its webhook's) after `row_retention_days`.

Blobs are deleted before the task is marked purged: a purge cut short by a crash leaves
a task whose blobs are partly gone but which the next purge finds and finishes, never a
task marked purged whose files linger with nothing left to find them.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from stillmotion.blobs import BlobStore
from stillmotion.config import Settings
from stillmotion.jobs.database import now_ms
from stillmotion.jobs.store import Store
from stillmotion.media import thumbnail

log = logging.getLogger("stillmotion.retention")
DAY_MS = 86_400_000
SCRATCH_MAX_AGE_S = 86_400.0
BATCH = 200


@dataclass(frozen=True)
class PurgeReport:
    tasks_purged: int  # tasks whose image and video were deleted
    rows_deleted: int  # tasks forgotten altogether


def purged_reason(retention_days: float) -> str:
    return (f"The video was deleted at the end of its {retention_days:g}-day retention "
            "period; submit the request again to make it anew.")


def purge(store: Store, blobs: BlobStore, blob_age_ms: int, row_age_ms: int,
          reason: str) -> PurgeReport:
    """Delete the blobs of tasks finished more than `blob_age_ms` ago and the rows of
    those finished more than `row_age_ms` ago. Safe to run in several processes at once:
    deletes are idempotent and each mark re-checks the task."""
    now = now_ms()
    purged = 0
    seen: set[str] = set()
    while True:
        batch = [t for t in store.purgeable(now - blob_age_ms, BATCH) if t.id not in seen]
        if not batch:
            break
        for task in batch:
            seen.add(task.id)
            blobs.delete(task.input_key)
            blobs.delete(thumbnail.key_for(task.id))
            blobs.delete_prefix(f"outputs/{task.id}")
            purged += store.mark_purged(task, reason)
    return PurgeReport(purged, store.delete_rows(now - row_age_ms))


def remove_stale_scratch(tmp: Path, older_than_s: float = SCRATCH_MAX_AGE_S) -> int:
    """Delete scratch files a killed worker could not (its `finally` never ran); no render
    takes a day, so an older one belongs to nobody. Returns how many went."""
    cutoff = time.time() - older_than_s
    removed = 0
    for path in tmp.glob("*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another process's purge got there first
            pass
    return removed


def purge_by_settings(store: Store, blobs: BlobStore, settings: Settings) -> PurgeReport:
    remove_stale_scratch(settings.tmp_dir)
    return purge(store, blobs, int(settings.retention_days * DAY_MS),
                 int(settings.row_retention_days * DAY_MS),
                 purged_reason(settings.retention_days))


class Purger:
    """Runs `purge_by_settings` every `purge_interval_s` on a background thread."""

    def __init__(self, settings: Settings, store: Store, blobs: BlobStore) -> None:
        self.settings, self.store, self.blobs = settings, store, blobs
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="purge", daemon=True)

    def start(self) -> Purger:
        if self.settings.purge_interval_s > 0:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(30)

    def _run(self) -> None:
        """Once at start (a server that was down for a week has catching up to do), then
        every interval."""
        while True:
            try:
                report = purge_by_settings(self.store, self.blobs, self.settings)
                if report.tasks_purged or report.rows_deleted:
                    log.info("purged the blobs of %d task(s), deleted %d old task row(s)",
                             report.tasks_purged, report.rows_deleted)
            except (SQLAlchemyError, OSError) as exc:
                log.warning("purge failed, trying again later: %s", exc)
            if self._stop.wait(self.settings.purge_interval_s):
                return
