"""Load benchmark: a real `stillmotion serve` on loopback, submit throughput and poll latency.

1. submit: `--clients` concurrent keep-alive connections send `--requests` submits of a
   small PNG data URI (a 64x64 photo), closed loop: req/s and latency p50/p99 (target
   >= 1000 req/s);
2. task-result: open loop at a fixed offered rate (`--rate`, 500 req/s) for `--seconds`
   (10 s) against the tasks made in step 1; latency is measured from each request's
   *scheduled* send time, so a stalled server cannot hide its queue (no coordinated
   omission): p50/p99/max (target p99 < 10 ms).

The Python load generator is asyncio (uvloop when installed) over raw HTTP/1.1 keep-alive
sockets, far cheaper per request than an HTTP client library; it still shares the machine's
cores with the server, so the CPU both used is printed. When `wrk` is on PATH the same two
loads are run with it as well (submit closed loop; task-result paced per connection with
wrk's `delay()`, which approximates the rate but is closed loop per connection).

    .venv/bin/python -m bench.load_bench [--requests 3000] [--clients 32] [--rate 500]

Run from the repository root. Loopback only; every loop is bounded. `--no-write` skips
updating bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import io
import json
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tests.conftest import Server as TestServer

from bench.render_bench import (
    REPO,
    RESULTS,
    command_line,
    load_average,
    machine,
    snapshot_source,
    source_version,
    write_section,
)

HOST = "127.0.0.1"
SUBMIT_PATH = "/v3/async/vidu-2.0-img2video"
RESULT_PATH = "/v3/async/task-result"
WARMUP_REQUESTS = 200


# --- the server ------------------------------------------------------------------------------

class Server(TestServer):
    """The test suite's real `stillmotion serve` child process, plus CPU accounting."""

    def __init__(self, data_dir: Path, workers: int, api_processes: int = 1) -> None:
        super().__init__(data_dir, workers=workers,
                         env={"STILLMOTION_API_PROCESSES": str(api_processes)})

    def cpu_s(self) -> float:
        """User + system CPU of the server and its children (API processes, workers)."""
        import psutil

        assert self.process is not None
        root = psutil.Process(self.process.pid)
        total = 0.0
        for proc in [root, *root.children(recursive=True)]:
            try:
                t = proc.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total


# --- requests --------------------------------------------------------------------------------

def submit_body() -> bytes:
    """A 64x64 PNG of a real photo (scikit-image's astronaut) as a data URI."""
    from PIL import Image
    from skimage import data as skdata

    buffer = io.BytesIO()
    Image.fromarray(skdata.astronaut()).resize((64, 64), Image.Resampling.LANCZOS).save(
        buffer, format="PNG")
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return json.dumps({"images": [uri], "prompt": "slow push in", "duration": 4,
                       "seed": 1}).encode()


def post_bytes(port: int, key: str, path: str, body: bytes) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


def get_bytes(port: int, key: str, path: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
            f"Authorization: Bearer {key}\r\n\r\n").encode()


_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.I)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:\s*chunked", re.I)


class Conn:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Conn:
        reader, writer = await asyncio.open_connection(HOST, port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        m = _LENGTH.search(head)
        if m:
            return status, await self.reader.readexactly(int(m.group(1)))
        if _CHUNKED.search(head):
            body = bytearray()
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    return status, bytes(body)
                body += chunk[:-2]
        return status, b""

    def close(self) -> None:
        self.writer.close()


@dataclass
class Phase:
    """What one load phase saw."""

    name: str
    tool: str
    requests: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    server_cpu_s: float = 0.0
    generator_cpu_s: float = 0.0
    note: str = ""
    offered: float = 0.0  # req/s, open-loop phases only
    p50: float = float("nan")
    p99: float = float("nan")
    pmax: float = float("nan")

    def finish(self) -> Phase:
        if self.latencies_ms:
            arr = np.asarray(self.latencies_ms)
            self.p50, self.p99 = (float(x) for x in np.percentile(arr, [50, 99]))
            self.pmax = float(arr.max())
        return self

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 200)


