"""Prometheus metrics: `GET /metrics` on every API process.

Two sources, so that any API process answers for the whole deployment:

- The store is the truth about tasks, renders and webhooks, whichever process (API, worker
  on another machine, sender thread) changed them. `StoreCollector` reads them with a few
  aggregate queries at scrape time, cached for `CACHE_S` so a scrape storm costs one set
  of queries a process. These count the rows the store keeps: a row purge (retention)
  lowers them, which Prometheus reads as a counter reset.
- HTTP latency is measured where requests are handled, in each API process. With several
  API processes (`serve --api-processes M`), prometheus_client's multiprocess mode keeps
  each process's histogram in a memory-mapped file under `<data_dir>/prometheus` (set up
  and emptied by `serve` before the API processes start), and `/metrics` in any of them
  sums all the files. With one API process the histogram lives in memory.

Label values are bounded: routes by template (`/v3/async/task-result`, never a raw path),
failure reasons by category, webhook attempts by outcome.
"""

from __future__ import annotations

import hmac
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client import values as prometheus_values
from prometheus_client.core import (
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import SQLAlchemyError

from stillmotion import defaults
from stillmotion.api.errors import ApiError
from stillmotion.api.schemas import ErrorBody
from stillmotion.jobs.database import now_ms, tasks, webhook_attempts, webhooks
from stillmotion.jobs.store import CANCELLED_REASON, FAILED, QUEUED, SUCCEED, Store

CACHE_S = 1.5  # store metrics are read at most this often per process
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable
HTTP_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
RENDER_BUCKETS_S = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)
TASK_STATUSES = ("queued", "processing", "succeed", "failed")
FAILURE_REASONS = ("cancelled", "worker_lost", "input", "internal", "other")
WEBHOOK_STATES = ("pending", "delivered", "failed")
ATTEMPT_OUTCOMES = ("success", "http_error", "no_answer", "in_flight")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"  # 404s and the like: one label, whatever the path

# --- the process's HTTP histogram ----------------------------------------------------------

_http_latency: Histogram | None = None
_http_lock = threading.Lock()


def http_latency() -> Histogram:
    """This process's request-latency histogram (in multiprocess mode, its mmap file)."""
    global _http_latency
    with _http_lock:
        if _http_latency is None:
            _http_latency = Histogram(
                "stillmotion_http_request_duration_seconds",
                "Time from a request's arrival to the end of its response, by route template.",
                ["method", "route", "status"], buckets=HTTP_BUCKETS_S, registry=None)
        return _http_latency


def multiprocess_dir() -> str | None:
    """The directory of multiprocess mode when this process writes its metrics there.

    prometheus_client picks its value class when it is first imported, from
    PROMETHEUS_MULTIPROC_DIR; only that choice says whether this process's histogram
    lives in a file, so it decides (the variable alone could be set too late)."""
    if prometheus_values.ValueClass is prometheus_values.MutexValue:
        return None
    return os.environ.get(MULTIPROC_ENV)


def prepare_multiprocess_dir(data_dir: Path) -> Path:
    """Empty `<data_dir>/prometheus` and point API processes started after this at it.

    Called by `serve` before it starts several API processes: files of an earlier run
    would otherwise be summed into this run's counts."""
    path = data_dir / "prometheus"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(path.resolve())
    return path


class HttpMetricsMiddleware:
    """Observes every HTTP request's latency by method, route template and status."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.histogram = http_latency()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception escaping the app becomes the 500 envelope

        async def send_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED_ROUTE
            method = scope.get("method", "GET")
            self.histogram.labels(method if method in METHODS else "OTHER", template,
                                  str(status)).observe(time.perf_counter() - started)


# --- the store's metrics ------------------------------------------------------------------

def _short_side() -> Any:
    return case((tasks.c.out_width < tasks.c.out_height, tasks.c.out_width),
                else_=tasks.c.out_height)


def failure_category() -> Any:
    """A failed task's reason as one of FAILURE_REASONS (the reasons the store writes)."""
    reason = tasks.c.reason
    return case(
        (reason == CANCELLED_REASON, "cancelled"),
        (reason.like("%stopped responding%"), "worker_lost"),
        (reason.like("The stored input image%"), "input"),
        (reason.like("%internal rendering error%"), "internal"),
        else_="other")


