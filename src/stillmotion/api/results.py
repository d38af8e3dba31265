"""The task-result body, built in one place for polls, listings, events and webhooks."""

from __future__ import annotations

from stillmotion.api.schemas import (
    DebugInfo,
    TaskExtra,
    TaskInfo,
    TaskResult,
    VideoResult,
    WebhookAttempt,
    WebhookEcho,
    WebhookInfo,
)
from stillmotion.blobs import BlobStore
from stillmotion.config import Settings
from stillmotion.jobs.store import FAILED, PROCESSING, QUEUED, SUCCEED, Store, Task
from stillmotion.jobs.webhooks import Outbox, WebhookState
from stillmotion.media import thumbnail
from stillmotion.pipeline import stage_of

STATUS_NAMES = {QUEUED: "TASK_STATUS_QUEUED", PROCESSING: "TASK_STATUS_PROCESSING",
                SUCCEED: "TASK_STATUS_SUCCEED", FAILED: "TASK_STATUS_FAILED"}


class ResultBuilder:
    """Everything a task-result body needs besides the task: store, blobs, settings."""

    def __init__(self, settings: Settings, store: Store, blobs: BlobStore) -> None:
        self.settings = settings
        self.store = store
        self.blobs = blobs
        self.outbox = Outbox(store.engine, settings)

    def build(self, task: Task, base_url: str, with_webhook: bool = True) -> TaskResult:
        """The hosted body, plus our extensions where they apply. `base_url` roots the
        signed video URL; `with_webhook=False` gives extra.webhook as the hosted service
        sends it in a webhook's own payload (its url), not our delivery state, which would
        describe the delivery mid-flight."""
        settings = self.settings
        videos: list[VideoResult] = []
        thumbnail_url = None
        if task.status == SUCCEED and task.output_key:
            ttl = settings.video_url_ttl_s
            videos.append(VideoResult(
                video_url=self.blobs.signed_url(task.output_key, ttl, base_url),
                video_url_ttl=str(ttl)))
            thumbnail_url = self.blobs.signed_url(thumbnail.key_for(task.id), ttl, base_url)
        eta, position = self.store.eta_and_position(task)
        webhook: WebhookInfo | WebhookEcho | None = None
        if task.request.get("webhook_url"):
            webhook = (_webhook_info(self.outbox.state(task.id)) if with_webhook else
                       WebhookEcho(url=task.request["webhook_url"],
                                   test_mode=task.request.get("test_mode")))
        return TaskResult(
            task=TaskInfo(task_id=task.id, status=STATUS_NAMES[task.status],  # type: ignore[arg-type]
                          reason=task.reason if task.status == FAILED or task.purged else "",
                          eta=eta, progress_percent=task.progress),
            extra=TaskExtra(
                seed=str(task.request["seed"]),
                debug_info=DebugInfo(
                    request_info=task.request_info, submit_time_ms=str(task.submit_ms),
                    execute_time_ms=str(task.execute_ms or 0),
                    complete_time_ms=str(task.complete_ms or 0)),
                queue_position=position,
                stage=stage_of(task.progress) if task.status == PROCESSING else None,
                webhook=webhook, thumbnail_url=thumbnail_url),
            videos=videos,
        )


def _webhook_info(state: WebhookState | None) -> WebhookInfo | None:
    if state is None:
        return None
    return WebhookInfo(url=state.url, webhook_id=state.id, state=state.state,  # type: ignore[arg-type]
                       attempts=[WebhookAttempt(
                           number=a.number, started_ms=str(a.started_ms),
                           status_code=a.status_code, latency_ms=a.latency_ms, error=a.error,
                           next_retry_ms=str(a.next_retry_ms or "")) for a in state.attempts])