async def submit_load(port: int, raw: bytes, clients: int, total: int,
                      phase: Phase | None) -> list[str]:
    """`clients` connections share `total` submits (closed loop); returns the task ids."""
    conns = [await Conn.open(port) for _ in range(clients)]
    remaining = total
    ids: list[str] = []

    async def client(conn: Conn) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            start = time.perf_counter()
            status, body = await conn.request(raw)
            elapsed = time.perf_counter() - start
            if phase is not None:
                phase.latencies_ms.append(elapsed * 1000)
                phase.statuses[status] = phase.statuses.get(status, 0) + 1
            if status == 200:
                ids.append(json.loads(body)["task_id"])

    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in conns))
    if phase is not None:
        phase.seconds = time.perf_counter() - start
        phase.requests = total
    for c in conns:
        c.close()
    return ids


async def paced_results(port: int, key: str, ids: list[str], rate: float, seconds: float,
                        phase: Phase, max_conns: int = 256) -> None:
    """Open loop: request i is due at start + i / rate, whatever happened to the others."""
    clock = time.perf_counter  # uvloop's loop.time() only has millisecond resolution
    idle: list[Conn] = [await Conn.open(port) for _ in range(16)]
    opened = len(idle)
    freed = asyncio.Condition()
    rng = random.Random(1)
    late: list[float] = []

    async def take() -> Conn:
        nonlocal opened
        if idle:
            return idle.pop()
        if opened < max_conns:
            opened += 1
            return await Conn.open(port)
        async with freed:
            await freed.wait_for(lambda: bool(idle))
        return idle.pop()

    async def one(due: float, raw: bytes) -> None:
        conn = await take()
        late.append(clock() - due)
        try:
            status, _ = await conn.request(raw)
        except (asyncio.IncompleteReadError, ConnectionError):
            # The server closed a connection that sat idle past its keep-alive timeout
            # (uvicorn: 5 s), as any HTTP client must expect: reconnect and resend.
            conn.close()
            conn = await Conn.open(port)
            status, _ = await conn.request(raw)
        phase.latencies_ms.append((clock() - due) * 1000)
        phase.statuses[status] = phase.statuses.get(status, 0) + 1
        idle.append(conn)
        async with freed:
            freed.notify()

    count = int(rate * seconds)
    requests = [get_bytes(port, key, f"{RESULT_PATH}?task_id={rng.choice(ids)}")
                for _ in range(count)]
    start = clock() + 0.05
    pending = []
    for i, raw in enumerate(requests):
        due = start + i / rate
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.create_task(one(due, raw)))
    await asyncio.gather(*pending)
    phase.seconds = clock() - start
    phase.requests = count
    phase.offered = rate
    lag = np.asarray(late) * 1000
    phase.note = (f"offered {rate:.0f} req/s for {seconds:.0f} s; generator send lag p50 "
                  f"{np.percentile(lag, 50):.2f} ms, p99 {np.percentile(lag, 99):.2f} ms; "
                  f"{opened} connections used")
    for conn in idle:
        conn.close()


# --- wrk -------------------------------------------------------------------------------------

def lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def wrk_submit_script(key: str, body: bytes) -> str:
    return "\n".join([
        'wrk.method = "POST"',
        f"wrk.body = {lua_string(body.decode())}",
        'wrk.headers["Content-Type"] = "application/json"',
        f'wrk.headers["Authorization"] = "Bearer {key}"',
    ]) + "\n"


def wrk_result_script(key: str, ids: list[str], delay_ms: float) -> str:
    listed = ",\n".join(f'"{i}"' for i in ids)
    return f"""wrk.headers["Authorization"] = "Bearer {key}"
local ids = {{
{listed}
}}
local n = 0
function setup(thread) thread:set("seed", math.random(1, 1000000)) end
function init(args) n = seed end
function request()
  n = n + 1
  return wrk.format("GET", "{RESULT_PATH}?task_id=" .. ids[(n % #ids) + 1])
end
function delay() return {delay_ms:.3f} end
"""


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def run_wrk(server: Server, name: str, script: str, path: str, connections: int,
            seconds: int, work: Path) -> Phase:
    lua = work / f"{name}.lua"
    lua.write_text(script)
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(lua),
           f"http://{HOST}:{server.port}{path}"]
    server_cpu = server.cpu_s()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    phase = Phase(name, f"wrk -t1 -c{connections} -d{seconds}s")
    phase.server_cpu_s = server.cpu_s() - server_cpu
    phase.generator_cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime
                                                                 + before.ru_stime)
    m = re.search(r"(\d+) requests in ([\d.]+)(s|m)", out)
    if m:
        phase.requests = int(m.group(1))
        phase.seconds = float(m.group(2)) * (60 if m.group(3) == "m" else 1)
    for pct, attr in (("50", "p50"), ("99", "p99")):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        if m:
            setattr(phase, attr, _ms(m.group(1)))
    m = re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", out, re.M)
    if m:
        phase.pmax = _ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    bad = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    phase.statuses = {200: phase.requests - bad}
    if bad:
        phase.statuses[0] = bad
    if m:
        phase.note = "socket errors: " + m.group(1).strip()
    return phase


