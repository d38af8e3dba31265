"""The shared setup under faults: several API nodes and render workers on one PostgreSQL
database, workers SIGKILLed and frozen mid-render, the database itself stopped mid-run.

Real processes only: every API node is a `stillmotion serve` child process, every worker a
`stillmotion worker` child process, the database the machine's PostgreSQL (a fresh
database per test) or, for the outage, a PostgreSQL cluster the test owns and stops.
"""

from __future__ import annotations

import io
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import psycopg
import pytest

from tests import pgcluster
from tests.conftest import (
    FAST_RECOVERY_ENV,
    NO_QUOTAS_ENV,
    Server,
    cli,
    photo,
    png_uri,
    portrait_9x16,
    postgres_database,
    wait_for,
)

pytestmark = pytest.mark.slow

SUBMIT_PATH = "/v3/async/vidu-2.0-img2video"
RESULT_PATH = "/v3/async/task-result"
SCRATCH_NAME = re.compile(r"^[0-9a-f]{32}\.mp4$")  # LocalBlobStore.scratch_path(".mp4")


def tiny_photo() -> np.ndarray:
    """A 64x64 crop of scikit-image's astronaut: the cheapest real photo to render (the
    video's short side is still 360 at the default resolution)."""
    return np.ascontiguousarray(photo("astronaut")[0:64, 200:264])


def worker_env(database_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, **FAST_RECOVERY_ENV, **NO_QUOTAS_ENV,
            "STILLMOTION_DATABASE_URL": database_url, **extra}


class WorkerProcs:
    """`stillmotion worker` child processes on one data dir, each logging to its own file."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir, self.env = data_dir, env
        self.procs: list[subprocess.Popen[bytes]] = []  # every one ever started
        self.live: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        index = len(self.procs)
        with open(self.data_dir / f"worker-{index}.log", "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "stillmotion.cli", "worker",
                 "--data-dir", str(self.data_dir)],
                stdout=log, stderr=subprocess.STDOUT, env=self.env)
        self.procs.append(proc)
        self.live.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        proc.kill()
        proc.wait()
        self.live.remove(proc)

    def by_pid(self, pid: int) -> subprocess.Popen[bytes]:
        (proc,) = [p for p in self.live if p.pid == pid]
        return proc

    def wait_started(self, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
        """Until the worker has loaded its engine and entered its loop."""
        wait_until(lambda: "started (engine" in self.log(proc), timeout,
                   f"worker {proc.pid} never started", interval=0.1)

    def rendering(self, database_url: str) -> list[subprocess.Popen[bytes]]:
        """The live workers that hold a task now (the task row's `worker`, host:pid)."""
        busy = {int(r["worker"].rsplit(":", 1)[1]) for r in task_rows(database_url).values()
                if r["status"] == "processing" and r["worker"]}
        return [p for p in self.live if p.pid in busy]

    def log(self, proc: subprocess.Popen[bytes]) -> str:
        index = self.procs.index(proc)
        return (self.data_dir / f"worker-{index}.log").read_text(errors="replace")

    def logs(self) -> str:
        return "\n".join(self.log(p) for p in self.procs)

    def close(self) -> None:
        """SIGCONT (a test may have frozen one), SIGTERM to drain, SIGKILL past 30 s."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def worker_procs(data_dir: Path, env: dict[str, str], count: int) -> Iterator[WorkerProcs]:
    procs = WorkerProcs(data_dir, env)
    try:
        for _ in range(count):
            procs.start()
        yield procs
    finally:
        procs.close()


def task_rows(database_url: str, ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """The task rows as the store keeps them, read straight from the database."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        cursor = conn.execute(
            "SELECT id, status, attempts, progress, output_key, input_key, worker, reason "
            "FROM tasks")
        columns = [c.name for c in cursor.description or []]
        rows = {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}
    return rows if ids is None else {i: rows[i] for i in ids}


def submit_ok(client: httpx.Client, image: np.ndarray, **fields: Any) -> str:
    response = client.post(SUBMIT_PATH, json={"images": [png_uri(image)], **fields})
    assert response.status_code == 200, response.text
    return str(response.json()["task_id"])


