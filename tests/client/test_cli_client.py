"""`stillmotion submit | result | cancel | list` as scripts run them: real processes, a
real server, and the documented exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from stillmotion.client import Client
from tests.client.conftest import new_key
from tests.conftest import Server, decode_video, free_port

CLIENT_ENV = ("STILLMOTION_API_KEY", "STILLMOTION_BASE_URL")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in CLIENT_ENV}
    return subprocess.run([sys.executable, "-m", "stillmotion.cli", *args],
                          capture_output=True, text=True, env={**clean, **(env or {})},
                          timeout=600)


def on(server: Server, key: str | None = None) -> list[str]:
    return ["--server", server.base_url, "--key", key or server.key]


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.slow
def test_submit_wait_downloads_a_video(server: Server, chelsea_jpeg: Path,
                                       tmp_path: Path) -> None:
    out = tmp_path / "cat.mp4"
    done = run("submit", str(chelsea_jpeg), *on(server), "--prompt", "pan left", "--seed", "3",
               "--wait", "--poll-interval", "0.1", "-o", str(out))
    assert done.returncode == 0, done.stderr
    task_id = done.stdout.strip()
    uuid.UUID(task_id)  # stdout is the task id alone
    assert f"wrote {out}" in done.stderr
    video = decode_video(out.read_bytes())
    assert (video.width, video.height, len(video.frames)) == (542, 360, 96)

    shown = run("result", task_id, *on(server))
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert body["task"]["task_id"] == task_id
    assert body["task"]["status"] == "TASK_STATUS_SUCCEED"
    assert body["extra"]["seed"] == "3" and body["videos"][0]["video_url"].startswith("http")


def test_submit_result_cancel_list(api_only_server: Server, chelsea_jpeg: Path) -> None:
    key = new_key(api_only_server)
    env = {"STILLMOTION_API_KEY": key, "STILLMOTION_BASE_URL": api_only_server.base_url}
    ids = []
    for n in range(3):
        made = run("submit", str(chelsea_jpeg), "--prompt", f"take {n}", env=env)
        assert made.returncode == 0, made.stderr
        ids.append(made.stdout.strip())

    queued = run("result", ids[0], env=env)
    assert queued.returncode == 0, queued.stderr
    assert json.loads(queued.stdout)["task"]["status"] == "TASK_STATUS_QUEUED"

    cancelled = run("cancel", ids[0], *on(api_only_server, key))
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.split("\t") == [ids[0], "failed", "cancelled by the user\n"]
    again = run("cancel", ids[0], env=env)
    assert again.returncode == 2 and "TASK_ALREADY_FINISHED" in one_error_line(again)

    failed = run("result", ids[0], env=env)
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["task"]["reason"] == "cancelled by the user"

    listed = run("list", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.strip().splitlines()]
    assert [row[0] for row in rows] == ids[::-1]
    assert [row[1] for row in rows] == ["queued", "queued", "failed"]
    assert rows[2][4] == "cancelled by the user"
    only_failed = run("list", "--status", "failed", env=env)
    assert [line.split("\t")[0] for line in only_failed.stdout.splitlines()] == [ids[0]]
    newest = run("list", "--limit", "1", "--status", "TASK_STATUS_QUEUED", env=env)
    assert [line.split("\t")[0] for line in newest.stdout.splitlines()] == [ids[2]]
    bad_status = run("list", "--status", "done", env=env)
    assert bad_status.returncode == 2 and "--status" in one_error_line(bad_status)
    with Client(api_only_server.base_url, key) as client:
        for task_id in ids[1:]:
            client.cancel(task_id)


def test_submit_wait_exits_1_when_the_task_fails(api_only_server: Server,
                                                 chelsea_jpeg: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in CLIENT_ENV}
    with subprocess.Popen(
            [sys.executable, "-m", "stillmotion.cli", "submit", str(chelsea_jpeg),
             *on(api_only_server), "--wait", "--poll-interval", "0.1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean) as proc:
        assert proc.stdout is not None
        task_id = proc.stdout.readline().strip()
        with Client(api_only_server.base_url, api_only_server.key) as client:
            client.cancel(task_id)
        _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert f"task {task_id} FAILED: cancelled by the user" in stderr


def test_wait_timeout_exits_5(api_only_server: Server, chelsea_jpeg: Path) -> None:
    timed_out = run("submit", str(chelsea_jpeg), *on(api_only_server), "--wait",
                    "--timeout", "0.5", "--poll-interval", "0.1")
    assert timed_out.returncode == 5
    task_id = timed_out.stdout.strip()
    assert f"task {task_id} did not finish within 0.5 s" in one_error_line(timed_out)
    with Client(api_only_server.base_url, api_only_server.key) as client:
        client.cancel(task_id)


def test_exit_codes_for_errors(api_only_server: Server, chelsea_jpeg: Path,
                               tmp_path: Path) -> None:
    bad_key = run("list", *on(api_only_server, "sm_wrong"))
    assert bad_key.returncode == 3 and "FAILED_TO_AUTH" in one_error_line(bad_key)
    no_key = run("submit", str(chelsea_jpeg), "--server", api_only_server.base_url)
    assert no_key.returncode == 3 and "FAILED_TO_AUTH" in one_error_line(no_key)

    unknown = str(uuid.uuid4())
    missing = run("result", unknown, *on(api_only_server))
    assert missing.returncode == 4 and unknown in one_error_line(missing)
    assert run("cancel", unknown, *on(api_only_server)).returncode == 4

    invalid = run("submit", str(chelsea_jpeg), *on(api_only_server), "--duration", "6")
    assert invalid.returncode == 2
    assert "duration must be 4 or 8" in one_error_line(invalid)
    no_file = run("submit", str(tmp_path / "nope.jpg"), *on(api_only_server))
    assert no_file.returncode == 2 and "nope.jpg" in one_error_line(no_file)

    down = run("result", unknown, "--server", f"http://127.0.0.1:{free_port()}",
               "--key", "sm_x")
    assert down.returncode == 6 and "no answer from the server" in one_error_line(down)
    assert "Traceback" not in down.stderr + invalid.stderr + bad_key.stderr


def test_exit_codes_are_in_the_help() -> None:
    shown = run("submit", "--help")
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())
    for code in ("0 success", "1 the task FAILED", "2 usage", "3 bad or missing API key",
                 "4 no such task", "5 --wait timed out", "6 server unavailable"):
        assert code in text, code
