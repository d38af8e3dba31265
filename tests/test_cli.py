"""The command line as a person uses it: real processes, real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.conftest import cli, decode_video, encode, photo


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stillmotion.cli", *args],
                          capture_output=True, text=True, timeout=120)


def test_generate_renders_a_video_without_a_server(tmp_path: Path) -> None:
    source = tmp_path / "chelsea.jpg"
    source.write_bytes(encode(photo("chelsea"), "JPEG", quality=92))
    out = tmp_path / "out.mp4"
    result = run("generate", str(source), "-o", str(out), "--prompt", "pan right",
                 "--seed", "5")
    assert result.returncode == 0, result.stderr
    assert "seed 5" in result.stdout
    video = decode_video(out.read_bytes())
    assert (video.width, video.height, len(video.frames)) == (542, 360, 96)
    assert not list(tmp_path.glob(".*.part"))


def test_generate_says_what_the_photo_did_not_allow(tmp_path: Path) -> None:
    """A flat graphic has no subject to orbit: the video pans instead, and says so."""
    ramp = np.tile(np.linspace(40, 220, 320, dtype=np.uint8)[None, :, None], (240, 1, 3))
    source = tmp_path / "ramp.png"
    source.write_bytes(encode(ramp))
    result = run("generate", str(source), "-o", str(tmp_path / "out.mp4"), "--prompt",
                 "orbit right", "--resolution", "360p")
    assert result.returncode == 0, result.stderr
    assert "not as asked: orbit right -> pan left: no subject found" in result.stdout


def test_plan_only_prints_the_reading_without_rendering(tmp_path: Path) -> None:
    """Iterating on a prompt costs no render: --plan-only prints what was understood,
    what the engine chose and what it cannot draw, and writes nothing."""
    source = tmp_path / "chelsea.jpg"
    source.write_bytes(encode(photo("chelsea"), "JPEG", quality=92))
    result = run("generate", str(source), "--plan-only", "--duration", "8", "--bgm",
                 "--prompt", "pan left, then push in fast; the cat blinks, no rain, calm")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    camera = next(line for line in lines if line.startswith("camera: "))
    assert camera.index("pan left") < camera.index("push in")
    assert "movement: large" in result.stdout  # auto, from the fast second beat
    assert "subject actions asked for: blinks" in lines
    assert any(line.startswith("not rendered: blinks (a subject's action") for line in lines)
    assert "ruled out: rain" in lines
    assert any(line.startswith("music: calm, ") for line in lines)
    assert not list(tmp_path.glob("*.mp4")) and not list(tmp_path.glob(".*.part"))


def test_show_plan_prints_the_plan_with_the_render(tmp_path: Path) -> None:
    source = tmp_path / "chelsea.jpg"
    source.write_bytes(encode(photo("chelsea"), "JPEG", quality=92))
    out = tmp_path / "out.mp4"
    result = run("generate", str(source), "-o", str(out), "--show-plan", "--prompt",
                 "slow orbit counterclockwise", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "camera: orbit right (0.0-4.0 s)" in result.stdout
    assert "movement: small" in result.stdout
    assert len(decode_video(out.read_bytes()).frames) == 96


def test_help_is_plain_text_that_fits_the_terminal() -> None:
    for args in (("--help",), ("generate", "--help"), ("keys", "--help")):
        shown = subprocess.run([sys.executable, "-m", "stillmotion.cli", *args],
                               capture_output=True, text=True, timeout=60,
                               env={**os.environ, "COLUMNS": "72"}).stdout
        assert shown.startswith("Usage: "), shown
        assert "<bool>" not in shown and "╭" not in shown  # flags take no value; no boxes
        assert max(len(line) for line in shown.splitlines()) <= 72


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    gif = tmp_path / "anim.gif"
    gif.write_bytes(encode(photo("chelsea"), "GIF"))
    cases = [
        run("generate", str(tmp_path / "missing.png"), "-o", str(tmp_path / "x.mp4")),
        run("generate", str(gif), "-o", str(tmp_path / "x.mp4")),
        run("generate", str(gif), "-o", str(tmp_path / "x.mp4"), "--duration", "6"),
        run("keys", "revoke", "nobody", "--data-dir", str(tmp_path)),
        run("generate", str(tmp_path / "missing.png")),
    ]
    for result in cases:
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert "Traceback" not in result.stderr
    assert "PNG, JPEG or WebP" in cases[1].stderr
    assert "duration" in cases[2].stderr


def test_keys_are_shown_once_and_listed_without_secrets(tmp_path: Path) -> None:
    secret = cli(tmp_path, "keys", "create", "alice").stdout.strip()
    assert secret.startswith("sm_") and len(secret) > 40
    listing = cli(tmp_path, "keys", "list").stdout
    assert "alice" in listing and "active" in listing and secret not in listing
    duplicate = cli(tmp_path, "keys", "create", "alice", check=False)
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr
    cli(tmp_path, "keys", "revoke", "alice")
    assert "revoked" in cli(tmp_path, "keys", "list").stdout
    stored = (tmp_path / "stillmotion.db").read_bytes()
    assert secret.encode() not in stored


def test_a_plain_opencv_over_the_contrib_build_is_named_at_start(tmp_path: Path) -> None:
    """Installed beside a package that needs opencv-python, the contrib build's modules
    vanish; `generate`, `worker` and `serve` say so and how to mend it, in one line, before
    any task is taken (it used to be "internal rendering error" on every task)."""
    source = tmp_path / "chelsea.jpg"
    source.write_bytes(encode(photo("chelsea"), "JPEG", quality=92))
    without_contrib = ("import sys, cv2; del cv2.saliency; from stillmotion.cli import main; "
                       "sys.argv[0] = 'stillmotion'; main()")
    for args in (("generate", str(source), "-o", str(tmp_path / "x.mp4")),
                 ("worker", "--data-dir", str(tmp_path / "data")),
                 ("serve", "--data-dir", str(tmp_path / "data"), "--port", "1")):
        result = subprocess.run([sys.executable, "-c", without_contrib, *args],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "lacks its contrib modules (saliency)" in lines[0], lines
        assert "pip install opencv-contrib-python-headless" in lines[0]
    assert not (tmp_path / "x.mp4").exists()


def test_the_data_directory_is_private(tmp_path: Path) -> None:
    """It holds the database (webhook secrets in it), the signing secret, every photo and
    video: other local users may not read it, whatever umask the operator has."""
    data = tmp_path / "data"
    data.mkdir(mode=0o755)  # made by someone else, readable by all
    cli(data, "keys", "create", "ops")
    assert data.stat().st_mode & 0o777 == 0o700
    database = data / "stillmotion.db"
    assert database.stat().st_mode & 0o077 == 0, oct(database.stat().st_mode)
