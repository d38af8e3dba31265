"""The error envelope, and the one boundary that turns every failure into it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from stillmotion.api.schemas import describe_validation_error
from stillmotion.blobs import StorageUnavailable
from stillmotion.logs import REQUEST_ID_HEADER, request_id_of, request_id_var

log = logging.getLogger("stillmotion.api")
CLIENT_CLOSED_REQUEST = 499

_REASON_BY_STATUS = {
    400: "INVALID_REQUEST_BODY", 401: "FAILED_TO_AUTH", 403: "FORBIDDEN", 404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "REQUEST_TOO_LARGE",
    429: "RATE_LIMIT_EXCEEDED", 500: "INTERNAL_ERROR", 503: "SERVICE_UNAVAILABLE",
}


class ApiError(Exception):
    """An answer other than 2xx, in the contract's words."""

    def __init__(self, status: int, reason: str, message: str,
                 metadata: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message
        self.metadata = metadata or {}
        self.headers = headers


def bad_request(message: str) -> ApiError:
    return ApiError(400, "INVALID_REQUEST_BODY", message)


def envelope(status: int, reason: str, message: str, metadata: dict[str, Any] | None = None,
             headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"code": status, "reason": reason, "message": message, "metadata": metadata or {}},
        status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return envelope(exc.status, exc.reason, exc.message, exc.metadata, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return envelope(400, "INVALID_REQUEST_BODY", describe_validation_error(list(exc.errors())))

    @app.exception_handler(ValidationError)
    async def _validation(_request: Request, exc: ValidationError) -> JSONResponse:
        return envelope(400, "INVALID_REQUEST_BODY", describe_validation_error(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        reason = _REASON_BY_STATUS.get(exc.status_code, "ERROR")
        message = exc.detail if isinstance(exc.detail, str) else reason.replace("_", " ").lower()
        return envelope(exc.status_code, reason, message, headers=exc.headers)

    # The store unreachable, a connection dropped mid-statement, or every pooled connection
    # busy: all a retry can fix, so 503, never 500.
    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(PoolTimeout)
    async def _store_down(request: Request, exc: Exception) -> JSONResponse:
        log.error("store unavailable on %s %s: %s", request.method, request.url.path, exc)
        return envelope(503, "SERVICE_UNAVAILABLE",
                        "the task store is unavailable; retry shortly",
                        headers={"Retry-After": "5"})

    # The client hung up mid-request (mid-upload, say): nobody reads the answer, and it is
    # the client's doing, so it is logged as such and answered 499 (nginx's "client closed
    # request"), never a 500 that error-rate alerts would count.
    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, _exc: ClientDisconnect) -> Response:
        log.info("client closed %s %s before it was answered", request.method, request.url.path)
        return Response(status_code=CLIENT_CLOSED_REQUEST)

    @app.exception_handler(StorageUnavailable)
    async def _storage_down(request: Request, exc: StorageUnavailable) -> JSONResponse:
        log.error("blob storage unavailable on %s %s: %s", request.method, request.url.path,
                  exc)
        return envelope(503, "SERVICE_UNAVAILABLE",
                        "the blob storage is unavailable; retry shortly",
                        headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The id RequestIdMiddleware gave the request (and sent as X-Request-ID), so the
        # envelope, the header and the log lines all quote the same one.
        request_id = request_id_of(request.scope) or uuid.uuid4().hex
        request_id_var.set(request_id)
        log.error("request %s: %s %s failed", request_id, request.method, request.url.path,
                  exc_info=exc)
        return envelope(500, "INTERNAL_ERROR",
                        f"internal error; quote request id {request_id} when reporting it",
                        {"request_id": request_id}, headers={REQUEST_ID_HEADER: request_id})
