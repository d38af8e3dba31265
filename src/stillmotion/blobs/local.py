"""The local BlobStore: files in a directory, HMAC-signed expiring URLs the API serves.

Writers always publish by rename, so a reader sees a whole file or none.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

from stillmotion.blobs.base import StorageUnavailable, check_key

DOWNLOAD_ROUTE = "/files/"


class UrlSigner:
    """HMAC-SHA256 over key and expiry: a URL is valid until it expires, and only as minted."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def signature(self, key: str, expires: int) -> str:
        message = f"{key}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def query(self, key: str, ttl_s: int, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + ttl_s)
        return urlencode({"expires": expires, "signature": self.signature(key, expires)})

    def verify(self, key: str, expires: str, signature: str, now: float | None = None) -> bool:
        if not _EPOCH_SECONDS.fullmatch(expires):  # ASCII digits only ("²".isdigit()!)
            return False
        if int(expires) < (now if now is not None else time.time()):
            return False
        return hmac.compare_digest(self.signature(key, int(expires)), signature)


_EPOCH_SECONDS = re.compile(r"[0-9]{1,12}")


class LocalBlobStore:
    """Blobs as files under one directory on the same filesystem as its scratch space."""

    def __init__(self, root: Path, tmp: Path, signer: UrlSigner) -> None:
        self.root = root
        self.tmp = tmp
        self.signer = signer
        root.mkdir(parents=True, exist_ok=True)
        tmp.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def scratch_path(self, suffix: str = "") -> Path:
        """A fresh temporary path from which put_file can publish by rename."""
        return self.tmp / f"{uuid.uuid4().hex}{suffix}"

    def put_bytes(self, key: str, data: bytes) -> None:
        scratch = self.scratch_path()
        scratch.write_bytes(data)
        self.put_file(key, scratch)

    def put_file(self, key: str, path: Path) -> None:
        """Move `path` into place atomically (the caller's file is consumed)."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)

    def read_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str, keep: str | None = None) -> None:
        """Every blob under `prefix/` but `keep` (a task's outputs: the winner's and any
        left by an attempt killed between its upload and its record)."""
        if keep is None:
            shutil.rmtree(self.path(prefix), ignore_errors=True)
            return
        kept = self.path(keep)
        for path in self.path(prefix).rglob("*"):
            if path.is_file() and path != kept:
                path.unlink(missing_ok=True)

    def ping(self) -> None:
        for directory in (self.root, self.tmp):
            if not (directory.is_dir() and os.access(directory, os.W_OK | os.X_OK)):
                raise StorageUnavailable(f"the blob directory {directory} is not writable")

    def signed_url(self, key: str, ttl_s: int, base_url: str) -> str:
        return f"{base_url.rstrip('/')}{DOWNLOAD_ROUTE}{quote(check_key(key))}?" + \
            self.signer.query(key, ttl_s)
