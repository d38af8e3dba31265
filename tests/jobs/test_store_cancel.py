"""Cancel, listing and Idempotency-Key in the store, on a real SQLite file: the races."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from stillmotion.jobs.store import (
    CANCELLED_REASON,
    FAILED,
    PROCESSING,
    QUEUED,
    SUCCEED,
    Idempotency,
    IdempotencyKeyReused,
    LeaseLost,
    NewTask,
    TaskCancelled,
    TaskFinished,
)
from tests.jobs.test_store import add_task, make_store


def test_cancel_queued_ends_at_once_and_is_never_claimed(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    task_id = add_task(store)
    task = store.cancel(task_id, "owner-a")
    assert task is not None and task.status == FAILED and task.reason == CANCELLED_REASON
    assert task.complete_ms is not None and task.progress == 0
    assert store.claim("w") is None
    with pytest.raises(TaskFinished):
        store.cancel(task_id, "owner-a")
    assert store.cancel(task_id, "owner-b") is None  # another key's task does not exist
    assert store.cancel("nope", "owner-a") is None


def test_cancel_running_flags_it_and_the_attempt_reads_the_flag(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    task_id = add_task(store)
    claim = store.claim("w")
    assert claim is not None
    assert store.progress(claim, 10) is False and store.cancel_requested(claim) is False
    task = store.cancel(task_id, "owner-a")
    assert task is not None and task.status == PROCESSING
    assert store.progress(claim, 20) is True
    assert store.heartbeat(claim) is True and store.cancel_requested(claim) is True
    with pytest.raises(TaskCancelled):
        store.finish_cancelled(claim)
    final = store.get(task_id)
    assert final is not None and final.status == FAILED and final.reason == CANCELLED_REASON
    assert final.progress == 20
    with pytest.raises(LeaseLost):  # the attempt's token no longer matches
        store.progress(claim, 30)


def test_cancel_racing_completion_one_of_them_wins(tmp_path: Path) -> None:
    """Race: a cancel arriving while the worker completes. Either the completion lands
    (the cancel is then a TaskFinished) or the cancel does (the completion is refused)."""
    store = make_store(tmp_path)
    # The cancel's flag first: the completion is refused and the task ends cancelled.
    first = add_task(store)
    claim = store.claim("w")
    assert claim is not None and claim.task.id == first
    store.cancel(first, "owner-a")
    with pytest.raises(TaskCancelled):
        store.complete(claim, "outputs/x.mp4")
    task = store.get(first)
    assert task is not None and task.status == FAILED and task.output_key is None
    # The completion first: the cancel finds a finished task.
    second = add_task(store)
    claim = store.claim("w")
    assert claim is not None and claim.task.id == second
    store.complete(claim, "outputs/y.mp4")
    with pytest.raises(TaskFinished):
        store.cancel(second, "owner-a")
    task = store.get(second)
    assert task is not None and task.status == SUCCEED


def test_cancel_pending_is_not_handed_back_or_retried(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    for hand_back in ("release", "retry"):
        task_id = add_task(store)
        claim = store.claim("w")
        assert claim is not None
        store.cancel(task_id, "owner-a")
        with pytest.raises(TaskCancelled):
            if hand_back == "release":
                store.release(claim)
            else:
                store.retry(claim, "boom")
        task = store.get(task_id)
        assert task is not None and task.status == FAILED, hand_back
        assert task.reason == CANCELLED_REASON


def test_reaper_fails_a_cancelled_task_instead_of_requeueing(tmp_path: Path) -> None:
    store = make_store(tmp_path, lease_s=0.01)
    task_id = add_task(store)
    assert store.claim("w") is not None
    store.cancel(task_id, "owner-a")
    threading.Event().wait(0.05)
    assert store.reap() == 1
    task = store.get(task_id)
    assert task is not None and task.status == FAILED and task.reason == CANCELLED_REASON


def test_concurrent_idempotent_submits_commit_one_task(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    idem = Idempotency("k", "hash-1")
    answers: list[str] = []
    lock = threading.Lock()

    def submit() -> None:
        task_id = store.new_task_id()
        got = store.submit(task_id, NewTask(
            owner="a", request={"seed": 1}, input_key=f"inputs/{task_id}.png",
            image_width=10, image_height=10, out_width=10, out_height=10, frame_count=96),
            idem)
        with lock:
            answers.append(got)

    threads = [threading.Thread(target=submit) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(answers)) == 1 and len(answers) == 12
    assert [t.id for t in store.list_tasks("a", None, 100)] == answers[:1]
    with pytest.raises(IdempotencyKeyReused):
        store.find_idempotent("a", Idempotency("k", "hash-2"))
    assert store.find_idempotent("b", idem) is None  # per API key
    assert store.list_tasks("a", QUEUED, 10)[0].id == answers[0]
