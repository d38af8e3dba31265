"""The routes: submit, task result, cancel, signed downloads, health."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable

from stillmotion import defaults
from stillmotion.api import test_mode
from stillmotion.api.auth import require_key
from stillmotion.api.errors import ApiError, bad_request
from stillmotion.api.openapi import errors
from stillmotion.api.results import STATUS_NAMES, ResultBuilder
from stillmotion.api.schemas import (
    CancelRequest,
    ErrorBody,
    Img2VideoRequest,
    RedeliverRequest,
    SubmitResponse,
    TaskList,
    TaskResult,
    shown,
)
from stillmotion.blobs import BlobStore, LocalBlobStore
from stillmotion.config import Settings
from stillmotion.jobs.store import (
    FINAL,
    Idempotency,
    IdempotencyKeyReused,
    NewTask,
    QuotaExceeded,
    Store,
    Task,
    TaskFinished,
)
from stillmotion.media import thumbnail
from stillmotion.media.errors import InputError, human_bytes
from stillmotion.media.fetch import FetchLimits, fetch_image_bytes
from stillmotion.media.images import ImageInfo, decode_data_uri, decode_rgb, inspect_image

router = APIRouter()
log = logging.getLogger("stillmotion.api")

# Images up to this size are checked and stored on the event loop when blobs are local
# files: decoding and writing them takes less time than handing the work to a thread and
# back. With S3 the write is a network call, so it always goes to a thread.
INLINE_IMAGE_BYTES = 256 * 1024

_STATUS_BY_NAME = {name: status for status, name in STATUS_NAMES.items()}



async def _read_json_body(request: Request, max_bytes: int) -> Any:
    """The JSON body, refusing wrong content types and oversized bodies before parsing."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise bad_request("Content-Type must be application/json")
    too_large = ApiError(413, "REQUEST_TOO_LARGE",
                         f"the request body is over the {human_bytes(max_bytes)} limit")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        raise bad_request("the request body is not valid JSON") from None


def _body_route(model: str) -> dict[str, Any]:
    """`openapi_extra` of a route whose JSON body is read by hand (content type and size
    checked before parsing), so the document still shows its model."""
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model}"}}}}}


