"""Shared test fixtures: a real `stillmotion serve` on a loopback port, real photos.

Nothing here fakes a part: the server is the real CLI in a child process, the database a
real SQLite file in a temporary directory, the photos scikit-image's sample images.
"""

from __future__ import annotations

import base64
import io
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import psutil
import pytest
from PIL import Image

from tests.support.shots import real_photo

# Short leases and backoffs so fault tests see recovery in seconds, not minutes.
FAST_RECOVERY_ENV = {
    "STILLMOTION_LEASE_S": "3",
    "STILLMOTION_HEARTBEAT_S": "0.5",
    "STILLMOTION_REAP_INTERVAL_S": "0.5",
    "STILLMOTION_RETRY_BACKOFF_S": "0.2",
    "STILLMOTION_POLL_INTERVAL_S": "0.05",
    "STILLMOTION_PROGRESS_WRITE_INTERVAL_S": "0.1",
    "STILLMOTION_ALLOW_PRIVATE_URLS": "true",
}
# The shared test servers take hundreds of submits a minute on one key and keep tasks
# queued on API-only nodes; the quota tests start servers with limits of their own.
NO_QUOTAS_ENV = {
    "STILLMOTION_SUBMITS_PER_MINUTE_PER_KEY": "0",
    "STILLMOTION_OPEN_TASKS_PER_KEY": "0",
    "STILLMOTION_MAX_QUEUED_TASKS": "0",
}
FINAL_STATUSES = ("TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED")