# --- the run ---------------------------------------------------------------------------------

def measured(server: Server, phase: Phase, coroutine: Any) -> Any:
    server_cpu, own_cpu = server.cpu_s(), time.process_time()
    result = asyncio.run(coroutine)
    phase.server_cpu_s = server.cpu_s() - server_cpu
    phase.generator_cpu_s = time.process_time() - own_cpu
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="submits in step 1")
    parser.add_argument("--clients", type=int, default=32, help="concurrent submit clients")
    parser.add_argument("--rate", type=float, default=500.0, help="task-result req/s, step 2")
    parser.add_argument("--also-rate", type=float, action="append", default=[],
                        metavar="RATE", help="repeat step 2 at this offered rate too "
                        "(e.g. one the server can sustain, to see the unqueued latency)")
    parser.add_argument("--seconds", type=float, default=10.0, help="task-result duration")
    parser.add_argument("--workers", type=int, default=0, help="server render workers")
    parser.add_argument("--api-processes", type=int, default=1,
                        help="server API processes sharing the port")
    parser.add_argument("--wrk", choices=["auto", "yes", "no"], default="auto",
                        help="also measure with wrk (auto: when it is on PATH)")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)
    use_wrk = args.wrk == "yes" or (args.wrk == "auto" and shutil.which("wrk") is not None)
    if args.wrk == "yes" and shutil.which("wrk") is None:
        parser.error("wrk is not on PATH (apt-get install wrk)")
    try:
        import uvloop

        uvloop.install()
        loop_name = "uvloop"
    except ImportError:
        loop_name = "asyncio"

    with tempfile.TemporaryDirectory(prefix="load-bench-") as tmp:
        work = Path(tmp)
        args.version, args.load_start = source_version(), load_average()
        snapshot_source(work)
        server = Server(work / "data", args.workers, args.api_processes)
        server.data_dir.mkdir()
        server.start()
        try:
            return run(args, server, work, use_wrk, loop_name)
        finally:
            server.stop()


