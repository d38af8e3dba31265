"""The published OpenAPI document: exact about what each route can answer.

FastAPI's generated document is close but not exact for this API: it advertises 422 for
every parameterised route (we answer 400 in the contract's envelope instead), it cannot
see the bearer auth our dependency checks by hand, nor the request bodies the submit,
cancel and redeliver routes read by hand. This module finishes the document once.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from stillmotion.api.schemas import ErrorBody

_DESCRIPTIONS = {
    400: ("INVALID_REQUEST_BODY", "A field breaks a contract rule, or the image is invalid.",
          "duration must be 4 or 8 (seconds), got 5"),
    401: ("FAILED_TO_AUTH", "Missing, malformed, unknown or revoked API key.",
          "the API key is unknown or revoked"),
    403: ("FORBIDDEN", "The download URL expired or was altered.",
          "this download URL is expired or invalid; poll task-result for a fresh one"),
    404: ("TASK_NOT_FOUND", "No such task for this key (another key's task answers the same).",
          "no task 'f0e1...' for this API key"),
    409: ("IDEMPOTENCY_KEY_REUSED", "A conflict with the task's state or an earlier request "
          "(IDEMPOTENCY_KEY_REUSED, TASK_ALREADY_FINISHED, TASK_NOT_FINISHED).",
          "the Idempotency-Key 'k1' was already used with a different request body in the "
          "last 24 hours; use a new key for a new request"),
    413: ("REQUEST_TOO_LARGE", "The body is over the configured size cap.",
          "the request body is over the 16.0 MB limit"),
    429: ("RATE_LIMIT_EXCEEDED", "The key's submit rate or open-task cap, or the server's "
          "queue bound, is reached; Retry-After says when to try again.",
          "this API key has 200 unfinished tasks (queued or running); its limit is 200: "
          "wait for one to finish or cancel one"),
    500: ("INTERNAL_ERROR", "A bug; metadata.request_id is in the server log.",
          "internal error; quote request id 4f1c... when reporting it"),
    503: ("SERVICE_UNAVAILABLE", "The task store is unavailable, or the server is shutting "
          "down; retry after Retry-After seconds.",
          "the task store is unavailable; retry shortly"),
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that can answer these error statuses."""
    answers: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        reason, description, message = _DESCRIPTIONS[status]
        answers[status] = {"model": ErrorBody, "description": description, "content": {
            "application/json": {"example": {"code": status, "reason": reason,
                                             "message": message, "metadata": {}}}}}
        if status in (429, 503):
            answers[status]["headers"] = {"Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer", "minimum": 1}}}
    return answers


EXTENSION_TAG = "Extensions"
HOSTED_TAG = "Hosted API"


def finish(app: FastAPI, body_models: tuple[type[BaseModel], ...]) -> None:
    """Replace `app.openapi` with one that publishes the finished document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {})
        models = components.setdefault("schemas", {})
        for model in body_models:  # bodies read by hand: publish their models
            models[model.__name__] = model.model_json_schema(
                ref_template="#/components/schemas/{model}")
        for name in ("HTTPValidationError", "ValidationError"):
            models.pop(name, None)
        components["securitySchemes"] = {"bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": "An API key from `stillmotion keys create NAME`."}}
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)  # we answer 400 instead
                if path.startswith("/v3/"):
                    operation["security"] = [{"bearerAuth": []}]
                    extension = "(extension)" in operation.get("summary", "")
                    operation["tags"] = [EXTENSION_TAG if extension else HOSTED_TAG]
                    if extension:
                        operation["x-stillmotion-extension"] = True
                else:
                    operation["tags"] = ["Operations"]
        schema["tags"] = [
            {"name": HOSTED_TAG, "description": "The hosted Vidu 2.0 image-to-video and Task "
             "Result APIs, field for field."},
            {"name": EXTENSION_TAG, "description": "Our additions; they never change a hosted "
             "field."},
            {"name": "Operations", "description": "Downloads, health and metrics."},
        ]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
