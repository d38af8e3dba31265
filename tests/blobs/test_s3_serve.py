"""The whole service on S3: a real `stillmotion serve` (and `worker`, `purge`) whose blobs
live in a real S3 endpoint (moto's server mode), never in the data directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.blobs.conftest import MotoServer, keys_in
from tests.conftest import (
    FAST_RECOVERY_ENV,
    Server,
    cli,
    decode_video,
    free_port,
    photo,
    png_uri,
    wait_for,
)

SUBMIT, RESULT = "/v3/async/vidu-2.0-img2video", "/v3/async/task-result"


def local_blob_files(data_dir: Path) -> list[Path]:
    root = data_dir / "blobs"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def submit_photo(client: httpx.Client) -> httpx.Response:
    return client.post(SUBMIT, json={"images": [png_uri(photo("astronaut"))]})


@pytest.mark.slow
def test_render_download_and_purge_on_s3(moto: MotoServer, s3: Any, bucket: str,
                                         tmp_path: Path) -> None:
    env = moto.env(bucket)
    srv = Server(tmp_path, workers=1, env=env).start()
    try:
        with srv.client() as client:
            submitted = submit_photo(client)
            assert submitted.status_code == 200, submitted.text
            task_id = submitted.json()["task_id"]
            assert keys_in(s3, bucket) == [f"stillmotion/inputs/{task_id}.png"]

            final = wait_for(client, task_id)
            assert final["task"]["status"] == "TASK_STATUS_SUCCEED", final
            video = final["videos"][0]
            url = video["video_url"]
            assert url.startswith(f"{moto.endpoint}/") and "X-Amz-Signature=" in url
            assert video["video_url_ttl"] == "3600"
            assert f"X-Amz-Expires={video['video_url_ttl']}" in url

            download = httpx.get(url, timeout=30)  # the bucket serves it: no API key
            assert download.status_code == 200
            decoded = decode_video(download.content)
            assert len(decoded.frames) == 96 and decoded.fps == 24

            outputs = keys_in(s3, bucket, f"stillmotion/outputs/{task_id}/")
            assert len(outputs) == 1 and outputs[0].endswith(".mp4")
            assert s3.get_object(Bucket=bucket, Key=outputs[0])["Body"].read() == \
                download.content
            assert local_blob_files(tmp_path) == []  # nothing under data_dir/blobs
            assert list((tmp_path / "tmp").glob("*.mp4")) == []  # scratch cleaned up

            # The API serves no files when the blobs live in a bucket.
            files = client.get(f"/files/outputs/{task_id}/x.mp4")
            assert files.status_code == 404 and files.json()["reason"] == "NOT_FOUND"

            purged = cli(tmp_path, "purge", "--older-than", "0s", env=env)
            assert "of 1 task(s)" in purged.stdout, purged.stdout + purged.stderr
            assert keys_in(s3, bucket) == []
            gone = client.get(RESULT, params={"task_id": task_id}).json()
            assert gone["videos"] == [] and "retention" in gone["task"]["reason"]
    finally:
        srv.stop()


def test_storage_down_at_submit_is_503_not_500(tmp_path: Path) -> None:
    moto = MotoServer(tmp_path / "moto.log").start()  # this test's own, to stop midway
    try:
        moto.client().create_bucket(Bucket="doomed")
        srv = Server(tmp_path / "data", workers=0, env=moto.env("doomed")).start()
        try:
            with srv.client() as client:
                moto.stop()
                response = submit_photo(client)
                assert response.status_code == 503, response.text
                assert response.headers["retry-after"] == "5"
                assert response.json() == {
                    "code": 503, "reason": "SERVICE_UNAVAILABLE",
                    "message": "the blob storage is unavailable; retry shortly",
                    "metadata": {}}
                listed = client.get("/v3/async/tasks").json()
                assert listed["tasks"] == []  # no task row without its input
                health = httpx.get(srv.base_url + "/healthz", timeout=30)
                assert health.status_code == 503
                assert health.json()["reason"] == "SERVICE_UNAVAILABLE"
        finally:
            srv.stop()
    finally:
        moto.stop()


@pytest.mark.slow
def test_a_worker_that_cannot_reach_storage_retries_and_the_task_survives(
        moto: MotoServer, bucket: str, tmp_path: Path) -> None:
    """Storage failures in a worker are ordinary retries: with the storage unreachable an
    attempt fails and the task goes back to the queue; once a worker reaches the storage
    the same task succeeds. (The API node runs no workers: `serve --workers 0`.)"""
    env = {**moto.env(bucket), "STILLMOTION_MAX_ATTEMPTS": "20",
           "STILLMOTION_RETRY_BACKOFF_S": "0.3"}
    srv = Server(tmp_path, workers=0, env=env).start()
    try:
        with srv.client() as client:
            submitted = submit_photo(client)
            assert submitted.status_code == 200, submitted.text
            task_id = submitted.json()["task_id"]

            dead = {**env, "STILLMOTION_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
            log = tmp_path / "cut-off-worker.log"
            worker = _start_worker(tmp_path, dead, log)
            try:
                deadline = time.monotonic() + 90
                while "attempt 2 failed" not in log.read_text(errors="replace"):
                    assert time.monotonic() < deadline, log.read_text(errors="replace")
                    assert worker.poll() is None, log.read_text(errors="replace")
                    time.sleep(0.2)
            finally:
                worker.terminate()
                worker.wait(60)
            text = log.read_text(errors="replace")
            assert "StorageUnavailable" in text
            body = client.get(RESULT, params={"task_id": task_id}).json()
            assert body["task"]["status"] != "TASK_STATUS_FAILED", body

            good = _start_worker(tmp_path, env, tmp_path / "worker.log")
            try:
                final = wait_for(client, task_id, timeout=180)
            finally:
                good.terminate()
                good.wait(60)
            assert final["task"]["status"] == "TASK_STATUS_SUCCEED", final
            assert httpx.get(final["videos"][0]["video_url"], timeout=30).status_code == 200
    finally:
        srv.stop()


def _start_worker(data_dir: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "stillmotion.cli", "worker", "--data-dir", str(data_dir)],
            stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, **FAST_RECOVERY_ENV, **env})
