"""HTTP details hosted-API clients rely on, below the routes: paths as their SDKs join
them, and early answers that every client actually receives.

- **Paths.** The hosted SDKs join their base URL and the path as strings, so a base URL
  with a trailing slash asks for `//v3/async/...`; repeated slashes are one slash.
- **Early answers.** A request refused before its body is read (a wrong key, an oversized
  or mistyped body, a quota) is answered at once. If the server then closed the
  connection with the body unread, the kernel would reset it, and urllib, requests and
  httpx report "connection reset" instead of our 401 or 413 (curl happens to read the
  answer first). So the unread rest of the body is read and dropped before the answer
  goes out, up to DRAIN_LIMIT_BYTES and DRAIN_LIMIT_S; past either the answer goes out
  anyway with `Connection: close`. A client that sent `Expect: 100-continue` and has not
  been told to continue sends no body at all: nothing to drain, and it reads the answer
  in place of the 100.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

DRAIN_LIMIT_BYTES = 128 * 1024 * 1024  # three times the default body cap
DRAIN_LIMIT_S = 30.0
_SLASHES = re.compile(r"/{2,}")

Scope = dict[str, Any]
Message = dict[str, Any]


class CollapseSlashesMiddleware:
    """`//v3/async/task-result` is `/v3/async/task-result`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and "//" in scope["path"]:
            path = _SLASHES.sub("/", scope["path"])
            scope = {**scope, "path": path, "raw_path": path.encode("latin-1")}
        await self.app(scope, receive, send)


class DrainBodyMiddleware:
    """Read and drop what is left of a request's body before answering it early."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"read_all": False, "started": False, "disconnected": False}
        expects_continue = any(name == b"expect" and value.lower() == b"100-continue"
                               for name, value in scope.get("headers", ()))

        async def receive_tracked() -> Message:
            message: Message = await receive()
            state["started"] = True
            if message["type"] == "http.request" and not message.get("more_body", False):
                state["read_all"] = True
            elif message["type"] == "http.disconnect":
                state["disconnected"] = True
            return message

        async def send_after_drain(message: Message) -> None:
            if (message["type"] == "http.response.start" and not state["read_all"]
                    and not state["disconnected"]
                    and not (expects_continue and not state["started"])):
                if not await _drain(receive_tracked, state):
                    message = {**message, "headers": [
                        *[h for h in message.get("headers", ()) if h[0].lower() != b"connection"],
                        (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive_tracked, send_after_drain)


async def _drain(receive: Any, state: dict[str, bool]) -> bool:
    """Read the body to its end within the limits; False if a limit cut it short."""
    read = 0
    deadline = time.monotonic() + DRAIN_LIMIT_S
    while not state["read_all"] and not state["disconnected"]:
        left = deadline - time.monotonic()
        if left <= 0 or read > DRAIN_LIMIT_BYTES:
            return False
        try:
            message = await asyncio.wait_for(receive(), timeout=left)
        except TimeoutError:
            return False
        read += len(message.get("body", b""))
    return True
