"""`stillmotion.client.AsyncClient` against a real server, driven by asyncio.run."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from stillmotion.client import (
    FAILED,
    QUEUED,
    SUCCEED,
    AsyncClient,
    AuthError,
    BadRequest,
    NotFound,
    TaskResult,
    WaitTimeout,
)
from tests.client.conftest import new_key
from tests.conftest import Server, decode_video, encode, photo


@pytest.mark.slow
def test_async_submit_wait_download(server: Server, tmp_path: Path) -> None:
    image = encode(photo("astronaut"), "PNG")  # 512x512
    seen: list[int] = []

    async def record(result: TaskResult) -> None:
        await asyncio.sleep(0)
        seen.append(result.progress)

    async def main() -> tuple[TaskResult, Path]:
        async with AsyncClient(server.base_url, server.key) as client:
            task_id = await client.submit(image, prompt="slow push in", seed=11)
            result = await client.wait(task_id, timeout=600, poll_interval=0.05,
                                       on_progress=record)
            assert (await client.result(task_id)).status == result.status
            return result, await client.download(task_id, tmp_path / "async.mp4")

    result, path = asyncio.run(main())
    assert result.status == SUCCEED and result.extra.seed == "11"
    video = decode_video(path.read_bytes())
    assert (video.width, video.height, len(video.frames)) == (360, 360, 96)
    assert seen == sorted(seen) and seen[-1] == 100 and seen[0] < 100


def test_async_events_cancel_list_and_errors(api_only_server: Server) -> None:
    key = new_key(api_only_server)
    image = encode(photo("astronaut"), "PNG")

    async def main() -> list[str]:
        async with AsyncClient(api_only_server.base_url, key) as client:
            task_id = await client.submit(image)
            statuses = []
            async for event in client.events(task_id):
                statuses.append(event.status)
                if event.status == QUEUED:
                    assert (await client.cancel(task_id)).reason == "cancelled by the user"
            assert (await client.wait(task_id, timeout=30)).status == FAILED
            other = await client.submit(image)
            with pytest.raises(WaitTimeout, match=other):
                await client.wait(other, timeout=0.2, poll_interval=0.05,
                                  on_progress=lambda r: None)
            page = await client.list(limit=1)
            assert [t.task_id for t in page.tasks] == [other] and page.next_cursor
            assert [t.task_id async for t in client.iter_tasks(page_size=1)] == [
                other, task_id]
            await client.cancel(other)
            with pytest.raises(NotFound):
                await client.result(str(uuid.uuid4()))
            with pytest.raises(BadRequest, match="duration"):
                await client.submit(image, duration=5)
        async with AsyncClient(api_only_server.base_url, "sm_wrong") as stranger:
            with pytest.raises(AuthError) as bad:
                await stranger.result(task_id)
            assert bad.value.reason == "FAILED_TO_AUTH"
        return statuses

    statuses = asyncio.run(main())
    assert statuses[0] == QUEUED and statuses[-1] == FAILED
