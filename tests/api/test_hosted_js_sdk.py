"""The hosted service's official JavaScript SDK (novita-sdk 3.1.3 from npm, run by Node),
unchanged apart from its base URL and key, against a real server: it sends the key with
no `Bearer` scheme, its own X-Novita-Source / X-Api-Source headers, and joins a base URL
with a trailing slash into //v3/... (issue 16)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Server, decode_video, photo, png_uri

SDK = "novita-sdk@3.1.3"
SCRIPT = Path(__file__).resolve().parent.parent / "support" / "js" / "hosted_sdk.js"
# Installed once into the checkout (git-ignored), like .venv: reruns reuse it.
MODULES = Path(__file__).resolve().parent.parent.parent / ".js-sdk"

pytestmark = [
    pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None,
                       reason="Node.js and npm are not installed (scripts/test installs "
                       "Debian's as root)"),
    # HTTP between the SDK and the API: the embedded deployment is enough (the store's two
    # kinds are covered everywhere else).
    pytest.mark.parametrize("backend", ["sqlite+files"], indirect=True)]


@pytest.fixture(scope="module")
def sdk() -> Path:
    if not (MODULES / "node_modules" / "novita-sdk" / "package.json").exists():
        MODULES.mkdir(exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(MODULES),
                        SDK], check=True, capture_output=True, timeout=600)
    return MODULES / "node_modules"


def run_sdk(sdk: Path, server: Server, mode: str, tmp_path: Path) -> dict[str, Any]:
    image = tmp_path / "image.txt"
    image.write_text(png_uri(photo("coffee")[::4, ::4]))
    done = subprocess.run(["node", str(SCRIPT), server.base_url + "/", server.key, str(image),
                           mode], capture_output=True, text=True, timeout=240,
                          env={**os.environ, "NODE_PATH": str(sdk)})
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_the_hosted_js_sdk_submits_polls_and_downloads(sdk: Path, server: Server,
                                                       tmp_path: Path) -> None:
    report = run_sdk(sdk, server, "succeed", tmp_path)
    assert "error" not in report, report
    final = report["final"]
    assert final["task"]["status"] == "TASK_STATUS_SUCCEED"
    assert report["statuses"][-1] == "TASK_STATUS_SUCCEED"
    assert final["extra"]["seed"] == "11"
    video = httpx.get(final["videos"][0]["video_url"], timeout=60)
    assert len(decode_video(video.content).frames) == 96


def test_the_hosted_js_sdk_sees_a_cancel_end_failed(sdk: Path, api_only_server: Server,
                                                    tmp_path: Path) -> None:
    report = run_sdk(sdk, api_only_server, "cancel", tmp_path)
    assert report["cancel_status"] == "TASK_STATUS_FAILED"
    assert report["final"]["task"]["status"] == "TASK_STATUS_FAILED"
    assert report["final"]["task"]["reason"]


def test_the_hosted_js_sdk_reads_our_errors(sdk: Path, api_only_server: Server,
                                            tmp_path: Path) -> None:
    report = run_sdk(sdk, api_only_server, "bad-key", tmp_path)
    assert report["error"]["code"] == 401 and report["error"]["reason"] == "FAILED_TO_AUTH"