def attempt_outcome() -> Any:
    code = webhook_attempts.c.status_code
    return case(
        (and_(code.is_(None), webhook_attempts.c.error == "sending"), "in_flight"),
        (code.is_(None), "no_answer"),
        (and_(code >= 200, code < 300), "success"),
        else_="http_error")


def resolution_label(short_side: int) -> str:
    nearest = min(defaults.SHORT_SIDE_BY_RESOLUTION.items(),
                  key=lambda item: abs(item[1] - short_side))
    return nearest[0]


def duration_label(frame_count: int) -> str:
    return str(round(frame_count / defaults.FPS))


_STATUS_COUNTS = select(tasks.c.status, func.count()).group_by(tasks.c.status)
_QUEUE = select(func.count(), func.min(tasks.c.submit_ms)).where(tasks.c.status == QUEUED)
_FAILURES = (select(failure_category().label("category"), func.count())
             .where(tasks.c.status == FAILED).group_by("category"))
_RENDERS = (
    select(_short_side().label("short_side"), tasks.c.frame_count, func.count(),
           func.coalesce(func.sum(tasks.c.render_ms), 0),
           *[func.sum(case((tasks.c.render_ms <= int(bound * 1000), 1), else_=0))
             for bound in RENDER_BUCKETS_S])
    .where(tasks.c.status == SUCCEED, tasks.c.render_ms.is_not(None))
    .group_by("short_side", tasks.c.frame_count))
_WEBHOOKS = select(webhooks.c.state, func.count()).group_by(webhooks.c.state)
_ATTEMPTS = (select(attempt_outcome().label("outcome"), func.count())
             .select_from(webhook_attempts).group_by("outcome"))


@dataclass
class Snapshot:
    up: bool = True
    statuses: dict[str, int] = field(default_factory=dict)
    queue_depth: int = 0
    oldest_queued_age_s: float = 0.0
    failures: dict[str, int] = field(default_factory=dict)
    # (resolution, duration) -> (count, sum in seconds, cumulative counts per bucket)
    renders: dict[tuple[str, str], tuple[int, float, list[int]]] = field(default_factory=dict)
    webhooks: dict[str, int] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)


def read_snapshot(store: Store) -> Snapshot:
    snap = Snapshot()
    with store.engine.connect() as conn:
        snap.statuses = {str(s): int(n) for s, n in conn.execute(_STATUS_COUNTS)}
        depth, oldest = conn.execute(_QUEUE).one()
        snap.queue_depth = int(depth)
        snap.oldest_queued_age_s = max(0.0, (now_ms() - oldest) / 1000) if oldest else 0.0
        snap.failures = {str(c): int(n) for c, n in conn.execute(_FAILURES)}
        for short_side, frame_count, count, total_ms, *buckets in conn.execute(_RENDERS):
            key = (resolution_label(int(short_side)), duration_label(int(frame_count)))
            old_count, old_sum, old_buckets = snap.renders.get(
                key, (0, 0.0, [0] * len(RENDER_BUCKETS_S)))
            snap.renders[key] = (old_count + int(count), old_sum + float(total_ms) / 1000,
                                 [a + int(b or 0) for a, b in zip(old_buckets, buckets,
                                                                  strict=True)])
        snap.webhooks = {str(s): int(n) for s, n in conn.execute(_WEBHOOKS)}
        snap.attempts = {str(o): int(n) for o, n in conn.execute(_ATTEMPTS)}
    return snap


