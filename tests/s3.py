"""A real S3 endpoint for tests: moto's server mode in a child process, spoken to over HTTP
on a loopback port exactly as a deployment speaks to S3 or MinIO."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from tests.conftest import free_port

ACCESS_KEY, SECRET_KEY, REGION = "testing-key", "testing-secret", "us-east-1"


@dataclass
class MotoServer:
    """`python -m moto.server` on 127.0.0.1:port; stop() makes the storage go away."""

    log_path: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        self.port = self.port or free_port()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto exited early:\n{self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto did not start listening")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def env(self, bucket: str, prefix: str = "stillmotion") -> dict[str, str]:
        """What a `stillmotion` process needs to keep its blobs in `bucket` under `prefix`."""
        return {"STILLMOTION_STORAGE_URL": f"s3://{bucket}/{prefix}",
                "STILLMOTION_S3_ENDPOINT_URL": self.endpoint,
                "STILLMOTION_S3_REGION": REGION,
                "STILLMOTION_S3_ACCESS_KEY_ID": ACCESS_KEY,
                "STILLMOTION_S3_SECRET_ACCESS_KEY": SECRET_KEY}

    def new_bucket(self) -> str:
        name = f"test-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name
