"""What can go wrong in a call, as exceptions that carry the contract's error envelope.

    ClientError
    ├── ApiError (an answer other than 2xx: code, reason, message, metadata)
    │   ├── BadRequest (400, 409, 413: the request itself is wrong)
    │   ├── AuthError (401, 403)
    │   ├── NotFound (404)
    │   ├── RateLimited (429, with retry_after in seconds)
    │   └── ServerError (5xx)
    │       └── ServiceUnavailable (503)
    ├── TransportError (no answer: connection refused, reset, timed out)
    └── WaitTimeout (the task did not finish in time; also a TimeoutError)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stillmotion.client.models import TaskResult


class ClientError(Exception):
    """Anything the client raises on purpose."""


class ApiError(ClientError):
    """The server answered with an error envelope (or with something that is not one)."""

    def __init__(self, code: int, reason: str, message: str,
                 metadata: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code = code
        self.reason = reason
        self.message = message
        self.metadata: dict[str, Any] = metadata or {}

    @property
    def status_code(self) -> int:
        return self.code


class BadRequest(ApiError):
    """400 INVALID_REQUEST_BODY, 409 (IDEMPOTENCY_KEY_REUSED, TASK_ALREADY_FINISHED...), 413."""


class AuthError(ApiError):
    """401 FAILED_TO_AUTH: no, unknown or revoked key (403: an expired download URL)."""


class NotFound(ApiError):
    """404 TASK_NOT_FOUND: no such task for this key."""


class RateLimited(ApiError):
    """429 RATE_LIMIT_EXCEEDED; `retry_after` is the seconds the server asked to wait."""

    def __init__(self, code: int, reason: str, message: str,
                 metadata: dict[str, Any] | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(code, reason, message, metadata)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the server failed; `metadata.request_id` (500) is in its log."""


class ServiceUnavailable(ServerError):
    """503 SERVICE_UNAVAILABLE: the store is down or the server is shutting down."""


class TransportError(ClientError):
    """No answer came: the server is unreachable, the connection broke or timed out."""

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause


class WaitTimeout(ClientError, TimeoutError):
    """`wait` gave up before the task reached SUCCEED or FAILED."""

    def __init__(self, task_id: str, timeout: float, last: TaskResult | None = None) -> None:
        state = f" (last seen {last.status}, {last.progress}%)" if last is not None else ""
        super().__init__(f"task {task_id} did not finish within {timeout:g} s{state}")
        self.task_id = task_id
        self.timeout = timeout
        self.last = last
