"""The BlobStore protocol, key rules and the error every store raises when it is down."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class StorageUnavailable(OSError):
    """The storage could not be reached or refused the operation: the API answers 503,
    a worker retries the attempt, a purge tries again later (all of them catch OSError)."""


class BlobStore(Protocol):
    """The seam between the service and its storage.

    A reader sees a whole blob or none: writers publish by rename (local) or by completing
    the upload (S3). `read_bytes` raises FileNotFoundError for a missing key; any other
    storage failure is StorageUnavailable (an OSError).
    """

    def put_bytes(self, key: str, data: bytes) -> None: ...
    def put_file(self, key: str, path: Path) -> None:
        """Publish the file at `path` under `key`; the caller's file is consumed."""
        ...
    def read_bytes(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str, keep: str | None = None) -> None:
        """Every blob under `prefix/` but `keep` (a task's outputs: the winner's and any
        left by an attempt killed between its upload and its record)."""
        ...
    def signed_url(self, key: str, ttl_s: int, base_url: str) -> str:
        """A URL that downloads the blob without an API key until `ttl_s` from now.
        `base_url` roots URLs the API serves itself (local store); S3 ignores it."""
        ...
    def scratch_path(self, suffix: str = "") -> Path:
        """A fresh local path to render into before `put_file`."""
        ...
    def ping(self) -> None:
        """Cheap reachability check for /healthz; raises StorageUnavailable."""
        ...


def check_key(key: str) -> str:
    """Keys are plain relative paths: no '..', no absolute paths, no surprises."""
    if not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"invalid blob key {key!r}")
    return key


def content_type(key: str) -> str:
    """The Content-Type a blob is served with, from its extension."""
    return mimetypes.guess_type(key)[0] or "application/octet-stream"
