"""The store on a real SQLite file: claims, leases, tokens, retries, progress."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from stillmotion.config import Settings
from stillmotion.jobs.store import FAILED, QUEUED, SUCCEED, LeaseLost, NewTask, Store


def make_store(tmp_path: Path, **overrides: object) -> Store:
    settings = Settings(data_dir=tmp_path, **overrides)  # type: ignore[arg-type]
    store = Store(settings)
    store.prepare_schema()
    return store


def add_task(store: Store, owner: str = "owner-a") -> str:
    task_id = store.new_task_id()
    store.submit(task_id, NewTask(
        owner=owner, request={"prompt": "", "duration": 4, "resolution": "360p",
                              "movement_amplitude": "auto", "seed": 1, "bgm": False},
        input_key=f"inputs/{task_id}.png", image_width=640, image_height=480,
        out_width=480, out_height=360, frame_count=96))
    return task_id


def test_concurrent_claims_take_each_task_exactly_once(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    ids = {add_task(store) for _ in range(40)}
    claimed: list[str] = []
    lock = threading.Lock()

    def grab(name: str) -> None:
        while (claim := store.claim(name)) is not None:
            with lock:
                claimed.append(claim.task.id)

    threads = [threading.Thread(target=grab, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(ids)


def test_claims_oldest_first_and_owner_scoping(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    first = add_task(store, "a")
    time.sleep(0.002)
    add_task(store, "b")
    claim = store.claim("w")
    assert claim is not None and claim.task.id == first
    assert store.get(first, "a") is not None
    assert store.get(first, "b") is None  # another key's task does not exist for it


def test_zombie_attempt_cannot_overwrite_the_newer_one(tmp_path: Path) -> None:
    store = make_store(tmp_path, lease_s=0.05, retry_backoff_s=0.0)
    task_id = add_task(store)
    zombie = store.claim("frozen-worker")
    assert zombie is not None
    time.sleep(0.1)  # the frozen worker misses its lease
    assert store.reap() == 1
    fresh = store.claim("healthy-worker")
    assert fresh is not None and fresh.task.id == task_id and fresh.token != zombie.token
    for late_write in (lambda: store.heartbeat(zombie), lambda: store.progress(zombie, 90),
                       lambda: store.complete(zombie, "outputs/zombie.mp4"),
                       lambda: store.fail(zombie, "late"), lambda: store.retry(zombie, "late")):
        with pytest.raises(LeaseLost):
            late_write()
    store.complete(fresh, "outputs/fresh.mp4")
    task = store.get(task_id)
    assert task is not None
    assert (task.status, task.output_key, task.attempts) == (SUCCEED, "outputs/fresh.mp4", 2)


def test_heartbeat_keeps_the_lease_from_the_reaper(tmp_path: Path) -> None:
    store = make_store(tmp_path, lease_s=0.3)
    add_task(store)
    claim = store.claim("w")
    assert claim is not None
    for _ in range(4):
        time.sleep(0.1)
        store.heartbeat(claim)
        assert store.reap() == 0
    store.complete(claim, "outputs/x.mp4")


def test_retry_backs_off_then_fails_after_max_attempts(tmp_path: Path) -> None:
    store = make_store(tmp_path, max_attempts=2, retry_backoff_s=0.2)
    task_id = add_task(store)
    claim = store.claim("w")
    assert claim is not None
    store.retry(claim, "engine crashed")
    task = store.get(task_id)
    assert task is not None and task.status == QUEUED
    assert store.claim("w") is None  # still backing off (0.1 .. 0.3 s)
    time.sleep(0.35)
    second = store.claim("w")
    assert second is not None and second.task.attempts == 2
    store.retry(second, "engine crashed")
    task = store.get(task_id)
    assert task is not None and task.status == FAILED
    assert "2 attempts" in task.reason and "engine crashed" in task.reason


def test_reaper_fails_a_task_whose_attempts_ran_out(tmp_path: Path) -> None:
    store = make_store(tmp_path, max_attempts=1, lease_s=0.01)
    task_id = add_task(store)
    assert store.claim("w") is not None
    time.sleep(0.05)
    assert store.reap() == 1
    task = store.get(task_id)
    assert task is not None and task.status == FAILED and task.reason


def test_release_hands_back_without_spending_an_attempt(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    task_id = add_task(store)
    claim = store.claim("draining")
    assert claim is not None
    store.release(claim)
    again = store.claim("other")
    assert again is not None and again.task.id == task_id and again.task.attempts == 1


def test_progress_never_goes_down_even_across_attempts(tmp_path: Path) -> None:
    store = make_store(tmp_path, retry_backoff_s=0.0)
    task_id = add_task(store)
    claim = store.claim("w")
    assert claim is not None
    store.progress(claim, 60)
    store.progress(claim, 40)
    store.retry(claim, "transient")
    retry = store.claim("w")
    assert retry is not None
    store.progress(retry, 10)
    task = store.get(task_id)
    assert task is not None and task.progress == 60
    store.progress(retry, 100)  # only complete() may say 100
    task = store.get(task_id)
    assert task is not None and task.progress == 99


def test_eta_uses_recent_renders_of_the_same_size(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    add_task(store)
    claim = store.claim("w")
    assert claim is not None
    time.sleep(0.3)
    store.complete(claim, "outputs/a.mp4")
    done = store.get(claim.task.id)
    assert done is not None and store.eta_s(done) == 0
    measured = store.estimate_render_ms(done)
    assert 300 <= measured < 2000
    queued = [store.get(add_task(store)) for _ in range(3)]
    etas = [store.eta_s(task) for task in queued if task is not None]
    assert etas == sorted(etas) and all(eta >= 1 for eta in etas)
    positions = [store.queue_position(task) for task in queued if task is not None]
    assert sorted(positions) == [0, 1, 2]
    first = min(zip(positions, queued, strict=True), key=lambda pair: pair[0])[1]
    claim = store.claim("w")
    assert claim is not None and first is not None and claim.task.id == first.id