async def _json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or 400 saying what it is instead."""
    settings: Settings = request.app.state.settings
    raw = await _read_json_body(request, settings.max_request_bytes)
    if not isinstance(raw, dict):
        raise bad_request("the request body must be a JSON object")
    return raw


async def _image_bytes(request: Request, reference: str) -> bytes:
    if reference.startswith("data:"):
        return decode_data_uri(reference)
    if reference.lower().startswith(("http://", "https://")):
        limits: FetchLimits = request.app.state.fetch_limits
        return await fetch_image_bytes(request.app.state.http, reference, limits)
    raise InputError("must be an http(s) URL or a data URI (data:image/png;base64,...)")


def _store_task(request: Request, owner: str, body: Img2VideoRequest, data: bytes,
                idempotency: Idempotency | None = None) -> str:
    """Check the image completely, keep it as a blob, then make the task durable.

    With an Idempotency-Key the answer may be an earlier task's id (a concurrent duplicate
    committed first); this call's input blob is then removed, so nothing new remains.
    """
    settings: Settings = request.app.state.settings
    info: ImageInfo = inspect_image(data, settings.max_image_pixels)
    resolved = body.resolve(info.width, info.height)
    width, height = resolved.render.size
    frame_count = resolved.render.frame_count
    test_status = body.test_mode_status()
    store: Store = request.app.state.store
    task_id = store.new_task_id()
    input_key = f"inputs/{task_id}.{info.format}"
    request.app.state.blobs.put_bytes(input_key, data)  # before the row: a task never lacks it
    finished = None if test_status is None else test_mode.finish(
        test_status, task_id, decode_rgb(data, settings.max_image_pixels), width, height,
        frame_count, request.app.state.blobs)
    try:
        stored = store.submit(task_id, NewTask(
            owner=owner, request=resolved.fields,
            input_key=input_key, image_width=info.width, image_height=info.height,
            out_width=width, out_height=height, frame_count=frame_count,
            webhook_url=body.webhook_url(), finished=finished),
            idempotency)
    except (IdempotencyKeyReused, QuotaExceeded):  # nothing committed: the blobs are ours
        _forget_blobs(request.app.state.blobs, task_id, input_key)
        raise
    # A store error here leaves the blob: whether the commit landed is unknown (the
    # connection may have dropped after it), and a task must never lose its image.
    if stored != task_id:
        _forget_blobs(request.app.state.blobs, task_id, input_key)
    return stored


def _forget_blobs(blobs: BlobStore, task_id: str, input_key: str) -> None:
    """What a submit that made no task had written: its image, and a test mode's video and
    thumbnail."""
    blobs.delete(input_key)
    blobs.delete(thumbnail.key_for(task_id))
    blobs.delete_prefix(f"outputs/{task_id}")


def _idempotency(request: Request, raw: dict[str, Any]) -> Idempotency | None:
    """The submit's Idempotency-Key (our extension) and its body's hash, if it sent one.

    The hash is over the canonical JSON (sorted keys, no spaces), so a retry that
    serialises the same body differently is still the same request.
    """
    header = request.headers.get("idempotency-key")
    if header is None:
        return None
    key = header.strip()
    if not key or len(key) > defaults.MAX_IDEMPOTENCY_KEY_CHARS:
        raise bad_request("the Idempotency-Key header must hold 1 to "
                          f"{defaults.MAX_IDEMPOTENCY_KEY_CHARS} characters")
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Idempotency(key, hashlib.sha256(canonical.encode()).hexdigest())


def _key_reused(key: str) -> ApiError:
    return ApiError(409, "IDEMPOTENCY_KEY_REUSED",
                    f"the Idempotency-Key {shown(key)} was already used with a different request "
                    "body in the last 24 hours; use a new key for a new request")


@router.post(
    "/v3/async/vidu-2.0-img2video", response_model=SubmitResponse,
    responses=errors(400, 401, 409, 413, 429, 500, 503),
    summary="Vidu 2.0 Image to Video",
    openapi_extra={**_body_route("Img2VideoRequest"), "parameters": [{
            "name": "Idempotency-Key", "in": "header", "required": False,
            "schema": {"type": "string", "maxLength": defaults.MAX_IDEMPOTENCY_KEY_CHARS},
            "description": "Our extension: a retry with the same key and body returns the "
            "same task_id and creates nothing; another body is 409 IDEMPOTENCY_KEY_REUSED. "
            "Remembered 24 hours per API key."}]},
)
async def submit_img2video(request: Request, owner: str = Depends(require_key)) -> SubmitResponse:
    """Queue an image-to-video task; the image is fetched and checked before the answer."""
    raw = await _json_object(request)
    body = Img2VideoRequest.model_validate(raw)
    idempotency = _idempotency(request, raw)
    store: Store = request.app.state.store
    try:
        if idempotency is not None:  # a retry: answer it before fetching anything
            earlier = store.find_idempotent(owner, idempotency)
            if earlier is not None:
                return SubmitResponse(task_id=earlier)
        store.check_quotas(owner)  # refuse before fetching and decoding anything
        data = await _image_bytes(request, body.images[0])
        inline = len(data) <= INLINE_IMAGE_BYTES and isinstance(
            request.app.state.blobs, LocalBlobStore) and (  # an S3 put is network I/O
            body.test_mode_status() is None)  # a test-mode video is encoded here
        if inline:
            task_id = _store_task(request, owner, body, data, idempotency)
        else:  # a big photo takes real time to decode: keep the event loop free meanwhile
            task_id = await run_in_threadpool(_store_task, request, owner, body, data,
                                              idempotency)
    except InputError as exc:
        raise bad_request(f"images[0] {exc}") from None
    except IdempotencyKeyReused as exc:
        raise _key_reused(str(exc)) from None
    except QuotaExceeded as exc:
        raise ApiError(429, "RATE_LIMIT_EXCEEDED", str(exc),
                       metadata={"retry_after_s": exc.retry_after_s},
                       headers={"Retry-After": str(exc.retry_after_s)}) from None
    return SubmitResponse(task_id=task_id)


def _task_result(request: Request, task: Task) -> TaskResult:
    settings: Settings = request.app.state.settings
    builder: ResultBuilder = request.app.state.results
    return builder.build(task, settings.public_url or str(request.base_url))


@router.get("/v3/async/task-result", response_model=TaskResult,
            responses=errors(400, 401, 404, 500, 503),
            summary="Task Result")
async def task_result(request: Request, owner: str = Depends(require_key),
                      task_id: str = Query(description="The task_id from the submit answer.")
                      ) -> TaskResult:
    """The task's status, progress and ETA; a freshly signed video URL once it succeeded.

    Runs on the event loop: a poll is two or three indexed reads (WAL readers never wait
    for the writer), cheaper than the thread hop that would otherwise dominate its cost.
    """
    task = request.app.state.store.get(task_id.strip(), owner)
    if task is None:
        raise _not_found(task_id)
    return _task_result(request, task)


def _encode_cursor(task: Task) -> str:
    raw = json.dumps([task.submit_ms, task.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, str]:
    """The (submit_ms, id) a cursor carries; 400 naming `cursor` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        submit_ms, task_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError):
        raise bad_request("cursor is not a cursor this API returned (use next_cursor "
                          "from the previous page)") from None
    if not (isinstance(submit_ms, int) and not isinstance(submit_ms, bool)
            and 0 <= submit_ms < 2**63 and isinstance(task_id, str)):  # a BIGINT's range
        raise bad_request("cursor is not a cursor this API returned (use next_cursor "
                          "from the previous page)")
    return submit_ms, task_id