class StoreCollector(Collector):
    """Task, queue, render, failure and webhook metrics, read from the store at scrape
    time (at most every CACHE_S: concurrent scrapes within it share one reading)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._read_at = 0.0

    def snapshot(self) -> Snapshot:
        with self._lock:
            if self._snapshot is None or time.monotonic() - self._read_at >= CACHE_S:
                try:
                    self._snapshot = read_snapshot(self.store)
                except SQLAlchemyError:
                    self._snapshot = Snapshot(up=False)
                self._read_at = time.monotonic()
            return self._snapshot

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot()
        yield GaugeMetricFamily("stillmotion_store_up",
                                "1 when the task store answered the last reading.",
                                value=1 if snap.up else 0)
        if not snap.up:
            return
        statuses = GaugeMetricFamily("stillmotion_tasks", "Tasks in the store by status.",
                                     labels=["status"])
        for status in TASK_STATUSES:
            statuses.add_metric([status], snap.statuses.get(status, 0))
        yield statuses
        yield GaugeMetricFamily("stillmotion_queue_depth", "Tasks waiting for a worker.",
                                value=snap.queue_depth)
        yield GaugeMetricFamily("stillmotion_queue_oldest_age_seconds",
                                "Age of the oldest queued task (0 when none is queued).",
                                value=snap.oldest_queued_age_s)
        failures = GaugeMetricFamily(
            "stillmotion_task_failures", "Failed tasks in the store by reason category "
            "(cancelled, worker_lost, input, internal, other).", labels=["reason"])
        for reason in FAILURE_REASONS:
            failures.add_metric([reason], snap.failures.get(reason, 0))
        yield failures
        renders = HistogramMetricFamily(
            "stillmotion_render_seconds", "Render time of succeeded tasks in the store "
            "(claim to completion), by resolution and duration.",
            labels=["resolution", "duration"])
        for (resolution, duration), (count, total_s, cumulative) in sorted(snap.renders.items()):
            buckets = [(f"{bound:g}", n) for bound, n in zip(RENDER_BUCKETS_S, cumulative,
                                                             strict=True)]
            buckets.append(("+Inf", count))
            renders.add_metric([resolution, duration], buckets, total_s)
        yield renders
        hooks = GaugeMetricFamily("stillmotion_webhooks", "Webhook deliveries by state.",
                                  labels=["state"])
        for state in WEBHOOK_STATES:
            hooks.add_metric([state], snap.webhooks.get(state, 0))
        yield hooks
        attempts = GaugeMetricFamily(
            "stillmotion_webhook_attempts", "Webhook delivery attempts by outcome "
            "(success: 2xx; http_error: another status; no_answer: timeout or network; "
            "in_flight: still sending or its sender died).", labels=["outcome"])
        for outcome in ATTEMPT_OUTCOMES:
            attempts.add_metric([outcome], snap.attempts.get(outcome, 0))
        yield attempts


# --- the route ----------------------------------------------------------------------------

def make_registry(store: Store) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store))
    directory = multiprocess_dir()
    if directory is not None:
        MultiProcessCollector(registry, path=directory)  # every API process's histogram
    else:
        registry.register(http_latency())
    return registry


router = APIRouter(tags=["operations"])


@router.get(
    "/metrics", summary="Prometheus metrics", response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                     "description": "The Prometheus text format (OpenMetrics when the "
                     "Accept header asks for it)."},
               401: {"model": ErrorBody,
                     "description": "STILLMOTION_METRICS_TOKEN is set and was not given."}})
def metrics(request: Request) -> Response:
    """Operational metrics in the Prometheus text format. Needs no API key unless
    `STILLMOTION_METRICS_TOKEN` is set (then `Authorization: Bearer <token>`); do not
    expose it publicly."""
    token = request.app.state.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise ApiError(401, "FAILED_TO_AUTH", "/metrics needs the metrics token")
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(request.app.state.metrics_registry), media_type=content_type)


def install_metrics(app: FastAPI, store: Store) -> None:
    """The /metrics route and the latency middleware, on one app."""
    app.state.metrics_registry = make_registry(store)
    app.include_router(router)
    app.add_middleware(HttpMetricsMiddleware)
