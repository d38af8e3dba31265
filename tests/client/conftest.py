"""Servers for the client tests: the suite's shared rendering server (`server`, one worker)
and an API-only node (`--workers 0`) whose tasks stay QUEUED until cancelled, so tests that
need no video neither wait for renders nor queue work on the shared worker.

Each test that counts or lists tasks makes a key of its own (`new_key`): a key sees only
its own tasks, so other tests' submits cannot change what it sees.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Server, cli, encode, photo

_names = itertools.count()


@pytest.fixture(scope="session")
def api_only_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("client-api-only"), workers=0).start()
    yield srv
    srv.stop()


def new_key(server: Server) -> str:
    """A fresh API key on a running server (the CLI writes it to the server's database)."""
    return cli(server.data_dir, "keys", "create", f"client-{next(_names)}").stdout.strip()


@pytest.fixture(scope="session")
def chelsea_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real photo as a JPEG file: scikit-image's chelsea, 451x300."""
    path = tmp_path_factory.mktemp("photos") / "chelsea.jpg"
    path.write_bytes(encode(photo("chelsea"), "JPEG", quality=92))
    return path


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