def run(args: argparse.Namespace, server: Server, work: Path, use_wrk: bool,
        loop_name: str) -> int:
    body = submit_body()
    raw_submit = post_bytes(server.port, server.key, SUBMIT_PATH, body)
    print(f"server on {HOST}:{server.port}, {args.workers} worker(s); submit body "
          f"{len(body)} bytes; generator: {loop_name}", flush=True)

    asyncio.run(submit_load(server.port, raw_submit, min(args.clients, 8), WARMUP_REQUESTS,
                            None))
    submit = Phase("submit", f"python ({loop_name}), {args.clients} connections")
    ids = measured(server, submit, submit_load(server.port, raw_submit, args.clients,
                                               args.requests, submit))
    submit.finish()
    print_phase(submit)
    if not ids:
        print(f"no submit succeeded; server log:\n{server.log()[-3000:]}")
        return 1

    poll = Phase("task-result", f"python ({loop_name}), open loop")
    measured(server, poll, paced_results(server.port, server.key, ids, args.rate,
                                         args.seconds, poll))
    poll.finish()
    print_phase(poll)
    phases = [submit, poll]
    for rate in args.also_rate:
        extra = Phase("task-result", f"python ({loop_name}), open loop")
        measured(server, extra, paced_results(server.port, server.key, ids, rate,
                                              args.seconds, extra))
        extra.finish()
        print_phase(extra)
        phases.append(extra)

    if use_wrk:
        wrk_submit = run_wrk(server, "submit", wrk_submit_script(server.key, body),
                             SUBMIT_PATH, args.clients, args.wrk_seconds, work)
        print_phase(wrk_submit)
        connections = 20
        delay_ms = 1000.0 * connections / args.rate
        wrk_poll = run_wrk(server, "task-result", wrk_result_script(server.key, ids[:2000],
                                                                    delay_ms),
                           RESULT_PATH, connections, args.wrk_seconds, work)
        wrk_poll.tool += f", delay() {delay_ms:.0f} ms per connection"
        wrk_poll.note = (f"paced per connection (~{args.rate:.0f} req/s offered less the "
                         "latency); latency from send, not from schedule. " + wrk_poll.note)
        print_phase(wrk_poll)
        phases += [wrk_submit, wrk_poll]

    errors = [line for line in server.log().splitlines() if "Traceback" in line
              or " 500 " in line]
    table = phases_table(phases)
    verdicts = [
        f"- submit: **{submit.rate:.0f} req/s** with the Python generator"
        + "".join(f", **{p.rate:.0f} req/s** with wrk" for p in phases
                  if p.name == "submit" and p.tool.startswith("wrk"))
        + f" (target >= 1000 -> "
        f"{'met' if max(p.rate for p in phases if p.name == 'submit') >= 1000 else 'MISSED'})",
        *(f"- task-result at {p.offered:.0f} req/s offered: p99 **{p.p99:.2f} ms** from the "
          f"scheduled send (target < 10 ms at {args.rate:.0f} req/s"
          + (f" -> {'met' if p.p99 < 10 else 'MISSED'})" if p is poll else ")")
          + f", p50 {p.p50:.2f} ms, max {p.pmax:.2f} ms; {p.rate:.0f} req/s served"
          for p in phases if p.offered),
        f"- server CPU per submit: {1000 * submit.server_cpu_s / submit.requests:.2f} ms; per "
        f"task-result: {1000 * poll.server_cpu_s / poll.requests:.2f} ms",
    ]
    if errors:
        verdicts.append(f"- the server log holds {len(errors)} error lines")
    print()
    print(table)
    print()
    print("\n".join(verdicts))

    if not args.no_write:
        write_section("load_bench", "\n".join([
            "## Load: submit throughput and task-result latency (real server, loopback)",
            "",
            f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
            f"- machine: {machine()}; 1-minute load average {args.load_start} at the start, "
            f"{load_average()} at the end",
            f"- source: `{args.version}` (`-dirty`: with uncommitted changes; src/stillmotion "
            "was copied at the start and the server ran that copy)",
            f"- command: `{command_line()}`",
            f"- server: `stillmotion serve --workers {args.workers}`, SQLite + local files, "
            "one uvicorn process, access log off; the load generator and wrk share the same "
            "cores",
            f"- submit body: a 64x64 PNG data URI ({len(body)} bytes of JSON); "
            f"{WARMUP_REQUESTS} warm-up submits not counted",
            "- CPU columns: user+system seconds spent during the phase by the server and by "
            "the load generator (this Python process, or the wrk child)",
            "",
            table,
            "",
            *verdicts,
            "",
            "Latency of the Python task-result phase counts from each request's scheduled "
            "send time (open loop). wrk has no fixed-rate mode (that is wrk2); its task-result "
            "run paces each connection with `delay()` instead, so its latencies count from "
            "the actual send.",
        ]))
        print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 0


def print_phase(p: Phase) -> None:
    print(f"{p.name:12s} [{p.tool}] {p.requests} req in {p.seconds:.2f} s = {p.rate:.0f} req/s; "
          f"p50 {p.p50:.2f} ms p99 {p.p99:.2f} ms max {p.pmax:.2f} ms; statuses {p.statuses}; "
          f"CPU server {p.server_cpu_s:.2f} s, generator {p.generator_cpu_s:.2f} s"
          + (f"; {p.note}" if p.note else ""), flush=True)


def phases_table(phases: list[Phase]) -> str:
    rows = ["| phase | load generator | requests | seconds | req/s | p50 ms | p99 ms | max ms | "
            "non-200 | server CPU s | generator CPU s |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for p in phases:
        rows.append(f"| {p.name} | {p.tool} | {p.requests} | {p.seconds:.2f} | {p.rate:.0f} | "
                    f"{p.p50:.2f} | {p.p99:.2f} | {p.pmax:.2f} | {p.errors} | "
                    f"{p.server_cpu_s:.2f} | {p.generator_cpu_s:.2f} |")
    notes = [f"- {p.name} ({p.tool}): {p.note}" for p in phases if p.note]
    return "\n".join(rows + ([""] + notes if notes else []))


if __name__ == "__main__":
    sys.exit(main())
