"""Bearer-key authentication: every /v3 call names its key, and sees only its own tasks."""

from __future__ import annotations

from fastapi import Request

from stillmotion.api.errors import ApiError
from stillmotion.jobs.keys import KeyStore


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "FAILED_TO_AUTH", message, headers={"WWW-Authenticate": "Bearer"})


async def require_key(request: Request) -> str:
    """The id of the calling key; 401 for a missing, malformed, unknown or revoked key.

    `Authorization: Bearer <key>` as the hosted API documents it, or the key alone, as the
    hosted JavaScript SDK sends it (`Authorization: <key>`).

    Async on purpose: the lookup is one indexed read (tens of microseconds on SQLite), far
    cheaper than the hop to a worker thread that a sync dependency would cost per request.
    """
    header = request.headers.get("authorization")
    if not header:
        raise _unauthorized("missing Authorization header (expected: Bearer <API key>)")
    scheme, _, secret = header.strip().partition(" ")
    if not secret and scheme.lower() != "bearer":
        scheme, secret = "bearer", scheme  # the key alone, as the hosted JS SDK sends it
    if scheme.lower() != "bearer" or not secret.strip():
        raise _unauthorized("malformed Authorization header (expected: Bearer <API key>)")
    keys: KeyStore = request.app.state.keys
    owner = keys.authenticate(secret.strip())
    if owner is None:
        raise _unauthorized("the API key is unknown or revoked")
    return owner
