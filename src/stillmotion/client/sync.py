"""`Client`: the blocking client, on httpx."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from stillmotion.client import core
from stillmotion.client.errors import ApiError, TransportError, WaitTimeout
from stillmotion.client.images import ImageInput
from stillmotion.client.models import TaskPage, TaskResult

ProgressCallback = Callable[[TaskResult], None]
RetryCallback = Callable[[ApiError, float], None]


class Client:
    """The Vidu 2.0 img2video and Task Result APIs, ours or the hosted service's.

    `base_url` defaults to $STILLMOTION_BASE_URL or http://127.0.0.1:8000, `api_key` to
    $STILLMOTION_API_KEY. 429 and 503 answers are retried after their Retry-After, at most
    `max_retries` times and only when that wait is at most `max_retry_wait` seconds; submit
    is retried safely because every submit carries an Idempotency-Key.
    `on_retry(error, delay)` is told about each retry before its wait.
    """

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 timeout: float = 30.0, max_retries: int = 3, max_retry_wait: float = 60.0,
                 on_retry: RetryCallback | None = None) -> None:
        self.config = core.Config.resolve(base_url, api_key, timeout, max_retries,
                                          max_retry_wait)
        self.on_retry = on_retry
        self._http = httpx.Client(base_url=self.config.base_url, timeout=timeout)

    @property
    def base_url(self) -> str:
        return self.config.base_url

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- transport ------------------------------------------------------------------------

    def _send(self, method: str, url: str, *, retry: bool, api: bool = True,
              stream: bool = False, headers: dict[str, str] | None = None,
              **options: Any) -> httpx.Response:
        """One call, retried on 429/503 when `retry`; an error answer raises ApiError."""
        all_headers = {**(self.config.headers() if api else {}), **(headers or {})}
        attempt = 0
        while True:
            request = self._http.build_request(method, url, headers=all_headers, **options)
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                raise TransportError(f"{method} {request.url}: {type(exc).__name__}: "
                                     f"{exc or 'no answer'}", exc) from exc
            if response.is_success:
                return response
            if stream:
                response.read()
                response.close()
            delay = core.retry_delay(response, attempt, self.config) if retry else None
            if delay is None:
                raise core.error_for(response)
            if self.on_retry is not None:
                self.on_retry(core.error_for(response), delay)
            time.sleep(delay)
            attempt += 1

    # --- the hosted API -------------------------------------------------------------------

    def submit(self, image: ImageInput, *, prompt: str | None = None,
               duration: int | None = None, resolution: str | None = None,
               movement_amplitude: str | None = None, seed: int | None = None,
               bgm: bool | None = None, webhook_url: str | None = None,
               idempotency_key: str | None = None) -> str:
        """Submit an img2video task; returns its task_id. `image` is a path, bytes, a data
        URI or an http(s) URL. Fields left as None take the server's defaults."""
        body, headers = core.submit_request(
            image, prompt=prompt, duration=duration, resolution=resolution,
            movement_amplitude=movement_amplitude, seed=seed, bgm=bgm,
            webhook_url=webhook_url, idempotency_key=idempotency_key)
        response = self._send("POST", core.SUBMIT_PATH, retry=True, json=body,
                              headers=headers)
        return core.task_id_of(response)

    def result(self, task_id: str) -> TaskResult:
        """The task-result body now."""
        response = self._send("GET", core.RESULT_PATH, retry=True,
                              params={"task_id": task_id})
        return TaskResult.model_validate(core.json_of(response))

    def wait(self, task_id: str, *, timeout: float | None = 600.0, poll_interval: float = 1.0,
             on_progress: ProgressCallback | None = None) -> TaskResult:
        """Poll until SUCCEED or FAILED and return that result (a FAILED task is returned,
        not raised: its `reason` says why). `on_progress` gets every result that differs
        from the last in status, progress, ETA or stage. WaitTimeout after `timeout` s."""
        deadline = None if timeout is None else time.monotonic() + timeout
        seen: tuple[Any, ...] | None = None
        while True:
            result = self.result(task_id)
            state = (result.status, result.progress, result.eta, result.stage)
            if on_progress is not None and state != seen:
                on_progress(result)
            seen = state
            if result.done:
                return result
            pause = poll_interval
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WaitTimeout(task_id, float(timeout or 0), result)
                pause = min(pause, left)
            time.sleep(pause)

    def download(self, task: str | TaskResult, path: str | Path) -> Path:
        """Stream the task's MP4 to `path` (through a `.part` file, so `path` only ever
        holds a whole video). An expired URL is replaced by a fresh poll once."""
        result = task if isinstance(task, TaskResult) else self.result(task)
        target = Path(path)
        scratch = target.with_name(f".{target.name}.part")
        for fresh in (False, True):
            url = core.video_url_of(result)
            try:
                response = self._send("GET", url, retry=True, api=False, stream=True)
            except ApiError as exc:
                if exc.code == 403 and not fresh:
                    result = self.result(result.task_id)
                    continue
                raise
            try:
                with scratch.open("wb") as sink:
                    for chunk in response.iter_bytes():
                        sink.write(chunk)
            except httpx.TransportError as exc:
                scratch.unlink(missing_ok=True)
                raise TransportError(f"download of {result.task_id} broke off: {exc}",
                                     exc) from exc
            finally:
                response.close()
            scratch.replace(target)
            break
        return target

    # --- our extensions -------------------------------------------------------------------

    def cancel(self, task_id: str) -> TaskResult:
        """Cancel a queued or running task (extension); returns its result, FAILED with
        reason "cancelled by the user". A finished task is BadRequest 409."""
        response = self._send("POST", core.CANCEL_PATH, retry=True,
                              json={"task_id": task_id})
        return TaskResult.model_validate(core.json_of(response))

    def events(self, task_id: str) -> Iterator[TaskResult]:
        """Follow the task's Server-Sent Events (extension): a result on every change,
        ending after SUCCEED or FAILED."""
        timeout = httpx.Timeout(self.config.timeout, read=max(self.config.timeout, 60.0))
        response = self._send("GET", core.EVENTS_PATH, retry=True, stream=True,
                              params={"task_id": task_id}, timeout=timeout,
                              headers={"Accept": "text/event-stream"})
        parser = core.SseParser()
        try:
            yield from map(core.event_result, parser.feed(response.iter_lines()))
            yield from map(core.event_result, parser.flush())
        except httpx.TransportError as exc:
            raise TransportError(f"the event stream of {task_id} broke off: {exc}",
                                 exc) from exc
        finally:
            response.close()

    def iter_tasks(self, status: str | None = None, page_size: int | None = None
                   ) -> Iterator[TaskResult]:
        """Every task of the key, newest first, page after page (extension)."""
        cursor: str | None = None
        while True:
            page = self.list(status=status, limit=page_size, cursor=cursor)
            yield from page.tasks
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def list(self, status: str | None = None, limit: int | None = None,
             cursor: str | None = None) -> TaskPage:
        """One page of the key's tasks, newest first (extension)."""
        response = self._send("GET", core.LIST_PATH, retry=True,
                              params=core.list_params(status, limit, cursor))
        return TaskPage.model_validate(core.json_of(response))
