"""Logging shared by every process: one JSON object per line on stderr, secrets redacted.

Every line carries `ts`, `level`, `logger`, `message` and `pid`; a line logged while a
request is handled carries its `request_id`, a line logged about a task its `task_id`.
Both come from context variables that the HTTP middleware (`stillmotion.metrics`), the
worker (around each claim) and the webhook sender (around each delivery) set, read by a
filter on the one handler, so no call site has to pass them.

The formatter is a few lines on the standard library rather than python-json-logger: the
fields are fixed and few, and the redaction has to run on every line whichever formatter
is chosen (`STILLMOTION_LOG_FORMAT=text` keeps a human-readable line).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("stillmotion_request_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("stillmotion_task_id", default=None)

REDACTED = "[redacted]"
# What must never reach a log: API keys and webhook secrets (and any Bearer credential),
# signed URLs' query strings, and image data (data URIs, long base64 runs).
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"), r"\1" + REDACTED),
    (re.compile(r"\bsm_[A-Za-z0-9_\-]{8,}"), "sm_" + REDACTED),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_\-]{8,}"), "whsec_" + REDACTED),
    # A signed URL: the whole query string goes (expires and signature together).
    (re.compile(r"\?[^\s\"'<>]*\bsignature=[^\s\"'<>]*"), "?" + REDACTED),
    (re.compile(r"\bsignature=[^\s\"'<>&]*"), REDACTED),
    (re.compile(r"(?i)\bdata:([\w.+\-]+/[\w.+\-]+)?(;[\w\-]+=[\w\-]+)*;base64,[A-Za-z0-9+/=]*"),
     "data:" + REDACTED),
    (re.compile(r"[A-Za-z0-9+/]{200,}={0,2}"), REDACTED),
)


def redact(text: str) -> str:
    """`text` with every secret, signed query string and run of image data replaced."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


@contextmanager
def bind_task(task_id: str) -> Iterator[None]:
    """Every line logged inside carries `task_id` (in this thread or asyncio task)."""
    token = task_id_var.set(task_id)
    try:
        yield
    finally:
        task_id_var.reset(token)


REQUEST_ID_HEADER = "X-Request-ID"
# An incoming X-Request-ID is kept when it is this sane (a proxy's or client's id);
# anything else (too long, spaces, control characters) is replaced by a fresh one.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=\-]{0,127}")


def request_id_of(scope: Mapping[str, Any]) -> str | None:
    """The id RequestIdMiddleware gave this request (it keeps it in the scope's state)."""
    state = scope.get("state")
    return state.get("request_id") if isinstance(state, dict) else None


class RequestIdMiddleware:
    """Gives every HTTP request an id: a sane incoming X-Request-ID, else a fresh one.

    The id goes into `request_id_var` (so every line logged while handling the request
    carries it), into the scope's state (where the 500 handler, which runs outside this
    middleware, finds it) and back to the client as the X-Request-ID response header.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        # Not reset afterwards: the server runs each request in an asyncio task of its
        # own, and the 500 handler outside this middleware still logs with it.
        request_id_var.set(request_id)
        header = (b"x-request-id", request_id.encode("latin-1"))

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() != header[0]]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        await self.app(scope, receive, send_with_id)


class ContextFilter(logging.Filter):
    """Puts the current request and task ids on every record, and redacts its text.

    On the handler, not a logger, so records from every logger (uvicorn's included) pass
    through it. The message is formatted and redacted here once; so is the traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "task_id", None) is None:
            record.task_id = task_id_var.get()
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the line
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC, ISO 8601, ms), level, logger, message, pid,
    process, request_id and task_id when set, exc (the traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
            "process": record.processName,
        }
        for field in ("request_id", "task_id"):
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self.formatException(record.exc_info))
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The human-readable line, with the ids in brackets when set."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [f"{field}={value}" for field in ("request_id", "task_id")
               if (value := getattr(record, field, None)) is not None]
        if not ids:
            return line
        head, sep, tail = line.partition("\n")
        return f"{head} [{' '.join(ids)}]{sep}{tail}"


def make_handler(fmt: str = "json", stream: object = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(TextFormatter() if fmt == "text" else JsonFormatter())
    handler.addFilter(ContextFilter())
    return handler


def configure_logging(level: int = logging.INFO, fmt: str | None = None) -> None:
    """Route every logger of this process through one redacting handler on stderr.

    `fmt` is "json" or "text"; by default `Settings().log_format` (STILLMOTION_LOG_FORMAT).
    Replaces any handler already on the root logger (uvicorn's API processes call this
    after uvicorn set up its own), and sends uvicorn's loggers to it as well.
    """
    if fmt is None:
        from stillmotion.config import Settings

        fmt = Settings().log_format
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(make_handler(fmt))
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers = []  # propagates to ours when the access log is on (uvicorn decides)