def video_frame_count(data: bytes) -> int:
    """Decode every frame of the MP4's video stream with PyAV; the number decoded."""
    with av.open(io.BytesIO(data)) as container:
        return sum(1 for _ in container.decode(video=0))


def download_frames(client: httpx.Client, task_id: str) -> int:
    response = client.get(RESULT_PATH, params={"task_id": task_id})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["task"]["status"] == "TASK_STATUS_SUCCEED", body
    video = httpx.get(body["videos"][0]["video_url"], timeout=60)
    assert video.status_code == 200
    return video_frame_count(video.content)


def blob_files(data_dir: Path) -> set[str]:
    root = data_dir / "blobs"
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def wait_until(predicate: Any, timeout: float, what: str, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s")


# --- 1. scale-out: two API nodes, three workers, workers SIGKILLed mid-run -----------------

SCALE_TASKS = 300
SCALE_WORKERS = 3
SCALE_KILLS = 8
SCALE_SEED = 20240607


def test_two_api_nodes_three_workers_survive_random_sigkills(tmp_path: Path) -> None:
    """300 tiny 360p tasks submitted concurrently through two API nodes, rendered by three
    `stillmotion worker` processes on one PostgreSQL database and one data dir, while 8
    workers are SIGKILLed at seeded random moments (each one holding a task) and replaced.
    Every task ends SUCCEED, published exactly once (its row names one output and that
    file is there), and every video decodes to 96 frames through either API node. A worker
    killed between its upload and its UPDATE leaves that upload behind unpublished (a
    zombie, by design: see the assertions); no other blob remains.
    The issue's full 300 fit: about 3 minutes of rendering on 2 shared cores (a 64x64
    photo; the video's short side is still 360).

    What a kill leaves: the killed worker's scratch MP4 in data_dir/tmp when it had opened
    one (unfinished, never published: its `finally` cannot run to remove it), nothing else."""
    rng = random.Random(SCALE_SEED)
    image = tiny_photo()
    with ExitStack() as stack:
        url = stack.enter_context(postgres_database())
        env = {"STILLMOTION_DATABASE_URL": url,
               # More attempts than kills: no task can run out of them, whatever is hit.
               "STILLMOTION_MAX_ATTEMPTS": str(SCALE_KILLS + 2)}
        migrated = cli(tmp_path, "migrate", env=env)
        assert "migrated the schema" in migrated.stdout, migrated.stdout
        api1 = Server(tmp_path, workers=0, env=dict(env)).start()
        stack.callback(api1.close)
        api2 = Server(tmp_path, workers=0, env=dict(env), key=api1.key).start()
        stack.callback(api2.close)
        workers = stack.enter_context(worker_procs(
            tmp_path, worker_env(url, **env), SCALE_WORKERS))
        clients = [stack.enter_context(api1.client()), stack.enter_context(api2.client())]

        def submit_one(i: int) -> str:
            return submit_ok(clients[i % 2], image, seed=i, prompt="slow push in")

        started = time.monotonic()
        pool = stack.enter_context(ThreadPoolExecutor(8))
        futures = [pool.submit(submit_one, i) for i in range(SCALE_TASKS)]
        wait_until(lambda: any(r["status"] == "processing" for r in task_rows(url).values()),
                   60, "no worker started rendering", interval=0.1)
        killed: list[int] = []
        for _ in range(SCALE_KILLS):
            time.sleep(rng.uniform(0.5, 4.0))
            # A worker that holds a task right now (a replacement still starting up has
            # nothing to lose), picked by the seeded generator.
            deadline = time.monotonic() + 120
            while not (candidates := workers.rendering(url)):
                assert time.monotonic() < deadline, "no live worker is rendering"
                time.sleep(0.05)
            victim = candidates[rng.randrange(len(candidates))]
            time.sleep(rng.uniform(0.0, 1.5))  # somewhere in its render (~1-2 s), or the next
            killed.append(victim.pid)
            workers.kill(victim)
            replacement = workers.start()
            # Kill again only once the replacement works: three workers keep rendering,
            # and the kills spread over the run instead of emptying the pool.
            workers.wait_started(replacement)
        ids = [future.result() for future in futures]
        assert len(set(ids)) == SCALE_TASKS

        def all_final() -> bool:
            return all(r["status"] in ("succeed", "failed") for r in task_rows(url).values())

        try:
            wait_until(all_final, 900, "tasks still unfinished", interval=1)
        except AssertionError:
            raise AssertionError(Counter(r["status"] for r in task_rows(url).values())) from None
        elapsed = time.monotonic() - started

        rows = task_rows(url)
        assert set(rows) == set(ids)
        assert {r["status"] for r in rows.values()} == {"succeed"}, \
            [r for r in rows.values() if r["status"] != "succeed"][:5]
        assert all(r["progress"] == 100 for r in rows.values())
        # The kills landed on renders: some tasks needed a second attempt.
        retried = [r for r in rows.values() if r["attempts"] > 1]
        assert retried, "no kill interrupted a render"
        reruns = sum(r["attempts"] - 1 for r in rows.values())
        # Each task published exactly once: its row names one output, and that file is
        # there. A worker SIGKILLed between uploading its video and recording it leaves
        # that upload behind (keys are per attempt, so it never replaces another's); the
        # attempt that wins sweeps such uploads away when it records its video. So
        # nothing else is anywhere under the blobs dir: no other output, no stray file.
        blobs = blob_files(tmp_path)
        published = {r["output_key"] for r in rows.values()}
        inputs = {r["input_key"] for r in rows.values()}
        thumbnails = {f"thumbnails/{task_id}.jpg" for task_id in rows}
        assert published <= blobs and inputs <= blobs and thumbnails <= blobs
        zombies = blobs - published - inputs - thumbnails
        assert zombies == set(), zombies
        # Scratch space: a SIGKILLed worker cannot unlink its scratch MP4 (its `finally`
        # never runs), so at most one partial scratch file per kill stays in data_dir/tmp;
        # nothing else does (workers still alive clean up after every attempt).
        leftovers = [p.name for p in (tmp_path / "tmp").iterdir()]
        assert all(SCRATCH_NAME.match(name) for name in leftovers), leftovers
        assert len(leftovers) <= SCALE_KILLS, leftovers
        # Every video is whole, and either API node serves any task's result and file.
        frames = Counter(download_frames(clients[i % 2], task_id)
                         for i, task_id in enumerate(ids))
        assert frames == Counter({96: SCALE_TASKS})
        # Only the killed workers died; no request failed with a 500 on either node.
        assert all(p.poll() is None for p in workers.live)
        assert "Traceback" not in api1.log()
        assert "Traceback" not in workers.logs()
        print(f"\n{SCALE_TASKS} tasks in {elapsed:.0f} s; killed {killed}; "
              f"{len(retried)} tasks retried, {reruns} attempts re-run; "
              f"{len(leftovers)} scratch files left in tmp")


# --- 2. a frozen worker comes back after its task was handed on -------------------------

def test_frozen_worker_cannot_overwrite_the_attempt_that_replaced_it(tmp_path: Path) -> None:
    """One API node and two workers on PostgreSQL with a 3 s lease. The worker rendering a
    1080p task is SIGSTOPped past its lease; the reaper hands the task to the other worker,
    which finishes it. Then the frozen worker is resumed: none of its writes land (status,
    progress, output key, attempts and worker stay the winner's), it publishes no file, and
    it notices that it lost the task and carries on as a healthy worker."""
    with ExitStack() as stack:
        url = stack.enter_context(postgres_database())
        env = {"STILLMOTION_DATABASE_URL": url}
        cli(tmp_path, "migrate", env=env)
        api = Server(tmp_path, workers=0, env=dict(env)).start()
        stack.callback(api.close)
        workers = stack.enter_context(worker_procs(tmp_path, worker_env(url), 2))
        client = stack.enter_context(api.client())

        task_id = submit_ok(client, portrait_9x16(), resolution="1080p", seed=31)

        def rendering() -> bool:
            row = task_rows(url, [task_id])[task_id]
            assert row["status"] != "succeed", "finished before it could be frozen"
            return bool(row["status"] == "processing" and row["progress"] >= 10)

        wait_until(rendering, 120, "the task never started rendering", interval=0.05)
        first = task_rows(url, [task_id])[task_id]
        frozen = workers.by_pid(int(first["worker"].rsplit(":", 1)[1]))
        (other,) = [p for p in workers.live if p is not frozen]
        frozen.send_signal(signal.SIGSTOP)
        try:
            # The lease lapses, the other worker's reaper re-queues it, the other worker
            # claims it and renders it from the start.
            result = wait_for(client, task_id, timeout=400)
        finally:
            frozen_row = task_rows(url, [task_id])[task_id]
            frozen.send_signal(signal.SIGCONT)
        assert result["task"]["status"] == "TASK_STATUS_SUCCEED", result["task"]["reason"]
        won = frozen_row
        assert won["status"] == "succeed"
        assert won["worker"] == first["worker"].rsplit(":", 1)[0] + f":{other.pid}"
        assert won["attempts"] == 2 and won["progress"] == 100
        assert won["output_key"].startswith(f"outputs/{task_id}/")

        # Resumed: its next heartbeat or progress write matches no row (the claim token
        # moved on), so it stops rendering and says so.
        wait_until(lambda: "lease lost" in workers.log(frozen), 60,
                   "the resumed worker never noticed it lost the task")
        time.sleep(3)  # a few more heartbeat intervals: anything it still wrote would show
        assert task_rows(url, [task_id])[task_id] == won
        assert frozen.poll() is None, "the resumed worker died"
        assert blob_files(tmp_path) == {won["input_key"], won["output_key"],
                                        f"thumbnails/{task_id}.jpg"}
        assert list((tmp_path / "tmp").iterdir()) == []  # its scratch file went too
        assert download_frames(client, task_id) == 96
        # And it works again: with the other worker frozen, it renders the next task.
        other.send_signal(signal.SIGSTOP)
        try:
            next_id = submit_ok(client, tiny_photo(), seed=32)
            assert wait_for(client, next_id, timeout=120)["task"]["status"] == \
                "TASK_STATUS_SUCCEED"
        finally:
            other.send_signal(signal.SIGCONT)
        assert task_rows(url, [next_id])[next_id]["worker"].endswith(f":{frozen.pid}")
        assert "Traceback" not in workers.logs()


# --- 3. the database goes away mid-run and comes back ----------------------------------

OUTAGE_S = 8.0  # longer than the 3 s lease: the rendering task's lease lapses meanwhile
UNAVAILABLE_WITHIN_S = 10.0  # a liveness bound: an answer, not a hang


def assert_unavailable(response: httpx.Response, elapsed: float) -> None:
    assert elapsed < UNAVAILABLE_WITHIN_S, f"took {elapsed:.1f} s"
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["code"] == 503 and body["reason"] == "SERVICE_UNAVAILABLE", body
    assert isinstance(body["message"], str) and body["message"]
    assert response.headers.get("retry-after")


# CI has PostgreSQL's server binaries (the machine runs PostgreSQL), so there the test
# runs and fails loudly if they went missing; elsewhere it says what it needs.
@pytest.mark.skipif(not pgcluster.available() and not os.environ.get("CI"),
                    reason="needs PostgreSQL's initdb and pg_ctl (Debian's postgresql package)")
def test_database_outage_answers_503_and_loses_no_task(tmp_path: Path) -> None:
    """`serve` (API + one worker) on a PostgreSQL cluster the test owns; tasks are
    submitted, then the cluster is stopped (fast shutdown) mid-render for longer than the
    lease. Meanwhile submits, task-result polls and /healthz answer 503 with the contract's
    envelope within seconds, never 500 and never a hang. Once the cluster is back, every
    task submitted before the outage ends SUCCEED with a whole video, the worker is the
    same process (it backed off rather than died) and new submits work."""
    with ExitStack() as stack:
        cluster = stack.enter_context(pgcluster.PgCluster()).start()
        server = Server(tmp_path, workers=1, env={"STILLMOTION_DATABASE_URL": cluster.url})
        stack.callback(server.close)  # before the cluster goes (callbacks run in reverse)
        server.start()
        (worker_pid,) = server.worker_pids()
        client = stack.enter_context(server.client())
        image = tiny_photo()
        ids = [submit_ok(client, image, resolution="720p", seed=40 + i) for i in range(4)]
        wait_until(lambda: any(r["status"] == "processing" and r["progress"] >= 10
                               for r in task_rows(cluster.url).values()),
                   60, "no task started rendering", interval=0.05)

        # Polls that run through the moment the cluster stops and the moment it is back:
        # some are in flight on pooled connections when the server terminates them.
        polls: list[tuple[int, float, dict[str, Any] | None]] = []
        polling = threading.Event()

        def poll_throughout() -> None:
            with server.client() as poller:
                while not polling.is_set():
                    begin = time.monotonic()
                    response = poller.get(RESULT_PATH, params={"task_id": ids[-1]})
                    elapsed = time.monotonic() - begin
                    try:
                        body = response.json() if response.status_code != 200 else None
                    except ValueError:
                        body = None
                    polls.append((response.status_code, elapsed, body))
                    time.sleep(0.02)

        poller = threading.Thread(target=poll_throughout)
        poller.start()
        stack.callback(poller.join)
        stack.callback(polling.set)
        time.sleep(0.5)
        cluster.stop()
        down_since = time.monotonic()
        try:
            checks = 0
            # Down for longer than the lease, and until the rendering task's video is done
            # and its completion could not be recorded (the render needs no database).
            while (checks < 3 or time.monotonic() - down_since < OUTAGE_S
                   or "could not record its video" not in server.log()):
                assert time.monotonic() - down_since < 180, "the render never finished"
                begin = time.monotonic()
                response = client.post(SUBMIT_PATH, json={"images": [png_uri(image)]})
                assert_unavailable(response, time.monotonic() - begin)
                for task_id in ids:
                    begin = time.monotonic()
                    response = client.get(RESULT_PATH, params={"task_id": task_id})
                    assert_unavailable(response, time.monotonic() - begin)
                begin = time.monotonic()
                response = client.get("/healthz")
                assert_unavailable(response, time.monotonic() - begin)
                checks += 1
                time.sleep(0.5)
        finally:
            cluster.start()

        for task_id in ids:
            result = wait_for(client, task_id, timeout=180)
            assert result["task"]["status"] == "TASK_STATUS_SUCCEED", result["task"]["reason"]
            assert download_frames(client, task_id) == 96
        polling.set()
        poller.join()
        assert {status for status, _, _ in polls} == {200, 503}, Counter(p[0] for p in polls)
        assert max(elapsed for _, elapsed, _ in polls) < UNAVAILABLE_WITHIN_S
        assert all(body is not None and body["code"] == 503
                   and body["reason"] == "SERVICE_UNAVAILABLE" for status, _, body in polls
                   if status != 200)
        assert polls[-1][0] == 200  # answered again once the database was back
        after = submit_ok(client, image, seed=49)
        assert wait_for(client, after, timeout=120)["task"]["status"] == "TASK_STATUS_SUCCEED"
        assert download_frames(client, after) == 96

        assert server.worker_pids() == [worker_pid], "the worker died in the outage"
        # The video finished during the outage was published once: no task has a second
        # file, whichever attempt's completion landed.
        rows = task_rows(cluster.url)
        for task_id, row in rows.items():
            assert row["status"] == "succeed"
            outputs = {k for k in blob_files(tmp_path) if k.startswith(f"outputs/{task_id}/")}
            assert outputs == {row["output_key"]}, row
        log = server.log()
        assert "Traceback" not in log  # a store outage is no crash: warnings, no trace
        assert "store unavailable" in log  # the 503s were the store's, logged as such
        assert "INTERNAL_ERROR" not in log
        assert not re.search(r"request \w+: \w+ \S+ failed", log), log  # no 500 anywhere
        assert "exited with" not in log  # no worker process died and was replaced
