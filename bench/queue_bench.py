"""Queue benchmark: claim throughput of empty tasks and pickup latency, SQLite vs PostgreSQL.

1. claim throughput: `--tasks` empty tasks (a task row only: no image, no render, no blob)
   are submitted with `Store.submit`, then K claimer *processes* (`--claimers`, e.g. 1 2 4)
   each loop `Store.claim` + `Store.complete` (a dummy output key) until the queue is
   empty: claims/s from the moment all of them are released at once to the last
   completion, and a check that every task was claimed exactly once (the ids the claimers
   got, and the rows: all SUCCEED after one attempt).
2. pickup latency: `--idle-workers` worker processes wait the way `Worker.run` waits
   (`claim`; when it returns None, `Wakeup.wait(poll_interval_s)`), while this process
   submits `--latency-tasks` tasks one at a time, `--gap-ms` apart (uniformly random,
   the same schedule for every configuration of a round). Latency is the worker's wall
   clock when its `claim` returned minus this process's wall clock just before its
   `submit` call, so it includes the submit itself (its duration is printed too).
   Configurations: SQLite polling (`--sqlite-polls`, 0.2 s is the default setting),
   PostgreSQL polling only (`STILLMOTION_LISTEN_NOTIFY=false`, 0.2 s) and PostgreSQL with
   LISTEN/NOTIFY (0.2 s polling underneath).

Every configuration gets a fresh database: a SQLite file in a temporary directory, or a
new PostgreSQL database on the machine's server (`tests.conftest.postgres_database`,
dropped after). Rounds (`--repeats`) interleave the configurations; the table shows the
median over rounds of each statistic.

    .venv/bin/python -m bench.queue_bench [--tasks 2000] [--claimers 1 2 4] \
        [--latency-tasks 200] [--idle-workers 2] [--repeats 3] [--no-write]

Run from the repository root. `src/stillmotion` is copied to a temporary directory first and
every process imports that copy. Quotas are off in the benchmark's settings (a single key
submits thousands of tasks).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.render_bench import (
    command_line,
    load_average,
    machine,
    snapshot_source,
    source_version,
    write_section,
)

SECTION = "queue_bench"
OWNER = "bench"
NO_QUOTAS: dict[str, Any] = dict(submits_per_minute_per_key=0, open_tasks_per_key=0,
                                 max_queued_tasks=0)
SPAWN = mp.get_context("spawn")  # workers are separate processes, as `serve` starts them


# --- both sides of the processes ------------------------------------------------------------

def _store(url: str | None, data_dir: str, **settings: Any) -> Any:
    from stillmotion.config import Settings
    from stillmotion.jobs.store import Store

    return Store(Settings(data_dir=Path(data_dir), database_url=url, **NO_QUOTAS,
                          **settings))


def _new_task(task_id: str) -> Any:
    from stillmotion.jobs.store import NewTask

    return NewTask(owner=OWNER, request={"prompt": "", "duration": 4, "resolution": "360p",
                                         "movement_amplitude": "auto", "seed": 1,
                                         "bgm": False},
                   input_key=f"inputs/{task_id}.png", image_width=640, image_height=480,
                   out_width=480, out_height=360, frame_count=96)


def _claimer(url: str | None, data_dir: str, name: str, ready: Any, go: Any,
             out: Any) -> None:
    """One claimer process: claim + complete until the queue is empty."""
    store = _store(url, data_dir)
    store.ping()  # connected before the clock starts
    ready.put(name)
    go.wait()
    cpu = time.process_time()
    ids: list[str] = []
    while (claim := store.claim(name)) is not None:
        store.complete(claim, f"outputs/{claim.task.id}/bench.mp4")
        ids.append(claim.task.id)
    out.put((name, ids, time.time(), time.process_time() - cpu))
    store.close()


def _idle_worker(url: str | None, data_dir: str, poll_s: float, listen: bool, name: str,
                 ready: Any, stop_all: Any, out: Any) -> None:
    """One worker process that waits exactly as `Worker.run` does between tasks."""
    from stillmotion.jobs.wakeup import Wakeup

    store = _store(url, data_dir, poll_interval_s=poll_s, listen_notify=listen)
    stop = threading.Event()  # Wakeup's stop; set when the parent says so
    def relay() -> None:
        stop_all.wait()
        stop.set()

    threading.Thread(target=relay, daemon=True).start()
    wakeup = Wakeup(store.engine, stop, listen=store.settings.listen_notify)
    store.ping()
    wakeup.wait(0.001)  # connects and LISTENs (PostgreSQL with NOTIFY) before we start
    ready.put((name, wakeup.listening))
    picks: list[tuple[str, float]] = []
    while not stop.is_set():
        claim = store.claim(name)
        if claim is None:
            wakeup.wait(store.settings.poll_interval_s)
            continue
        picks.append((claim.task.id, time.time()))
        store.complete(claim, f"outputs/{claim.task.id}/bench.mp4")
    wakeup.close()
    out.put((name, picks))
    store.close()


# --- databases ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Backend:
    name: str  # "SQLite" or "PostgreSQL"

    @contextmanager
    def database(self, work: Path) -> Iterator[tuple[str | None, str]]:
        """(database_url, data_dir) of a fresh database, removed afterwards."""
        data_dir = Path(tempfile.mkdtemp(prefix="db-", dir=work))
        if self.name == "SQLite":
            yield None, str(data_dir)
            return
        from tests.conftest import postgres_database

        with postgres_database() as url:
            yield url, str(data_dir)


SQLITE, POSTGRES = Backend("SQLite"), Backend("PostgreSQL")


def prepared(url: str | None, data_dir: str) -> Any:
    store = _store(url, data_dir)
    store.prepare_schema()
    return store


def start(processes: list[Any], ready: Any) -> list[Any]:
    for process in processes:
        process.start()
    answers = []
    for _ in processes:
        answers.append(ready.get(timeout=120))
    return answers


def join(processes: list[Any]) -> None:
    for process in processes:
        process.join(timeout=60)
        if process.is_alive():
            process.kill()
            process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"{process.name} exited with {process.exitcode}")


# --- 1. claim throughput ----------------------------------------------------------------------

@dataclass
class Throughput:
    backend: str
    claimers: int
    tasks: int
    submit_s: float
    seconds: float
    exactly_once: bool
    client_cpu_s: float  # user+sys of the claimer processes (not the database server)

    @property
    def rate(self) -> float:
        return self.tasks / self.seconds


def claim_throughput(backend: Backend, work: Path, tasks: int, claimers: int) -> Throughput:
    from sqlalchemy import func, select

    from stillmotion.jobs.database import tasks as tasks_table
    from stillmotion.jobs.store import SUCCEED

    with backend.database(work) as (url, data_dir):
        store = prepared(url, data_dir)
        submitted = set()
        began = time.perf_counter()
        for _ in range(tasks):
            task_id = store.new_task_id()
            store.submit(task_id, _new_task(task_id))
            submitted.add(task_id)
        submit_s = time.perf_counter() - began
        ready, go, out = SPAWN.Queue(), SPAWN.Event(), SPAWN.Queue()
        processes = [SPAWN.Process(target=_claimer, name=f"claimer-{i}",
                                   args=(url, data_dir, f"claimer-{i}", ready, go, out))
                     for i in range(claimers)]
        start(processes, ready)
        time.sleep(0.2)
        released = time.time()
        go.set()
        results = [out.get(timeout=600) for _ in processes]
        join(processes)
        finished = max(result[2] for result in results)
        client_cpu_s = sum(result[3] for result in results)
        counts = Counter(task_id for _name, ids, _end, _cpu in results for task_id in ids)
        with store.engine.connect() as conn:
            done_once = conn.execute(select(func.count()).select_from(tasks_table).where(
                tasks_table.c.status == SUCCEED, tasks_table.c.attempts == 1)).scalar_one()
        store.close()
    exactly_once = (set(counts) == submitted and max(counts.values()) == 1
                    and done_once == tasks)
    share = ", ".join(str(len(ids)) for _name, ids, _end, _cpu in sorted(results))
    print(f"  {backend.name}, {claimers} claimer(s): {tasks} claims in "
          f"{finished - released:.2f} s = {tasks / (finished - released):.0f}/s "
          f"(per claimer {share}); each id claimed exactly once: "
          f"{'yes' if exactly_once else 'NO'} (submits took {submit_s:.2f} s; claimer CPU "
          f"{client_cpu_s / tasks * 1000:.2f} ms per claim)", flush=True)
    return Throughput(backend.name, claimers, tasks, submit_s, finished - released,
                      exactly_once, client_cpu_s)


# --- 2. pickup latency ------------------------------------------------------------------------

@dataclass(frozen=True)
class Waiting:
    label: str
    backend: Backend
    poll_s: float
    listen: bool


@dataclass
class Latency:
    label: str
    latencies_ms: list[float]
    row_ms: list[int]  # execute_ms - submit_ms of the rows (whole milliseconds)
    submit_ms: list[float]  # how long each submit call took
    listening: bool

    def pct(self, q: float) -> float:
        values = sorted(self.latencies_ms)
        return values[min(len(values) - 1, max(0, round(q / 100 * len(values)) - 1))]


def pickup_latency(config: Waiting, work: Path, gaps_s: list[float],
                   idle_workers: int) -> Latency:
    from sqlalchemy import select

    from stillmotion.jobs.database import tasks as tasks_table
    from stillmotion.jobs.store import QUEUED

    with config.backend.database(work) as (url, data_dir):
        store = prepared(url, data_dir)
        ready, stop_all, out = SPAWN.Queue(), SPAWN.Event(), SPAWN.Queue()
        processes = [SPAWN.Process(target=_idle_worker, name=f"worker-{i}",
                                   args=(url, data_dir, config.poll_s, config.listen,
                                         f"worker-{i}", ready, stop_all, out))
                     for i in range(idle_workers)]
        answers = start(processes, ready)
        listening = all(listens for _name, listens in answers)
        if listening != config.listen:
            raise RuntimeError(f"{config.label}: workers listening={listening}")
        time.sleep(0.5)  # every worker is idle now
        sent: dict[str, float] = {}
        submit_ms: list[float] = []
        for gap in gaps_s:
            time.sleep(gap)
            task_id = store.new_task_id()
            before = time.time()
            store.submit(task_id, _new_task(task_id))
            submit_ms.append((time.time() - before) * 1000)
            sent[task_id] = before
        deadline = time.monotonic() + 30
        pending = select(tasks_table.c.id).where(tasks_table.c.status.in_((QUEUED,)))
        while time.monotonic() < deadline:
            with store.engine.connect() as conn:
                if conn.execute(pending).first() is None:
                    break
            time.sleep(0.05)
        stop_all.set()
        picks = [pick for _ in processes for pick in out.get(timeout=60)[1]]
        join(processes)
        with store.engine.connect() as conn:
            rows = conn.execute(select(tasks_table.c.execute_ms - tasks_table.c.submit_ms)
                                ).scalars().all()
        store.close()
    claimed = Counter(task_id for task_id, _t in picks)
    if set(claimed) != set(sent) or max(claimed.values()) != 1:
        raise RuntimeError(f"{config.label}: {len(claimed)} of {len(sent)} tasks picked up, "
                           f"{sum(c > 1 for c in claimed.values())} twice")
    result = Latency(config.label, [(t - sent[task_id]) * 1000 for task_id, t in picks],
                     [int(r) for r in rows], submit_ms, listening)
    print(f"  {config.label}: p50 {result.pct(50):.1f} ms, p99 {result.pct(99):.1f} ms, "
          f"max {max(result.latencies_ms):.1f} ms; row execute-submit p50 "
          f"{statistics.median(result.row_ms):.0f} ms; submit call p50 "
          f"{statistics.median(submit_ms):.1f} ms", flush=True)
    return result


# --- the run ----------------------------------------------------------------------------------

def median(values: list[float]) -> float:
    return statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=2000, help="tasks per throughput run")
    parser.add_argument("--claimers", type=int, nargs="+", default=[1, 2, 4],
                        help="claimer processes per throughput run")
    parser.add_argument("--latency-tasks", type=int, default=200)
    parser.add_argument("--gap-ms", type=float, nargs=2, default=[20.0, 50.0],
                        metavar=("MIN", "MAX"), help="pause before each latency submit")
    parser.add_argument("--idle-workers", type=int, default=2)
    parser.add_argument("--sqlite-polls", type=float, nargs="+", default=[0.2, 0.05],
                        help="poll intervals for the SQLite latency runs")
    parser.add_argument("--pg-poll", type=float, default=0.2,
                        help="poll interval of the PostgreSQL latency runs")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; medians are shown")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)

    waits = [Waiting(f"SQLite, polling {p:g} s", SQLITE, p, False) for p in args.sqlite_polls]
    waits += [Waiting(f"PostgreSQL, polling {args.pg_poll:g} s (LISTEN_NOTIFY off)", POSTGRES,
                      args.pg_poll, False),
              Waiting(f"PostgreSQL, LISTEN/NOTIFY (+ polling {args.pg_poll:g} s)", POSTGRES,
                      args.pg_poll, True)]
    started, version, load_start = dt.datetime.now(dt.UTC), source_version(), \
        load_average()
    throughput: dict[tuple[str, int], list[Throughput]] = {}
    latency: dict[str, list[Latency]] = {}
    with tempfile.TemporaryDirectory(prefix="queue-bench-") as tmp:
        work = Path(tmp)
        snapshot_source(work)
        for round_ in range(args.repeats):
            print(f"round {round_ + 1}/{args.repeats}: claim throughput", flush=True)
            for backend in (SQLITE, POSTGRES):
                for k in args.claimers:
                    throughput.setdefault((backend.name, k), []).append(
                        claim_throughput(backend, work, args.tasks, k))
            print(f"round {round_ + 1}/{args.repeats}: pickup latency", flush=True)
            rng = random.Random(args.seed + round_)
            gaps = [rng.uniform(*args.gap_ms) / 1000 for _ in range(args.latency_tasks)]
            order = waits if round_ % 2 == 0 else waits[::-1]
            for config in order:
                latency.setdefault(config.label, []).append(
                    pickup_latency(config, work, gaps, args.idle_workers))
    body = report(args, throughput, latency, waits, started, version, load_start)
    print()
    print(body)
    if not args.no_write:
        write_section(SECTION, body)
        print("\nwrote bench/RESULTS.md")
    return 0 if all(t.exactly_once for runs in throughput.values() for t in runs) else 1


def report(args: argparse.Namespace, throughput: dict[tuple[str, int], list[Throughput]],
           latency: dict[str, list[Latency]], waits: list[Waiting], started: dt.datetime,
           version: str, load_start: str) -> str:
    lines = [
        "## Queue: claim throughput and pickup latency, SQLite vs PostgreSQL",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}; 1-minute load average {load_start} at the start, "
        f"{load_average()} at the end (above the core count: other work shared the "
        "cores, so claims/s is noisy; the claimer CPU column is steadier); PostgreSQL on "
        "the same machine (127.0.0.1)",
        f"- source: `{version}` (src/stillmotion copied at the start; every process ran it)",
        f"- command: `{command_line()}`",
        f"- {args.repeats} rounds, configurations interleaved; each cell is the median over "
        "rounds (the spread is the lowest and highest round)",
        "",
        f"### Claim throughput: {args.tasks} empty tasks, claimer processes loop claim + "
        "complete until the queue is empty",
        "",
        "| database | claimer processes | claims/s (median) | spread | each id exactly once "
        "| claimer CPU per claim ms | submit of the tasks, per task ms |",
        "|---|---:|---:|---|---|---:|---:|",
    ]
    rates: dict[tuple[str, int], float] = {}
    for (backend, k), runs in throughput.items():
        values = [t.rate for t in runs]
        rates[backend, k] = median(values)
        once = "yes, every round" if all(t.exactly_once for t in runs) else "**NO**"
        per_task = median([t.submit_s / t.tasks * 1000 for t in runs])
        cpu_ms = median([t.client_cpu_s / t.tasks * 1000 for t in runs])
        lines.append(f"| {backend} | {k} | {rates[backend, k]:.0f} | {min(values):.0f}-"
                     f"{max(values):.0f} | {once} | {cpu_ms:.2f} | {per_task:.2f} |")
    lines += [
        "",
        f"### Pickup latency: {args.idle_workers} idle worker processes, {args.latency_tasks} "
        f"tasks submitted one at a time {args.gap_ms[0]:g}-{args.gap_ms[1]:g} ms apart",
        "",
        "| waiting | p50 ms | p99 ms | max ms | spread of p50 | row execute - submit p50 ms "
        "| submit call p50 ms |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    p50: dict[str, float] = {}
    for config in waits:
        rounds = latency[config.label]
        p50s = [r.pct(50) for r in rounds]
        p50[config.label] = median(p50s)
        lines.append(
            f"| {config.label} | {p50[config.label]:.1f} | "
            f"{median([r.pct(99) for r in rounds]):.1f} | "
            f"{median([max(r.latencies_ms) for r in rounds]):.1f} | "
            f"{min(p50s):.1f}-{max(p50s):.1f} | "
            f"{median([statistics.median(r.row_ms) for r in rounds]):.0f} | "
            f"{median([statistics.median(r.submit_ms) for r in rounds]):.1f} |")
    notify, pg_poll = waits[-1].label, waits[-2].label
    lines += ["", "Ratios (medians):", ""]
    for config in waits[:-1]:
        lines.append(f"- pickup p50, PostgreSQL LISTEN/NOTIFY / {config.label}: "
                     f"**{p50[notify] / p50[config.label]:.3f}** "
                     f"({p50[notify]:.1f} / {p50[config.label]:.1f} ms)")
    for k in args.claimers:
        if ("SQLite", k) in rates and ("PostgreSQL", k) in rates:
            lines.append(f"- claims/s with {k} claimer(s), PostgreSQL / SQLite: "
                         f"**{rates['PostgreSQL', k] / rates['SQLite', k]:.2f}**")
    for backend in ("SQLite", "PostgreSQL"):
        ks = [k for k in args.claimers if (backend, k) in rates]
        if len(ks) > 1:
            lines.append(f"- {backend} claims/s, {ks[-1]} claimers / {ks[0]}: "
                         f"{rates[backend, ks[-1]] / rates[backend, ks[0]]:.2f}")
    lines += [
        "",
        "Latency is the worker's wall clock when its `claim` returned minus the producer's "
        "just before it called `submit`, so it includes the submit (last column) and "
        "the claim. The row column is `execute_ms - submit_ms` as the store recorded it "
        "(whole milliseconds, both taken inside the store). Claim throughput counts from "
        "the moment all claimers are released together (connected, waiting on an event) to "
        "the last one finding the queue empty; each claim is a claim and a complete, two "
        "transactions; its CPU column is the claimer processes' own user+sys time "
        "(SQLAlchemy and the driver), not the database server's. "
        f"`{pg_poll}` is `STILLMOTION_LISTEN_NOTIFY=false`: the workers poll; the submits "
        "still send NOTIFY.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