# The machine's PostgreSQL (trust auth); each test that needs one gets a database of its own.
POSTGRES_ADMIN_URL = os.environ.get("STILLMOTION_TEST_POSTGRES",
                                    "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (or one server); dropped after."""
    import psycopg

    name = f"sm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The configuration of the server that owns each data dir (its database URL, say), so a
# CLI run against that data dir sees the same deployment, as an operator's shell would.
_DEPLOYMENT_ENV: dict[Path, dict[str, str]] = {}


def cli(data_dir: Path, *args: str, env: dict[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real `stillmotion` command line."""
    return subprocess.run(
        [sys.executable, "-m", "stillmotion.cli", *args, "--data-dir", str(data_dir)],
        capture_output=True, text=True,
        env={**os.environ, **_DEPLOYMENT_ENV.get(data_dir, {}), **(env or {})},
        check=check, timeout=120)


@dataclass
class Server:
    """A `stillmotion serve` child process and what a client needs to talk to it."""

    data_dir: Path
    workers: int = 1
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    key: str = ""
    backend: str = "sqlite"  # "postgresql...": a fresh database of its own on the machine's
    _resources: ExitStack = field(default_factory=ExitStack)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        if self.backend.startswith("postgresql") and "STILLMOTION_DATABASE_URL" not in self.env:
            self.env["STILLMOTION_DATABASE_URL"] = self._resources.enter_context(
                postgres_database())
        _DEPLOYMENT_ENV[self.data_dir] = dict(self.env)
        if not self.key:
            self.key = cli(self.data_dir, "keys", "create", "tests").stdout.strip()
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stillmotion.cli", "serve", "--data-dir", str(self.data_dir),
             "--port", str(self.port), "--workers", str(self.workers)],
            stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, **FAST_RECOVERY_ENV, **NO_QUOTAS_ENV, **self.env})
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not become healthy:\n{self.log()}")

    def log(self) -> str:
        path = self.data_dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        children = psutil.Process(self.process.pid).children(recursive=True)
        return [c.pid for c in children if "spawn_main" in " ".join(c.cmdline())]

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM, as an operator or a service manager would, and wait for the drain."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def serves_files(self) -> bool:
        """Whether its video URLs point at its own /files route (local blobs), rather than
        at presigned S3 URLs, which the storage checks (moto, our test S3, does not)."""
        return not self.env.get("STILLMOTION_STORAGE_URL", "").startswith("s3://")

    def blob_keys(self, prefix: str = "") -> set[str]:
        """The keys of the blobs this deployment keeps under `prefix`, wherever it keeps
        them (files under the data dir, or objects in its S3 bucket)."""
        url = self.env.get("STILLMOTION_STORAGE_URL", "")
        if url.startswith("s3://"):
            import boto3

            bucket, _, root = url[len("s3://"):].partition("/")
            root = root.strip("/") + "/" if root.strip("/") else ""
            client = boto3.client(
                "s3", endpoint_url=self.env["STILLMOTION_S3_ENDPOINT_URL"],
                region_name=self.env.get("STILLMOTION_S3_REGION", "us-east-1"),
                aws_access_key_id=self.env["STILLMOTION_S3_ACCESS_KEY_ID"],
                aws_secret_access_key=self.env["STILLMOTION_S3_SECRET_ACCESS_KEY"])
            pages = client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=root + prefix)
            return {item["Key"][len(root):] for page in pages
                    for item in page.get("Contents", [])}
        base = self.data_dir / "blobs"
        return {str(path.relative_to(base)) for path in (base / prefix).rglob("*")
                if path.is_file()} if (base / prefix).exists() else set()

    def close(self) -> None:
        """Stop, then release what start() made for it (its PostgreSQL database)."""
        self.stop()
        self._resources.close()

    def kill(self) -> None:
        """SIGKILL the server and every worker it started."""
        if self.process is None:
            return
        try:
            family = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            family = []
        for proc in [*family]:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        self.process.kill()
        self.process.wait()

    def client(self, key: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30,
                            headers={"Authorization": f"Bearer {key or self.key}"})


# The contract suite runs once per deployment kind: the embedded default, and the scaled
# one (PostgreSQL and S3). The shared servers are parametrised by it.
BACKENDS = ["sqlite+files", "postgresql+s3"]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """moto's S3 server, started once, on first use."""
    from tests.s3 import MotoServer

    endpoint = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log").start()
    yield endpoint
    endpoint.stop()


def storage_env(request: pytest.FixtureRequest, backend: str) -> dict[str, str]:
    """The blob settings of a deployment kind: a fresh bucket on moto for "+s3"."""
    if not backend.endswith("+s3"):
        return {}
    endpoint = request.getfixturevalue("moto")
    return dict(endpoint.env(endpoint.new_bucket()))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest,
           backend: str) -> Iterator[Server]:
    """One shared server for tests that only submit, read and validate."""
    srv = Server(tmp_path_factory.mktemp("shared-server"), workers=1, backend=backend,
                 env=storage_env(request, backend)).start()
    yield srv
    srv.close()


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A tiny, seeded, randomly initialised model directory of a diffusers family, built
    in code once per session (stillmotion.engines.diffusers.tiny): the real classes and
    loading path of the family, on the CPU, with nothing downloaded."""
    built: dict[str, Path] = {}

    def get(family: str) -> Path:
        if family not in built:
            from stillmotion.engines.diffusers.tiny import save_tiny

            built[family] = save_tiny(family, tmp_path_factory.mktemp(f"tiny-{family}"))
        return built[family]

    return get


# --- photos ------------------------------------------------------------------------------

def encode(image: np.ndarray | Image.Image, fmt: str = "PNG", **params: Any) -> bytes:
    img = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def photo(name: str) -> np.ndarray:
    """A scikit-image sample photo (or a held-out one) as 8-bit RGB."""
    return real_photo(name)


def portrait_9x16() -> np.ndarray:
    """A real 9:16 photo: the middle of scikit-image's coffee (400x600), cropped to 225x400."""
    coffee = photo("coffee")
    left = (coffee.shape[1] - 225) // 2
    return np.ascontiguousarray(coffee[:, left:left + 225])


def png_uri(image: np.ndarray) -> str:
    return data_uri(encode(image, "PNG"), "image/png")


def submit(client: httpx.Client, **fields: Any) -> httpx.Response:
    body = {"images": [png_uri(photo("astronaut"))], **fields}
    return client.post("/v3/async/vidu-2.0-img2video", json=body)


def wait_for(client: httpx.Client, task_id: str, timeout: float = 120,
             seen: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Poll task-result until SUCCEED or FAILED; every polled body is appended to `seen`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get("/v3/async/task-result", params={"task_id": task_id})
        assert response.status_code == 200, response.text
        body = response.json()
        if seen is not None:
            seen.append(body)
        if body["task"]["status"] in FINAL_STATUSES:
            return body
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish in {timeout} s")


@dataclass
class DecodedVideo:
    frames: list[np.ndarray]
    fps: float
    width: int
    height: int
    profile: str
    pix_fmt: str
    audio_streams: int


def decode_video(data: bytes) -> DecodedVideo:
    """Decode an MP4 completely with PyAV, frames as RGB (BT.601, as the file is tagged)."""
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return DecodedVideo(
            frames=frames, fps=float(stream.average_rate or 0), width=stream.width,
            height=stream.height, profile=str(stream.codec_context.profile),
            pix_fmt=str(stream.codec_context.pix_fmt),
            audio_streams=len(container.streams.audio))


def luma(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    return 0.299 * r + 0.587 * g + 0.114 * b


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
