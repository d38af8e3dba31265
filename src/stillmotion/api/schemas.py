"""The wire schema: the single definition of every field of CONTRACT.md.

Each field check raises its own sentence, naming the field and the rule, so the error
envelope's `message` is something a user can act on rather than a validator's jargon.
Strict types throughout: "4" is not 4 and 1 is not true, as on the hosted service.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from stillmotion import defaults
from stillmotion.engines.base import RenderRequest

SHOWN_CHARS = 60  # of a bad value quoted back in an error message


def shown(value: Any) -> str:
    """A value as an error message quotes it: its repr, cut short. A 10 MB bad field must
    not come back as a 10 MB answer."""
    text = repr(value)
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}... ({len(text)} characters)"


def describe_validation_error(errors: list[Any]) -> str:
    """The first problem as one sentence; our validators already name field and rule."""
    if not errors:
        return "the request body is invalid"
    first = errors[0]
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query")]
    field = ".".join(location) or "body"
    if first.get("type") == "contract":
        return str(first.get("msg"))
    if first.get("type") == "missing":
        return f"{field} is required"
    return f"{field}: {first.get('msg', 'is invalid')}"


def _invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("contract", message)


TEST_MODE_STATUSES = ("TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED")


def _check_test_mode(test_mode: Any, url: Any) -> None:
    """extra.webhook.test_mode as the hosted webhook document has it: {"enabled": bool,
    "return_task_status": TASK_STATUS_SUCCEED or TASK_STATUS_FAILED}."""
    if not isinstance(test_mode, dict):
        raise _invalid("extra.webhook.test_mode must be an object holding enabled and "
                       "return_task_status")
    enabled = test_mode.get("enabled", False)
    if not isinstance(enabled, bool):
        raise _invalid("extra.webhook.test_mode.enabled must be true or false, "
                       f"got {shown(enabled)}")
    status = test_mode.get("return_task_status", TEST_MODE_STATUSES[0])
    if status not in TEST_MODE_STATUSES:
        raise _invalid("extra.webhook.test_mode.return_task_status must be "
                       f"{' or '.join(TEST_MODE_STATUSES)}, got {shown(status)}")
    if enabled and url is None:
        raise _invalid("extra.webhook.test_mode needs extra.webhook.url: the test event is "
                       "sent there")


def _check_webhook_url(url: Any) -> None:
    """The URL's form only; where it points is checked on every delivery, because what a
    host name resolves to can change after submit."""
    if not isinstance(url, str) or not url.strip():
        raise _invalid("extra.webhook.url must be a non-empty string")
    if len(url) > defaults.WEBHOOK_MAX_URL_CHARS:
        raise _invalid(f"extra.webhook.url must be at most {defaults.WEBHOOK_MAX_URL_CHARS} "
                       f"characters, got {len(url)}")
    try:
        parsed = urlsplit(url)
        parsed.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise _invalid("extra.webhook.url is not a valid URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise _invalid("extra.webhook.url must be an http(s) URL with a host, "
                       f"got {shown(url)}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Img2VideoRequest(BaseModel):
    """Body of POST /v3/async/vidu-2.0-img2video. Unknown top-level fields are ignored."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [{
        "images": ["data:image/png;base64,iVBORw0KGgo..."],
        "prompt": "slow push in on the subject", "duration": 4, "seed": 1234,
        "resolution": "720p", "movement_amplitude": "auto", "bgm": False}]})

    images: list[str] = Field(
        description="Exactly one image: an http(s) URL or a data URI "
        "(data:image/png|jpeg|jpg|webp;base64,...). It becomes the first frame.",
        min_length=1, max_length=1)
    prompt: str = Field("", description="Text prompt, at most 1500 characters.",
                        max_length=defaults.MAX_PROMPT_CHARS)
    duration: Literal[4, 8] = Field(4, description="Video length in seconds: 4 or 8.")
    seed: int | None = Field(None, ge=-1, le=defaults.MAX_SEED,
                             description="0..2^32-1; -1 or absent picks a random seed.")
    resolution: Literal["360p", "720p", "1080p"] | None = Field(
        None, description="4 s: 360p (default), 720p or 1080p; 8 s: 720p only.")
    movement_amplitude: Literal["auto", "small", "medium", "large"] = Field(
        "auto", description="How much the picture moves.")
    bgm: bool = Field(False, description="Add fitting background music.")
    extra: dict[str, Any] | None = Field(
        None, description="extra.webhook.url, an http(s) URL that receives "
        '{"event_type": "ASYNC_TASK_RESULT", "payload": <task-result>} when the task ends; '
        'extra.webhook.test_mode {"enabled": true, "return_task_status": '
        '"TASK_STATUS_SUCCEED" or "TASK_STATUS_FAILED"} ends the task at once with that '
        "status, unrendered, and sends its event, to test a receiver.",
        json_schema_extra={"examples": [{"webhook": {"url": "https://example.com/hook"}}]})

    @field_validator("images", mode="before")
    @classmethod
    def _images(cls, value: Any) -> Any:
        if not isinstance(value, list):
            raise _invalid("images must be an array holding exactly one image")
        if len(value) != 1:
            raise _invalid(f"images must hold exactly 1 image, got {len(value)}")
        if not isinstance(value[0], str) or not value[0]:
            raise _invalid("images[0] must be a non-empty string (URL or data URI)")
        return value

    @field_validator("prompt", mode="before")
    @classmethod
    def _prompt(cls, value: Any) -> Any:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise _invalid("prompt must be a string")
        if len(value) > defaults.MAX_PROMPT_CHARS:
            raise _invalid(f"prompt must be at most {defaults.MAX_PROMPT_CHARS} characters, "
                           f"got {len(value)}")
        return value

    @field_validator("duration", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if value is None:
            return 4
        if not _is_int(value) or value not in defaults.DURATIONS:
            raise _invalid(f"duration must be 4 or 8 (seconds), got {shown(value)}")
        return value

    @field_validator("seed", mode="before")
    @classmethod
    def _seed(cls, value: Any) -> Any:
        if value is None:
            return None
        if not _is_int(value) or not -1 <= value <= defaults.MAX_SEED:
            raise _invalid(f"seed must be an integer from 0 to {defaults.MAX_SEED} "
                           f"(or -1 for random), got {shown(value)}")
        return value

    @field_validator("resolution", mode="before")
    @classmethod
    def _resolution(cls, value: Any) -> Any:
        if value is None:
            return None
        if value not in ("360p", "720p", "1080p"):
            raise _invalid(f"resolution must be one of 360p, 720p, 1080p, got {shown(value)}")
        return value

    @field_validator("movement_amplitude", mode="before")
    @classmethod
    def _amplitude(cls, value: Any) -> Any:
        if value is None:
            return "auto"
        if value not in defaults.AMPLITUDES:
            raise _invalid("movement_amplitude must be one of auto, small, medium, large, "
                           f"got {shown(value)}")
        return value

    @field_validator("bgm", mode="before")
    @classmethod
    def _bgm(cls, value: Any) -> Any:
        if value is None:
            return False
        if not isinstance(value, bool):
            raise _invalid(f"bgm must be true or false, got {shown(value)}")
        return value

    @field_validator("extra", mode="before")
    @classmethod
    def _extra(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, dict):
            raise _invalid("extra must be an object")
        webhook = (value or {}).get("webhook")
        if webhook is None:
            return value
        if not isinstance(webhook, dict):
            raise _invalid("extra.webhook must be an object holding url")
        url = webhook.get("url")
        if url is not None:
            _check_webhook_url(url)
        test_mode = webhook.get("test_mode")
        if test_mode is not None:
            _check_test_mode(test_mode, url)
        return value

    def webhook_url(self) -> str | None:
        """extra.webhook.url, already checked; None when the request has none."""
        url = ((self.extra or {}).get("webhook") or {}).get("url")
        return str(url) if url else None

    def test_mode_status(self) -> str | None:
        """The status the hosted webhook's test mode asks for (TASK_STATUS_SUCCEED or
        TASK_STATUS_FAILED), already checked; None unless test mode is enabled."""
        test_mode = ((self.extra or {}).get("webhook") or {}).get("test_mode") or {}
        if not test_mode.get("enabled"):
            return None
        return str(test_mode.get("return_task_status") or TEST_MODE_STATUSES[0])

    @model_validator(mode="after")
    def _resolution_fits_duration(self) -> Img2VideoRequest:
        allowed = defaults.RESOLUTIONS_BY_DURATION[self.duration]
        if self.resolution is not None and self.resolution not in allowed:
            raise _invalid(f"resolution {self.resolution} is not available for "
                           f"{self.duration} s videos (allowed: {', '.join(allowed)})")
        return self

    def resolved_resolution(self) -> str:
        return self.resolution or defaults.DEFAULT_RESOLUTION_BY_DURATION[self.duration]

    def resolve(self, image_width: int, image_height: int) -> ResolvedRequest:
        """The request with every default and the seed filled in, once: what the task
        stores, and what an engine renders from (size and frame count included). The API
        and `stillmotion generate` both come through here, so a new field is added once."""
        seed = self.seed if self.seed is not None and self.seed >= 0 else secrets.randbelow(
            defaults.MAX_SEED + 1)
        fields: dict[str, Any] = {
            "prompt": self.prompt, "duration": self.duration,
            "resolution": self.resolved_resolution(),
            "movement_amplitude": self.movement_amplitude, "seed": seed, "bgm": self.bgm}
        webhook_url = self.webhook_url()
        if webhook_url is not None:
            fields["webhook_url"] = webhook_url
        test_status = self.test_mode_status()
        if test_status is not None:
            fields["test_mode"] = {"enabled": True, "return_task_status": test_status}
        return ResolvedRequest(fields, RenderRequest.from_fields(fields, image_width,
                                                                 image_height))


@dataclass(frozen=True)
class ResolvedRequest:
    """A submit resolved (Img2VideoRequest.resolve): the task's stored fields, and the
    engine's request built from them."""

    fields: dict[str, Any]
    render: RenderRequest


class SubmitResponse(BaseModel):
    task_id: str = Field(description="Poll GET /v3/async/task-result with it.")


TaskStatus = Literal["TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING", "TASK_STATUS_SUCCEED",
                     "TASK_STATUS_FAILED"]


class TaskInfo(BaseModel):
    task_id: str
    task_type: str = defaults.TASK_TYPE
    status: TaskStatus
    reason: str = Field("", description="Empty unless FAILED; then what went wrong.")
    eta: int = Field(description="Whole seconds to completion, queue included; 0 when done.")
    progress_percent: int = Field(ge=0, le=100, description="Never goes down.")


class DebugInfo(BaseModel):
    request_info: str = Field(description="JSON text: the request as resolved and the shot plan.")
    submit_time_ms: str
    execute_time_ms: str
    complete_time_ms: str


class WebhookAttempt(BaseModel):
    number: int = Field(description="1 for the first attempt.")
    started_ms: str = Field(description="Epoch milliseconds, as a string like debug_info's.")
    status_code: int | None = Field(description="The receiver's HTTP status; null when no "
                                    "answer came (see error).")
    latency_ms: int
    error: str = Field(description="Empty on success; otherwise what went wrong.")
    next_retry_ms: str = Field(description="When the next attempt is due (epoch ms); empty "
                               "when none is planned.")


class WebhookEcho(BaseModel):
    """extra.webhook in a webhook's own payload, as the hosted service sends it: the URL
    the task was submitted with (and its test mode, when it had one)."""

    url: str
    test_mode: dict[str, Any] | None = None


class WebhookInfo(BaseModel):
    """Our extension: the task's webhook delivery, present only when one was asked for."""

    url: str
    webhook_id: str = Field(description="The webhook-id header: the same on every attempt.")
    state: Literal["pending", "delivered", "failed"] = Field(
        description="pending until the task ends and while retries remain.")
    attempts: list[WebhookAttempt]


class TaskExtra(BaseModel):
    seed: str = Field(description="The seed actually used, so a random one can be replayed.")
    debug_info: DebugInfo
    queue_position: int | None = Field(
        None, description="Our extension, only while QUEUED: tasks ahead of this one.")
    stage: str | None = Field(
        None, description="Our extension, only while PROCESSING: what the render is doing.")
    webhook: WebhookInfo | WebhookEcho | None = Field(
        None, description="Only with extra.webhook.url: in a poll, the delivery and its "
        "attempts (our extension); in the webhook's own payload, the url (as the hosted "
        "service sends it).")
    thumbnail_url: str | None = Field(
        None, description="Our extension, only once SUCCEED: the video's first frame as a "
        "small JPEG (signed, expiring like video_url), for lists of tasks.")

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Extensions appear only when they apply, so the hosted fields stay as they were."""
        data: dict[str, Any] = handler(self)
        for name in ("queue_position", "stage", "webhook", "thumbnail_url"):
            if data.get(name) is None:
                data.pop(name, None)
        return data


class VideoResult(BaseModel):
    video_url: str = Field(description="Signed, expiring download URL; needs no API key.")
    video_url_ttl: str = Field(description="Seconds the URL stays valid, as a string.")
    video_type: str = "mp4"


class TaskResult(BaseModel):
    """Body of GET /v3/async/task-result, field for field as the hosted API."""

    task: TaskInfo
    extra: TaskExtra
    images: list[dict[str, Any]] = Field(default_factory=list)
    videos: list[VideoResult] = Field(default_factory=list)
    audios: list[dict[str, Any]] = Field(default_factory=list)


class TaskList(BaseModel):
    """Body of GET /v3/async/tasks (our extension): one page of the key's tasks."""

    tasks: list[TaskResult] = Field(
        description="The key's tasks, newest first, each the task-result body.")
    next_cursor: str = Field(
        description="Opaque; pass it as `cursor` for the next page. Empty on the last page.")


class CancelRequest(BaseModel):
    """Body of POST /v3/async/task-cancel (our extension)."""

    model_config = ConfigDict(extra="ignore")

    task_id: str = Field(description="The task to cancel.")

    @field_validator("task_id", mode="before")
    @classmethod
    def _task_id(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise _invalid("task_id must be a non-empty string")
        return value.strip()


class RedeliverRequest(CancelRequest):
    """Body of POST /v3/async/webhook-redeliver (our extension)."""

    task_id: str = Field(description="The task whose webhook to send again.")


class ErrorBody(BaseModel):
    """Every error, whatever its status."""

    code: int
    reason: str
    message: str
    metadata: dict[str, Any] = Field(default_factory=dict)
