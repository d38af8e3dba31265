"""The one Settings object: the only place that reads the environment."""

from __future__ import annotations

import json
import os
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from stillmotion import defaults


def default_workers() -> int:
    """One render worker per two cores, at least one: rendering and x264 each use a core."""
    return max(1, (os.cpu_count() or 1) // 2)


class Settings(BaseSettings):
    """Configuration, from STILLMOTION_* environment variables or CLI options."""

    model_config = SettingsConfigDict(env_prefix="STILLMOTION_", extra="ignore")

    host: str = defaults.HOST
    port: int = defaults.PORT
    data_dir: Path = Path(defaults.DATA_DIR)
    database_url: str | None = None  # default: sqlite file in data_dir
    # Blobs: None keeps files in data_dir/blobs; `s3://bucket/prefix` (or file:///dir).
    storage_url: str | None = None
    s3_endpoint_url: str | None = None  # S3-compatible servers (MinIO, Ceph...); None: AWS
    s3_public_endpoint_url: str | None = None  # presign for this host (clients' view)
    s3_region: str | None = None  # None: boto3's configuration chain
    s3_access_key_id: str | None = None  # both None: boto3's credential chain (env, role...)
    s3_secret_access_key: str | None = None
    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    public_url: str | None = None  # base of minted download URLs; default: the request's own
    # Web pages on these origins may call the API from a browser (CORS, preflights
    # answered); empty: none. A JSON list or commas: "https://app.example,http://localhost:3000".
    cors_origins: Annotated[list[str], NoDecode] = []
    signing_secret: str | None = None  # default: generated once into data_dir
    workers: int = Field(default_factory=default_workers)
    api_processes: int = 1  # API processes sharing the port (more take more submits/s)
    engine: Literal["motion", "diffusers"] = "motion"
    # The diffusers engine (extra `[diffusers]`; docs/diffusers.md): a local model directory
    # (diffusers layout) or a hub id, and how to place it.
    diffusers_model: str | None = None
    diffusers_device: str = "auto"  # auto: cuda if available, else cpu; or cuda:1, cpu...
    diffusers_dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    # none: all on the device; model: each model moves to the GPU while it runs (about half
    # the VRAM, a little slower); sequential: layer by layer (least VRAM, much slower).
    diffusers_offload: Literal["none", "model", "sequential"] = "none"
    diffusers_steps: int | None = Field(default=None, ge=1)  # None: the model family's own
    diffusers_local_files_only: bool = False  # never ask the hub (air-gapped machines)
    parent_pid: int | None = None  # a worker started by `serve` exits when serve is gone

    video_url_ttl_s: int = defaults.VIDEO_URL_TTL_S
    max_request_bytes: int = defaults.MAX_REQUEST_BYTES
    max_image_pixels: int = defaults.MAX_IMAGE_PIXELS
    url_connect_timeout_s: float = defaults.URL_CONNECT_TIMEOUT_S
    url_read_timeout_s: float = defaults.URL_READ_TIMEOUT_S
    url_max_redirects: int = defaults.URL_MAX_REDIRECTS
    url_total_timeout_s: float = defaults.URL_TOTAL_TIMEOUT_S
    allow_private_urls: bool = False  # tests and intranet deployments turn this on

    lease_s: float = defaults.LEASE_S
    heartbeat_s: float = defaults.HEARTBEAT_S
    reap_interval_s: float = defaults.REAP_INTERVAL_S
    poll_interval_s: float = defaults.POLL_INTERVAL_S
    # PostgreSQL: idle workers LISTEN for submits' NOTIFY (polling stays underneath). Off:
    # they only poll, e.g. behind a transaction-pooling proxy (PgBouncer) that drops LISTEN.
    listen_notify: bool = True
    max_attempts: int = defaults.MAX_ATTEMPTS
    retry_backoff_s: float = defaults.RETRY_BACKOFF_S
    progress_write_interval_s: float = defaults.PROGRESS_WRITE_INTERVAL_S
    drain_timeout_s: float = defaults.DRAIN_TIMEOUT_S
    events_poll_s: float = Field(default=defaults.EVENTS_POLL_S, gt=0)
    events_keepalive_s: float = Field(default=defaults.EVENTS_KEEPALIVE_S, gt=0)

    webhooks: bool = True  # send due webhooks from this process (serve and worker do)
    webhook_timeout_s: float = Field(default=defaults.WEBHOOK_TIMEOUT_S, gt=0)
    webhook_max_attempts: int = Field(default=defaults.WEBHOOK_MAX_ATTEMPTS, ge=1)
    webhook_backoff_s: float = Field(default=defaults.WEBHOOK_BACKOFF_S, ge=0)
    webhook_poll_s: float = Field(default=defaults.WEBHOOK_POLL_S, gt=0)
    webhook_concurrency: int = Field(default=defaults.WEBHOOK_CONCURRENCY, ge=1)

    submits_per_minute_per_key: int = Field(default=defaults.SUBMITS_PER_MINUTE_PER_KEY, ge=0)
    open_tasks_per_key: int = Field(default=defaults.OPEN_TASKS_PER_KEY, ge=0)
    max_queued_tasks: int = Field(default=defaults.MAX_QUEUED_TASKS, ge=0)

    retention_days: float = Field(default=defaults.RETENTION_DAYS, gt=0)
    row_retention_days: float = Field(default=defaults.ROW_RETENTION_DAYS, gt=0)
    purge_interval_s: float = Field(default=defaults.PURGE_INTERVAL_S, ge=0)  # 0: never

    log_format: Literal["json", "text"] = "json"  # json: one object per line (stillmotion.logs)
    access_log: bool = False  # log every request (as `serve --access-log`)
    metrics_token: str | None = None  # when set, GET /metrics needs `Bearer <token>`

    x264_preset: str = defaults.X264_PRESET
    x264_crf: int = defaults.X264_CRF
    x264_threads: int = Field(default=defaults.X264_THREADS, ge=1)

    @field_validator("storage_url")
    @classmethod
    def _check_storage_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parsed = urlsplit(value)
        if parsed.scheme == "s3" and parsed.netloc:
            return value
        if parsed.scheme == "file" and parsed.path.startswith("/") and not parsed.netloc:
            return value
        raise ValueError("storage_url must be s3://bucket[/prefix] or file:///absolute/dir")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _read_origins(cls, value: object) -> object:
        """A JSON list, or origins separated by commas; each an exact origin or "*"."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [o.strip().rstrip("/") for o in text.split(",") if o.strip()]
        return value

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'stillmotion.db').resolve()}"

    @property
    def public_base_url(self) -> str:
        """Where clients reach this deployment: `public_url`, else this server's address.
        Roots the video URLs of webhook payloads, which have no request to take it from."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def tmp_dir(self) -> Path:
        """Scratch space on the blob filesystem, so publishing a file is a rename."""
        return self.data_dir / "tmp"

    def ensure_dirs(self) -> None:
        """The data directory and its parts, private to the service's user: it holds the
        database (webhook secrets among it), the URL-signing secret and every photo and
        video, so other local users may not even list it (0700, whatever made it)."""
        for d in (self.data_dir, self.blob_dir, self.tmp_dir):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.data_dir.stat().st_uid == os.getuid():
            self.data_dir.chmod(0o700)

    def secret(self) -> bytes:
        """The URL-signing secret: configured, or generated once and kept in data_dir.

        Every process of one deployment must sign alike, so a generated secret is written
        to a private temporary file and hard-linked into place: when two processes race at
        first start, exactly one link wins and both read back the same complete file.
        """
        if self.signing_secret:
            return self.signing_secret.encode()
        path = self.data_dir / "signing-secret"
        if not path.exists():
            self.ensure_dirs()
            tmp = self.tmp_dir / f"signing-secret.{os.getpid()}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(os.urandom(32).hex())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return path.read_text().strip().encode()
