"""Retention through the real server and the real `stillmotion purge` command."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import Server, cli, photo, png_uri, wait_for

pytestmark = pytest.mark.slow
RESULT = "/v3/async/task-result"


def render(client: httpx.Client, **extra: object) -> dict:
    response = client.post("/v3/async/vidu-2.0-img2video",
                           json={"images": [png_uri(photo("astronaut"))], **extra})
    assert response.status_code == 200, response.text
    final = wait_for(client, response.json()["task_id"])
    assert final["task"]["status"] == "TASK_STATUS_SUCCEED", final
    return final


def blobs_of(srv: Server, task_id: str) -> list[Path]:
    root = srv.data_dir / "blobs"
    return sorted([*root.glob(f"inputs/{task_id}.*"), *root.glob(f"outputs/{task_id}/*"),
                   *root.glob(f"thumbnails/{task_id}.*")])


def test_purge_removes_expired_blobs_and_nothing_else(tmp_path: Path) -> None:
    srv = Server(tmp_path, workers=1).start()
    try:
        with srv.client() as client:
            old = render(client, extra={"webhook": {"url": "http://127.0.0.1:9/hook"}})
            old_id, old_url = old["task"]["task_id"], old["videos"][0]["video_url"]
            time.sleep(10)
            new = render(client)
            new_id = new["task"]["task_id"]
            assert len(blobs_of(srv, old_id)) == 3 and len(blobs_of(srv, new_id)) == 3

            # Cut halfway between the two completions: the old task is past it, the new
            # one is not, even if the command takes seconds to start on a busy machine.
            done = [int(t["extra"]["debug_info"]["complete_time_ms"]) for t in (old, new)]
            age_s = (time.time() * 1000 - (done[0] + done[1]) / 2) / 1000
            purged = cli(srv.data_dir, "purge", "--older-than", f"{age_s:.3f}s")
            assert "of 1 task(s)" in purged.stdout, purged.stdout
            assert blobs_of(srv, old_id) == []
            assert len(blobs_of(srv, new_id)) == 3  # younger than the cut: kept

            gone = client.get(RESULT, params={"task_id": old_id}).json()
            assert gone["task"]["status"] == "TASK_STATUS_SUCCEED"
            assert gone["videos"] == []
            assert "retention" in gone["task"]["reason"]
            assert httpx.get(old_url, timeout=10).status_code == 404
            kept = client.get(RESULT, params={"task_id": new_id}).json()
            assert kept["task"]["reason"] == ""
            assert httpx.get(kept["videos"][0]["video_url"], timeout=10).status_code == 200

            again = cli(srv.data_dir, "purge", "--older-than", "1h")
            assert "of 0 task(s)" in again.stdout  # the purged one is not purged again

            forgotten = cli(srv.data_dir, "purge", "--rows-older-than", "0s")
            assert "deleted 2 old task record(s)" in forgotten.stdout, forgotten.stdout
            for task_id in (old_id, new_id):
                answer = client.get(RESULT, params={"task_id": task_id})
                assert answer.status_code == 404
    finally:
        srv.stop()


def test_serve_purges_by_itself(tmp_path: Path) -> None:
    srv = Server(tmp_path, workers=1, env={"STILLMOTION_RETENTION_DAYS": str(2 / 86400),
                                          "STILLMOTION_PURGE_INTERVAL_S": "0.5"}).start()
    try:
        with srv.client() as client:
            task_id = render(client)["task"]["task_id"]
            deadline = time.monotonic() + 30
            while blobs_of(srv, task_id) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert blobs_of(srv, task_id) == []
            body = client.get(RESULT, params={"task_id": task_id}).json()
            assert "retention" in body["task"]["reason"] and body["videos"] == []
    finally:
        srv.stop()


def test_purge_explains_a_bad_age(tmp_path: Path) -> None:
    answer = cli(tmp_path, "purge", "--older-than", "soon", check=False)
    assert answer.returncode == 2
    assert "7d, 12h, 30m or 90s" in answer.stderr and "Traceback" not in answer.stderr
