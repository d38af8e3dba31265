"""S3BlobStore against a real S3 endpoint (moto's server mode over HTTP)."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest
from pydantic import ValidationError

from stillmotion.blobs import LocalBlobStore, StorageUnavailable, UrlSigner, make_blob_store
from stillmotion.blobs.s3 import MiB, S3BlobStore, parse_s3_url
from stillmotion.config import Settings
from tests.blobs.conftest import ACCESS_KEY, REGION, SECRET_KEY, MotoServer, keys_in
from tests.conftest import free_port


def make_store(endpoint: str, bucket: str, tmp: Path, prefix: str = "svc/blobs",
               **options: Any) -> S3BlobStore:
    return S3BlobStore(bucket, prefix, tmp, endpoint_url=endpoint, region=REGION,
                       access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY, **options)


@pytest.fixture
def store(moto: MotoServer, bucket: str, tmp_path: Path) -> S3BlobStore:
    return make_store(moto.endpoint, bucket, tmp_path / "scratch")


def test_put_read_delete_under_the_prefix(store: S3BlobStore, s3: Any, bucket: str) -> None:
    store.put_bytes("inputs/t1.png", b"\x89PNG not really")
    assert keys_in(s3, bucket) == ["svc/blobs/inputs/t1.png"]
    head = s3.head_object(Bucket=bucket, Key="svc/blobs/inputs/t1.png")
    assert head["ContentType"] == "image/png"
    assert store.read_bytes("inputs/t1.png") == b"\x89PNG not really"

    store.delete("inputs/t1.png")
    assert keys_in(s3, bucket) == []
    store.delete("inputs/t1.png")  # already gone: deleting again is fine
    with pytest.raises(FileNotFoundError):
        store.read_bytes("inputs/t1.png")


def test_put_file_uploads_and_consumes_the_scratch_file(store: S3BlobStore, s3: Any,
                                                        bucket: str) -> None:
    scratch = store.scratch_path(".mp4")
    assert scratch.parent == store.tmp and scratch != store.scratch_path(".mp4")
    payload = os.urandom(100_000)
    scratch.write_bytes(payload)
    store.put_file("outputs/t1/attempt.mp4", scratch)
    assert not scratch.exists()
    obj = s3.get_object(Bucket=bucket, Key="svc/blobs/outputs/t1/attempt.mp4")
    assert obj["Body"].read() == payload
    assert obj["ContentType"] == "video/mp4"


def test_large_files_go_up_in_parts(moto: MotoServer, s3: Any, bucket: str,
                                    tmp_path: Path) -> None:
    store = make_store(moto.endpoint, bucket, tmp_path, multipart_threshold=5 * MiB,
                       multipart_chunksize=5 * MiB)  # 5 MiB: S3's smallest part
    payload = os.urandom(11 * MiB)
    scratch = store.scratch_path(".mp4")
    scratch.write_bytes(payload)
    store.put_file("outputs/big/attempt.mp4", scratch)
    head = s3.head_object(Bucket=bucket, Key="svc/blobs/outputs/big/attempt.mp4")
    assert head["ETag"].strip('"').endswith("-3")  # a completed 3-part multipart upload
    assert head["ContentLength"] == len(payload)
    assert store.read_bytes("outputs/big/attempt.mp4") == payload
    # Nothing left half-done: no multipart upload remains open.
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_small_files_go_up_in_one_request(store: S3BlobStore, s3: Any, bucket: str) -> None:
    scratch = store.scratch_path(".mp4")
    scratch.write_bytes(os.urandom(1000))
    store.put_file("outputs/small/a.mp4", scratch)
    head = s3.head_object(Bucket=bucket, Key="svc/blobs/outputs/small/a.mp4")
    assert "-" not in head["ETag"]


def test_delete_prefix_removes_that_folder_only(moto: MotoServer, s3: Any, bucket: str,
                                                tmp_path: Path) -> None:
    # batches of 2: several pages and several DeleteObjects calls
    store = make_store(moto.endpoint, bucket, tmp_path / "scratch", delete_batch=2)
    for name in ("a", "b", "c", "d", "e"):
        store.put_bytes(f"outputs/t1/{name}.mp4", b"x")
    store.put_bytes("outputs/t10/z.mp4", b"x")  # same leading characters, another task
    store.put_bytes("inputs/t1.png", b"x")
    s3.put_object(Bucket=bucket, Key="outputs/t1/outside-the-prefix.mp4", Body=b"x")

    store.delete_prefix("outputs/t1")
    assert keys_in(s3, bucket) == ["outputs/t1/outside-the-prefix.mp4",
                                   "svc/blobs/inputs/t1.png", "svc/blobs/outputs/t10/z.mp4"]
    store.delete_prefix("outputs/t1")  # nothing left: fine


def test_delete_prefix_can_keep_one_blob(store: S3BlobStore, s3: Any, bucket: str,
                                         tmp_path: Path) -> None:
    """The winning attempt sweeps uploads of attempts killed before they recorded theirs."""
    local = LocalBlobStore(tmp_path / "blobs", tmp_path / "tmp", UrlSigner(b"k"))
    for blobs in (store, local):
        for name in ("killed-1", "winner", "killed-2"):
            blobs.put_bytes(f"outputs/t1/{name}.mp4", name.encode())
        blobs.put_bytes("outputs/t2/other.mp4", b"x")
        blobs.delete_prefix("outputs/t1", keep="outputs/t1/winner.mp4")
        assert blobs.read_bytes("outputs/t1/winner.mp4") == b"winner"
        assert blobs.read_bytes("outputs/t2/other.mp4") == b"x"
        for gone in ("killed-1", "killed-2"):
            with pytest.raises(FileNotFoundError):
                blobs.read_bytes(f"outputs/t1/{gone}.mp4")
    assert keys_in(s3, bucket, "svc/blobs/outputs/t1/") == ["svc/blobs/outputs/t1/winner.mp4"]


def sigv4_query_signature(url: str, secret: str) -> str:
    """The SigV4 query-string signature of a presigned GET, computed from the spec here
    (not by botocore), over the host, path, and every query parameter but the signature."""
    parts = urlsplit(url)
    params = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                    if k != "X-Amz-Signature")
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
                               for k, v in params)
    canonical = "\n".join(["GET", parts.path, canonical_query, f"host:{parts.netloc}", "",
                           "host", "UNSIGNED-PAYLOAD"])
    query = dict(params)
    scope = query["X-Amz-Credential"].split("/", 1)[1]  # date/region/s3/aws4_request
    to_sign = "\n".join(["AWS4-HMAC-SHA256", query["X-Amz-Date"], scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_presigned_url_downloads_without_credentials_and_expires(store: S3BlobStore) -> None:
    """moto's server does not check presigned signatures or expiry (verified: it serves an
    expired or tampered URL), so the expiry is checked where S3 and MinIO check it: the
    URL carries X-Amz-Date and X-Amz-Expires=TTL, and both are bound by a signature that
    this test recomputes independently with the secret key."""
    store.put_bytes("outputs/t1/a.mp4", b"the video")
    before = int(time.time())
    url = store.signed_url("outputs/t1/a.mp4", 2, "http://ignored.example")
    response = httpx.get(url, timeout=10)  # no API key, no AWS credentials
    assert response.status_code == 200 and response.content == b"the video"
    assert response.headers["content-type"] == "video/mp4"

    query = dict(parse_qsl(urlsplit(url).query))
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Credential"].startswith(f"{ACCESS_KEY}/")
    assert query["X-Amz-Expires"] == "2"  # valid until X-Amz-Date + 2 s, then refused
    signed_at = calendar.timegm(time.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
    assert before - 1 <= signed_at <= time.time() + 1
    assert query["X-Amz-Signature"] == sigv4_query_signature(url, SECRET_KEY)
    longer = url.replace("X-Amz-Expires=2", "X-Amz-Expires=3600")  # stretching it breaks it
    assert sigv4_query_signature(longer, SECRET_KEY) != query["X-Amz-Signature"]

    assert urlsplit(url).netloc == urlsplit(store.client.meta.endpoint_url).netloc
    assert "ignored.example" not in url
    time.sleep(1.1)  # a fresh URL on every call (the contract: minted per poll)
    assert store.signed_url("outputs/t1/a.mp4", 2, "") != url


def test_presigned_url_for_the_public_endpoint(moto: MotoServer, bucket: str,
                                               tmp_path: Path) -> None:
    """Clients may reach the storage under another name than the server does."""
    public = f"http://localhost:{moto.port}"
    store = make_store(moto.endpoint, bucket, tmp_path, public_endpoint_url=public,
                       addressing_style="path")
    store.put_bytes("outputs/t1/a.mp4", b"the video")
    url = store.signed_url("outputs/t1/a.mp4", 60, "")
    assert url.startswith(f"{public}/{bucket}/svc/blobs/outputs/t1/a.mp4?")
    # Signed for the host the client uses (the Host header is part of the signature).
    assert dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"] == sigv4_query_signature(
        url, SECRET_KEY)
    assert httpx.get(url, timeout=10).content == b"the video"


def test_an_unreachable_endpoint_is_storage_unavailable(tmp_path: Path) -> None:
    store = make_store(f"http://127.0.0.1:{free_port()}", "nowhere", tmp_path)
    with pytest.raises(StorageUnavailable):
        store.put_bytes("inputs/t1.png", b"x")
    with pytest.raises(StorageUnavailable):
        store.read_bytes("inputs/t1.png")
    scratch = store.scratch_path(".mp4")
    scratch.write_bytes(b"x")
    with pytest.raises(StorageUnavailable):
        store.put_file("outputs/t1/a.mp4", scratch)
    assert scratch.exists()  # a failed upload leaves the file for the caller to clean up
    with pytest.raises(StorageUnavailable):
        store.ping()
    assert isinstance(StorageUnavailable("x"), OSError)  # what the purger and CLI catch


def test_ping_and_a_missing_bucket(moto: MotoServer, store: S3BlobStore,
                                   tmp_path: Path) -> None:
    store.ping()
    missing = make_store(moto.endpoint, "no-such-bucket-here", tmp_path)
    with pytest.raises(StorageUnavailable):
        missing.ping()
    with pytest.raises(StorageUnavailable):
        missing.put_bytes("inputs/t1.png", b"x")


def test_keys_are_checked(store: S3BlobStore) -> None:
    for bad in ("../etc/passwd", "/abs", "a/../b", ""):
        with pytest.raises(ValueError):
            store.put_bytes(bad, b"x")


def test_parse_s3_url() -> None:
    assert parse_s3_url("s3://bucket") == ("bucket", "")
    assert parse_s3_url("s3://bucket/a/b/") == ("bucket", "a/b")
    with pytest.raises(ValueError):
        parse_s3_url("s3:///prefix")


def test_the_factory_picks_the_configured_store(moto: MotoServer, tmp_path: Path) -> None:
    local = make_blob_store(Settings(data_dir=tmp_path))
    assert isinstance(local, LocalBlobStore) and local.root == tmp_path / "blobs"

    elsewhere = make_blob_store(Settings(data_dir=tmp_path,
                                         storage_url=f"file://{tmp_path}/other"))
    assert isinstance(elsewhere, LocalBlobStore) and elsewhere.root == tmp_path / "other"

    s3_store = make_blob_store(Settings(
        data_dir=tmp_path, storage_url="s3://my-bucket/some/prefix/",
        s3_endpoint_url=moto.endpoint, s3_public_endpoint_url="https://cdn.example",
        s3_region=REGION, s3_access_key_id=ACCESS_KEY, s3_secret_access_key=SECRET_KEY,
        s3_addressing_style="path"))
    assert isinstance(s3_store, S3BlobStore)
    assert (s3_store.bucket, s3_store.prefix) == ("my-bucket", "some/prefix")
    assert s3_store.tmp == tmp_path / "tmp"
    assert s3_store.signed_url("a.mp4", 5, "").startswith(
        "https://cdn.example/my-bucket/some/prefix/a.mp4?")

    for bad in ("s3://", "gs://bucket/x", "file://relative/dir", "/just/a/path"):
        with pytest.raises(ValidationError):
            Settings(data_dir=tmp_path, storage_url=bad)


def test_local_ping_fails_when_the_directory_is_gone(tmp_path: Path) -> None:
    store = make_blob_store(Settings(data_dir=tmp_path))
    store.ping()
    assert isinstance(store, LocalBlobStore)
    store.root.rmdir()
    with pytest.raises(StorageUnavailable):
        store.ping()
