"""Typed task results, lenient on purpose.

The server's own schemas (`stillmotion.api.schemas`) describe what *we* send, strictly. A
client also talks to the hosted service, which may add fields or leave some out, so these
models accept unknown fields and default everything but the task's id and status. Our
extensions (`extra.stage`, `extra.queue_position`, ...) are read when present, never needed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

QUEUED = "TASK_STATUS_QUEUED"
PROCESSING = "TASK_STATUS_PROCESSING"
SUCCEED = "TASK_STATUS_SUCCEED"
FAILED = "TASK_STATUS_FAILED"
FINAL = (SUCCEED, FAILED)
STATUSES = (QUEUED, PROCESSING, SUCCEED, FAILED)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class TaskInfo(_Lenient):
    task_id: str
    task_type: str = ""
    status: str
    reason: str = ""
    eta: int = 0
    progress_percent: int = 0


class DebugInfo(_Lenient):
    request_info: str = ""
    submit_time_ms: str = "0"
    execute_time_ms: str = "0"
    complete_time_ms: str = "0"


class TaskExtra(_Lenient):
    seed: str = ""
    debug_info: DebugInfo = Field(default_factory=DebugInfo)
    queue_position: int | None = None
    stage: str | None = None
    webhook: dict[str, Any] | None = None


class Video(_Lenient):
    video_url: str
    video_url_ttl: str = ""
    video_type: str = "mp4"


class TaskResult(_Lenient):
    """The task-result body: `task`, `extra`, `images`, `videos`, `audios`."""

    task: TaskInfo
    extra: TaskExtra = Field(default_factory=TaskExtra)
    images: list[Any] = Field(default_factory=list)
    videos: list[Video] = Field(default_factory=list)
    audios: list[Any] = Field(default_factory=list)

    @property
    def task_id(self) -> str:
        return self.task.task_id

    @property
    def status(self) -> str:
        return self.task.status

    @property
    def progress(self) -> int:
        return self.task.progress_percent

    @property
    def eta(self) -> int:
        return self.task.eta

    @property
    def reason(self) -> str:
        return self.task.reason

    @property
    def stage(self) -> str | None:
        """What a running render is doing (our extension); None elsewhere."""
        return self.extra.stage

    @property
    def done(self) -> bool:
        return self.task.status in FINAL

    @property
    def succeeded(self) -> bool:
        return self.task.status == SUCCEED

    @property
    def failed(self) -> bool:
        return self.task.status == FAILED

    @property
    def video_url(self) -> str | None:
        return self.videos[0].video_url if self.videos else None


class TaskPage(_Lenient):
    """One page of `GET /v3/async/tasks` (our extension); `next_cursor` is empty at the end."""

    tasks: list[TaskResult] = Field(default_factory=list)
    next_cursor: str = ""