@router.get("/v3/async/tasks", response_model=TaskList, responses=errors(400, 401, 500, 503),
            summary="List tasks (extension)")
def list_tasks(
    request: Request, owner: str = Depends(require_key),
    status: str = Query("", description="Only tasks in this state: TASK_STATUS_QUEUED, "
                        "TASK_STATUS_PROCESSING, TASK_STATUS_SUCCEED or TASK_STATUS_FAILED."),
    limit: str = Query(str(defaults.LIST_LIMIT_DEFAULT),
                       description=f"Page size, 1..{defaults.LIST_LIMIT_MAX}."),
    cursor: str = Query("", description="next_cursor of the previous page."),
) -> TaskList:
    """The key's own tasks, newest first, each as its task-result body; cursor pagination."""
    wanted: str | None = None
    if status.strip():
        wanted = _STATUS_BY_NAME.get(status.strip())
        if wanted is None:
            raise bad_request(f"status must be one of {', '.join(_STATUS_BY_NAME)}, "
                              f"got {shown(status)}")
    text = limit.strip()
    if not (len(text) <= 4 and text.isascii() and text.isdigit()) or not (
            1 <= int(text) <= defaults.LIST_LIMIT_MAX):
        raise bad_request(f"limit must be an integer from 1 to {defaults.LIST_LIMIT_MAX}, "
                          f"got {shown(limit)}")
    size = int(text)
    after = _decode_cursor(cursor.strip()) if cursor.strip() else None
    store: Store = request.app.state.store
    page = store.list_tasks(owner, wanted, size + 1, after)  # one more: is there a next page?
    more = len(page) > size
    page = page[:size]
    return TaskList(tasks=[_task_result(request, task) for task in page],
                    next_cursor=_encode_cursor(page[-1]) if more else "")


@router.get(
    "/v3/async/task-events", responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        **errors(400, 401, 404, 500, 503)}, response_class=StreamingResponse,
    summary="Live task events (extension)",
    response_description="text/event-stream: each event's data is the task-result body.")
