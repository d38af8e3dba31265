"""The S3 BlobStore: objects in a bucket under a prefix, presigned GET URLs for clients.

Any S3-compatible server works (AWS, MinIO, Ceph RGW, moto...). Uploads go through
boto3's managed transfer: above `multipart_threshold` a file goes up in parts, and the
object exists only once the multipart upload completes (a failed one is aborted), so a
reader never sees half a video. Every storage failure becomes StorageUnavailable.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, NoReturn

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from stillmotion.blobs.base import StorageUnavailable, check_key, content_type

MiB = 1024 * 1024
DELETE_BATCH = 1000  # DeleteObjects takes at most this many keys
_MISSING = {"NoSuchKey", "404", "NotFound"}


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix")."""
    if not url.startswith("s3://"):
        raise ValueError(f"not an s3:// URL: {url!r}")
    bucket, _, prefix = url[len("s3://"):].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {url!r}")
    return bucket, prefix.strip("/")


class S3BlobStore:
    """Blobs as objects in one bucket, keys under `prefix/`."""

    def __init__(self, bucket: str, prefix: str, tmp: Path, *,
                 endpoint_url: str | None = None, public_endpoint_url: str | None = None,
                 region: str | None = None, access_key_id: str | None = None,
                 secret_access_key: str | None = None,
                 addressing_style: Literal["auto", "path", "virtual"] = "auto",
                 multipart_threshold: int = 8 * MiB, multipart_chunksize: int = 8 * MiB,
                 delete_batch: int = DELETE_BATCH,
                 ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.delete_batch = delete_batch
        self.tmp = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        # Explicit keys when configured, else boto3's own chain (env, profile, role...).
        session = boto3.session.Session(aws_access_key_id=access_key_id,
                                        aws_secret_access_key=secret_access_key,
                                        region_name=region)
        config = Config(signature_version="s3v4", s3={"addressing_style": addressing_style},
                        retries={"mode": "standard", "max_attempts": 3},
                        connect_timeout=5, read_timeout=60)
        self.client: Any = session.client("s3", endpoint_url=endpoint_url, config=config)
        # Presigning is local computation; a URL signed for the host clients reach works
        # there (the host is part of the signature), so it needs a client of its own.
        self._presigner: Any = (session.client("s3", endpoint_url=public_endpoint_url,
                                               config=config)
                                if public_endpoint_url else self.client)
        self.transfer = TransferConfig(multipart_threshold=multipart_threshold,
                                       multipart_chunksize=multipart_chunksize,
                                       max_concurrency=4)

    def object_key(self, key: str) -> str:
        """The key in the bucket: the blob key under the configured prefix."""
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def scratch_path(self, suffix: str = "") -> Path:
        return self.tmp / f"{uuid.uuid4().hex}{suffix}"

    @contextmanager
    def _storage(self, action: str, key: str) -> Iterator[None]:
        try:
            yield
        except ClientError as exc:
            _raise(action, key, exc)
        except (BotoCoreError, Boto3Error) as exc:  # no answer, timeouts, failed uploads
            raise StorageUnavailable(f"S3 {action} of {key!r} failed: {exc}") from exc

    def put_bytes(self, key: str, data: bytes) -> None:
        name = self.object_key(key)
        with self._storage("upload", name):
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data,
                                   ContentType=content_type(key))

    def put_file(self, key: str, path: Path) -> None:
        """Upload (multipart above the threshold), then remove the caller's file."""
        name = self.object_key(key)
        with self._storage("upload", name):
            self.client.upload_file(str(path), self.bucket, name, Config=self.transfer,
                                    ExtraArgs={"ContentType": content_type(key)})
        path.unlink(missing_ok=True)

    def read_bytes(self, key: str) -> bytes:
        name = self.object_key(key)
        with self._storage("download", name):
            response = self.client.get_object(Bucket=self.bucket, Key=name)
            return bytes(response["Body"].read())

    def delete(self, key: str) -> None:
        name = self.object_key(key)
        with self._storage("delete", name):
            self.client.delete_object(Bucket=self.bucket, Key=name)  # absent: fine

    def delete_prefix(self, prefix: str, keep: str | None = None) -> None:
        """Every object under `prefix/` but `keep`: listed page by page, deleted in
        batches."""
        root = self.object_key(prefix) + "/"
        kept = self.object_key(keep) if keep is not None else None
        with self._storage("delete", root):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=root, PaginationConfig={"PageSize": self.delete_batch})
            for page in pages:
                objects = [{"Key": item["Key"]} for item in page.get("Contents", [])
                           if item["Key"] != kept]
                if not objects:
                    continue
                answer = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
                if answer.get("Errors"):
                    first = answer["Errors"][0]
                    raise StorageUnavailable(
                        f"S3 could not delete {len(answer['Errors'])} object(s) under "
                        f"{root!r}, first {first.get('Key')!r}: {first.get('Code')}")

    def signed_url(self, key: str, ttl_s: int, base_url: str) -> str:
        """A presigned GET (SigV4, so at most 7 days); `base_url` plays no part."""
        name = self.object_key(key)
        with self._storage("presign", name):
            return str(self._presigner.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": name}, ExpiresIn=ttl_s))

    def ping(self) -> None:
        with self._storage("head", f"s3://{self.bucket}"):
            self.client.head_bucket(Bucket=self.bucket)


def _raise(action: str, key: str, exc: ClientError) -> NoReturn:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    if action == "download" and code in _MISSING:
        raise FileNotFoundError(f"no object {key!r}") from exc
    raise StorageUnavailable(
        f"S3 {action} of {key!r} failed: {code} {error.get('Message', '')}".rstrip()) from exc
