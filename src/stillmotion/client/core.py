"""What the sync and async clients share, free of I/O: configuration, request bodies,
turning answers into models or errors, the retry rule, and the Server-Sent Events parser."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from stillmotion.client.errors import (
    ApiError,
    AuthError,
    BadRequest,
    ClientError,
    NotFound,
    RateLimited,
    ServerError,
    ServiceUnavailable,
)
from stillmotion.client.images import ImageInput, image_field
from stillmotion.client.models import TaskResult

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
BASE_URL_ENV = "STILLMOTION_BASE_URL"
API_KEY_ENV = "STILLMOTION_API_KEY"

SUBMIT_PATH = "/v3/async/vidu-2.0-img2video"
RESULT_PATH = "/v3/async/task-result"
CANCEL_PATH = "/v3/async/task-cancel"
LIST_PATH = "/v3/async/tasks"
EVENTS_PATH = "/v3/async/task-events"

RETRY_STATUSES = (429, 503)


@dataclass(frozen=True)
class Config:
    base_url: str
    api_key: str
    timeout: float
    max_retries: int
    max_retry_wait: float

    @classmethod
    def resolve(cls, base_url: str | None, api_key: str | None, timeout: float,
                max_retries: int, max_retry_wait: float) -> Config:
        base = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV, "")
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        return cls(base.rstrip("/"), key, timeout, max_retries, max_retry_wait)

    def headers(self) -> dict[str, str]:
        """Sent to the API only: a video URL on another host never sees the key."""
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}


def submit_request(image: ImageInput, *, prompt: str | None, duration: int | None,
                   resolution: str | None, movement_amplitude: str | None, seed: int | None,
                   bgm: bool | None, webhook_url: str | None,
                   idempotency_key: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The submit body (only the fields given, so the server's defaults apply) and headers.

    An Idempotency-Key is made up when none is given, so a retried submit cannot create a
    second task (a server that does not know the header ignores it)."""
    body: dict[str, Any] = {"images": [image_field(image)]}
    fields = {"prompt": prompt, "duration": duration, "resolution": resolution,
              "movement_amplitude": movement_amplitude, "seed": seed, "bgm": bgm}
    body.update({name: value for name, value in fields.items() if value is not None})
    if webhook_url is not None:
        body["extra"] = {"webhook": {"url": webhook_url}}
    check_submit(body)
    return body, {"Idempotency-Key": idempotency_key or f"sm-client-{uuid.uuid4()}"}


def check_submit(body: dict[str, Any]) -> None:
    """Check a submit body by the contract's own model, the one the API validates with,
    so a wrong field fails here with the very 400 the server would answer (and costs no
    upload of the photo)."""
    from pydantic import ValidationError

    from stillmotion.api.schemas import Img2VideoRequest, describe_validation_error

    try:
        Img2VideoRequest.model_validate(body)
    except ValidationError as exc:
        raise BadRequest(400, "INVALID_REQUEST_BODY",
                         describe_validation_error(exc.errors())) from None


def list_params(status: str | None, limit: int | None, cursor: str | None) -> dict[str, str]:
    params = {"status": status, "limit": None if limit is None else str(limit),
              "cursor": cursor}
    return {name: value for name, value in params.items() if value}


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (the delta form; an HTTP date is not worth guessing at)."""
    value = response.headers.get("retry-after", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds)


def retry_delay(response: httpx.Response, attempt: int, config: Config) -> float | None:
    """Seconds to wait before trying `response`'s request again, or None not to retry:
    only 429 and 503, at most `max_retries` times, never longer than `max_retry_wait`."""
    if response.status_code not in RETRY_STATUSES or attempt >= config.max_retries:
        return None
    delay = retry_after(response)
    if delay is None:
        delay = min(0.5 * 2**attempt, 8.0)
    return delay if delay <= config.max_retry_wait else None


def error_for(response: httpx.Response) -> ApiError:
    """The contract's envelope as an exception; a body that is not one still says what came."""
    code = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        reason = str(body.get("reason") or response.reason_phrase or "ERROR")
        message = body["message"]
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    else:
        reason = (response.reason_phrase or "ERROR").upper().replace(" ", "_")
        message = (response.text or "").strip()[:300] or f"HTTP {code} with no body"
        metadata = {}
    if code == 429:
        return RateLimited(code, reason, message, metadata, retry_after(response))
    kind: type[ApiError]
    if code in (401, 403):
        kind = AuthError
    elif code == 404:
        kind = NotFound
    elif code == 503:
        kind = ServiceUnavailable
    elif code >= 500:
        kind = ServerError
    elif code >= 400:
        kind = BadRequest
    else:
        kind = ApiError
    return kind(code, reason, message, metadata)


def check(response: httpx.Response) -> httpx.Response:
    if not response.is_success:
        raise error_for(response)
    return response


def json_of(response: httpx.Response) -> Any:
    try:
        return check(response).json()
    except ValueError:
        raise ApiError(response.status_code, "BAD_RESPONSE",
                       f"the server's answer is not JSON: {response.text[:200]!r}") from None


def task_id_of(response: httpx.Response) -> str:
    body = json_of(response)
    if not isinstance(body, dict) or not isinstance(body.get("task_id"), str):
        raise ApiError(response.status_code, "BAD_RESPONSE",
                       f"the submit answer has no task_id: {str(body)[:200]}")
    return str(body["task_id"])


class SseParser:
    """Server-Sent Events, line by line: the data of each event, comments skipped."""

    def __init__(self) -> None:
        self._data: list[str] = []

    def feed(self, lines: Iterable[str]) -> Iterator[str]:
        for raw in lines:
            line = raw.rstrip("\r\n")
            if not line:
                if self._data:
                    yield "\n".join(self._data)
                    self._data = []
            elif line.startswith(":"):
                continue
            else:
                name, _, value = line.partition(":")
                if name == "data":
                    self._data.append(value[1:] if value.startswith(" ") else value)

    def flush(self) -> Iterator[str]:
        if self._data:
            yield "\n".join(self._data)
            self._data = []


def event_result(data: str) -> TaskResult:
    return TaskResult.model_validate(json.loads(data))


def video_url_of(result: TaskResult) -> str:
    """The video's URL; ClientError when the task has none (not SUCCEED, or purged)."""
    url = result.video_url
    if not result.succeeded or url is None:
        why = f": {result.reason}" if result.reason else ""
        raise ClientError(f"task {result.task_id} has no video to download "
                          f"({result.status}{why})")
    return url