async def task_events(request: Request, owner: str = Depends(require_key),
                      task_id: str = Query(description="The task to follow.")
                      ) -> StreamingResponse:
    """Server-Sent Events: the task-result body whenever it changes, until SUCCEED/FAILED.

    The stream reads the store every EVENTS_POLL_S, so it follows a task whichever process
    submitted, renders or cancels it; after EVENTS_KEEPALIVE_S without an event it sends a
    comment line so proxies keep the connection open. It ends after the final state.
    """
    settings: Settings = request.app.state.settings
    store: Store = request.app.state.store
    task = store.get(task_id.strip(), owner)
    if task is None:
        raise _not_found(task_id)

    async def events(current: Task) -> AsyncIterator[str]:
        last: dict[str, Any] | None = None
        last_sent = time.monotonic()
        while True:
            body = _task_result(request, current)
            # Signed URLs are minted afresh on every read: compare without them.
            seen = body.model_dump(exclude={"videos": True, "extra": {"thumbnail_url"}}) | {
                "videos": len(body.videos)}
            if seen != last:
                yield f"data: {body.model_dump_json()}\n\n"
                last, last_sent = seen, time.monotonic()
                if current.status in FINAL:
                    return
            elif time.monotonic() - last_sent >= settings.events_keepalive_s:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
            await asyncio.sleep(settings.events_poll_s)
            # A server shutting down waits for open responses: end the stream (clients
            # reconnect, e.g. EventSource does so by itself) rather than hold the drain.
            if request.app.state.stopping or await request.is_disconnected():
                return
            try:
                fresh = store.get(current.id, owner)
            except SQLAlchemyError as exc:  # the store blinked: keep the stream, read again
                log.warning("task-events for %s: store read failed: %s", current.id, exc)
                continue
            if fresh is None:  # gone (retention): nothing more will happen to it
                return
            current = fresh

    return StreamingResponse(events(task), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _not_found(task_id: str) -> ApiError:
    return ApiError(404, "TASK_NOT_FOUND", f"no task {shown(task_id)} for this API key")


@router.post("/v3/async/task-cancel", response_model=TaskResult,
             responses=errors(400, 401, 404, 409, 413, 500, 503),
             summary="Cancel a task (extension)", openapi_extra=_body_route("CancelRequest"))
async def task_cancel(request: Request, owner: str = Depends(require_key)) -> TaskResult:
    """Cancel a task: a queued one ends at once, a running one stops at its next frame.

    Both end FAILED with reason "cancelled by the user". The answer is the task-result
    body; for a running task it is taken once the render has stopped, or after
    CANCEL_WAIT_S with the task still PROCESSING (it then ends FAILED moments later).
    Cancelling a task that already ended is 409 TASK_ALREADY_FINISHED.
    """
    body = CancelRequest.model_validate(await _json_object(request))
    store: Store = request.app.state.store
    try:
        task = await run_in_threadpool(store.cancel, body.task_id, owner)
    except TaskFinished as exc:
        status = STATUS_NAMES[exc.task.status].removeprefix("TASK_STATUS_")
        raise ApiError(409, "TASK_ALREADY_FINISHED",
                       f"task {shown(body.task_id)} has already finished ({status}); "
                       "only a queued or running task can be cancelled") from None
    if task is None:
        raise _not_found(body.task_id)
    deadline = time.monotonic() + defaults.CANCEL_WAIT_S
    while task.status not in FINAL and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        task = store.get(task.id, owner) or task
    return _task_result(request, task)


@router.post("/v3/async/webhook-redeliver", response_model=TaskResult,
             responses=errors(400, 401, 404, 409, 413, 500, 503),
             summary="Send a task's webhook again (extension)",
             openapi_extra=_body_route("RedeliverRequest"))
async def webhook_redeliver(request: Request, owner: str = Depends(require_key)) -> TaskResult:
    """Queue the task's webhook for delivery now, with a fresh budget of attempts, whether
    it was delivered, failed or is waiting for a retry; same webhook-id as before.

    400 when the task was submitted without extra.webhook.url; 409 TASK_NOT_FINISHED while
    it is still queued or running (its webhook goes out by itself when it ends).
    """
    body = RedeliverRequest.model_validate(await _json_object(request))
    store: Store = request.app.state.store
    task = store.get(body.task_id, owner)
    if task is None:
        raise _not_found(body.task_id)
    if task.status not in FINAL:
        raise ApiError(409, "TASK_NOT_FINISHED",
                       f"task {shown(body.task_id)} has not finished yet; its webhook is sent "
                       "when it ends")
    builder: ResultBuilder = request.app.state.results
    if not await run_in_threadpool(builder.outbox.redeliver, task.id, owner):
        raise bad_request(f"task {shown(body.task_id)} was submitted without extra.webhook.url, "
                          "so it has no webhook to send")
    return _task_result(request, task)


@router.head("/files/{key:path}", include_in_schema=False)  # size and type before a download
@router.get("/files/{key:path}", include_in_schema=True, summary="Signed download",
            responses={200: {"content": {"video/mp4": {"schema": {
                "type": "string", "format": "binary"}}}},
                **errors(403), 404: {"model": ErrorBody, "description": "The file is gone "
                                     "(retention)."}},
            response_class=FileResponse)
def download(request: Request, key: str, expires: str = "", signature: str = "") -> FileResponse:
    """Serve a video by its signed URL: no API key, valid until it expires."""
    blobs: BlobStore = request.app.state.blobs
    if not isinstance(blobs, LocalBlobStore):  # S3: clients download from the bucket
        raise ApiError(404, "NOT_FOUND", "this server does not serve files; poll "
                       "task-result for the video's storage URL")
    if not blobs.signer.verify(key, expires, signature):
        raise ApiError(403, "FORBIDDEN", "this download URL is expired or invalid; "
                       "poll task-result for a fresh one")
    try:
        path = blobs.path(key)
    except ValueError:
        raise ApiError(403, "FORBIDDEN", "this download URL is invalid") from None
    if not path.is_file():
        raise ApiError(404, "NOT_FOUND", "the file no longer exists")
    _check_range(request.headers.get("range"), path.stat().st_size)
    return FileResponse(path, media_type=_MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
                        filename=path.name, content_disposition_type="inline")


_MEDIA_TYPES = {".mp4": "video/mp4", ".jpg": "image/jpeg"}


def _check_range(header: str | None, size: int) -> None:
    """A Range the file cannot serve, answered in the contract's envelope (FileResponse
    would answer it in plain text). Parsed by FileResponse's own parser, so what passes
    here is exactly what it serves."""
    if header is None:
        return
    try:
        FileResponse._parse_range_header(header, size)  # noqa: SLF001 - the same rules
    except MalformedRangeHeader as exc:
        raise bad_request(f"the Range header is malformed: {exc.content}") from None
    except RangeNotSatisfiable:
        raise ApiError(416, "RANGE_NOT_SATISFIABLE", f"the Range header asks for bytes past "
                       f"the end of the file ({size} bytes)",
                       headers={"Content-Range": f"bytes */{size}"}) from None


@router.get("/healthz", summary="Liveness and store health", responses=errors(503))
def healthz(request: Request) -> JSONResponse:
    """200 when the task store and the blob storage answer, 503 otherwise."""
    request.app.state.store.ping()
    request.app.state.blobs.ping()  # StorageUnavailable: 503 (api.errors)
    return JSONResponse({"status": "ok"})
