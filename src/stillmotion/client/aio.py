"""`AsyncClient`: the same calls as `Client`, for asyncio programs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from stillmotion.client import core
from stillmotion.client.errors import ApiError, TransportError, WaitTimeout
from stillmotion.client.images import ImageInput
from stillmotion.client.models import TaskPage, TaskResult

# A plain function or a coroutine function; a coroutine it returns is awaited.
AsyncProgressCallback = Callable[[TaskResult], Awaitable[None] | None]
RetryCallback = Callable[[ApiError, float], None]


class AsyncClient:
    """The asyncio twin of `stillmotion.client.Client`: same arguments, same errors."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 timeout: float = 30.0, max_retries: int = 3, max_retry_wait: float = 60.0,
                 on_retry: RetryCallback | None = None) -> None:
        self.config = core.Config.resolve(base_url, api_key, timeout, max_retries,
                                          max_retry_wait)
        self.on_retry = on_retry
        self._http = httpx.AsyncClient(base_url=self.config.base_url, timeout=timeout)

    @property
    def base_url(self) -> str:
        return self.config.base_url

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def _send(self, method: str, url: str, *, retry: bool, api: bool = True,
                    stream: bool = False, headers: dict[str, str] | None = None,
                    **options: Any) -> httpx.Response:
        all_headers = {**(self.config.headers() if api else {}), **(headers or {})}
        attempt = 0
        while True:
            request = self._http.build_request(method, url, headers=all_headers, **options)
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                raise TransportError(f"{method} {request.url}: {type(exc).__name__}: "
                                     f"{exc or 'no answer'}", exc) from exc
            if response.is_success:
                return response
            if stream:
                await response.aread()
                await response.aclose()
            delay = core.retry_delay(response, attempt, self.config) if retry else None
            if delay is None:
                raise core.error_for(response)
            if self.on_retry is not None:
                self.on_retry(core.error_for(response), delay)
            await asyncio.sleep(delay)
            attempt += 1

    async def submit(self, image: ImageInput, *, prompt: str | None = None,
                     duration: int | None = None, resolution: str | None = None,
                     movement_amplitude: str | None = None, seed: int | None = None,
                     bgm: bool | None = None, webhook_url: str | None = None,
                     idempotency_key: str | None = None) -> str:
        """See `Client.submit`."""
        body, headers = core.submit_request(
            image, prompt=prompt, duration=duration, resolution=resolution,
            movement_amplitude=movement_amplitude, seed=seed, bgm=bgm,
            webhook_url=webhook_url, idempotency_key=idempotency_key)
        response = await self._send("POST", core.SUBMIT_PATH, retry=True, json=body,
                                    headers=headers)
        return core.task_id_of(response)

    async def result(self, task_id: str) -> TaskResult:
        response = await self._send("GET", core.RESULT_PATH, retry=True,
                                    params={"task_id": task_id})
        return TaskResult.model_validate(core.json_of(response))

    async def wait(self, task_id: str, *, timeout: float | None = 600.0,
                   poll_interval: float = 1.0,
                   on_progress: AsyncProgressCallback | None = None) -> TaskResult:
        """See `Client.wait`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        seen: tuple[Any, ...] | None = None
        while True:
            result = await self.result(task_id)
            state = (result.status, result.progress, result.eta, result.stage)
            if on_progress is not None and state != seen:
                outcome = on_progress(result)
                if outcome is not None:
                    await outcome
            seen = state
            if result.done:
                return result
            pause = poll_interval
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WaitTimeout(task_id, float(timeout or 0), result)
                pause = min(pause, left)
            await asyncio.sleep(pause)

    async def download(self, task: str | TaskResult, path: str | Path) -> Path:
        """See `Client.download`. The file is written in the event loop's thread, chunk by
        chunk as the network delivers them."""
        result = task if isinstance(task, TaskResult) else await self.result(task)
        target = Path(path)
        scratch = target.with_name(f".{target.name}.part")
        for fresh in (False, True):
            url = core.video_url_of(result)
            try:
                response = await self._send("GET", url, retry=True, api=False, stream=True)
            except ApiError as exc:
                if exc.code == 403 and not fresh:
                    result = await self.result(result.task_id)
                    continue
                raise
            try:
                with scratch.open("wb") as sink:
                    async for chunk in response.aiter_bytes():
                        sink.write(chunk)
            except httpx.TransportError as exc:
                scratch.unlink(missing_ok=True)
                raise TransportError(f"download of {result.task_id} broke off: {exc}",
                                     exc) from exc
            finally:
                await response.aclose()
            scratch.replace(target)
            break
        return target

    async def cancel(self, task_id: str) -> TaskResult:
        """See `Client.cancel`."""
        response = await self._send("POST", core.CANCEL_PATH, retry=True,
                                    json={"task_id": task_id})
        return TaskResult.model_validate(core.json_of(response))

    async def events(self, task_id: str) -> AsyncIterator[TaskResult]:
        """See `Client.events`."""
        timeout = httpx.Timeout(self.config.timeout, read=max(self.config.timeout, 60.0))
        response = await self._send("GET", core.EVENTS_PATH, retry=True, stream=True,
                                    params={"task_id": task_id}, timeout=timeout,
                                    headers={"Accept": "text/event-stream"})
        parser = core.SseParser()
        try:
            async for line in response.aiter_lines():
                for data in parser.feed((line,)):
                    yield core.event_result(data)
            for data in parser.flush():
                yield core.event_result(data)
        except httpx.TransportError as exc:
            raise TransportError(f"the event stream of {task_id} broke off: {exc}",
                                 exc) from exc
        finally:
            await response.aclose()

    async def iter_tasks(self, status: str | None = None, page_size: int | None = None
                         ) -> AsyncIterator[TaskResult]:
        """See `Client.iter_tasks`."""
        cursor: str | None = None
        while True:
            page = await self.list(status=status, limit=page_size, cursor=cursor)
            for task in page.tasks:
                yield task
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    async def list(self, status: str | None = None, limit: int | None = None,
                   cursor: str | None = None) -> TaskPage:
        """See `Client.list`."""
        response = await self._send("GET", core.LIST_PATH, retry=True,
                                    params=core.list_params(status, limit, cursor))
        return TaskPage.model_validate(core.json_of(response))
