"""The one place that picks the configured BlobStore; every process goes through it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from stillmotion.blobs.base import BlobStore
from stillmotion.blobs.local import LocalBlobStore, UrlSigner
from stillmotion.config import Settings


def make_blob_store(settings: Settings) -> BlobStore:
    """Local files in data_dir by default; `storage_url` s3://bucket/prefix for S3
    (boto3 is imported only then), or file:///dir for a directory elsewhere."""
    url = settings.storage_url
    if url and url.startswith("s3://"):
        from stillmotion.blobs.s3 import S3BlobStore, parse_s3_url

        bucket, prefix = parse_s3_url(url)
        return S3BlobStore(
            bucket, prefix, settings.tmp_dir, endpoint_url=settings.s3_endpoint_url,
            public_endpoint_url=settings.s3_public_endpoint_url, region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            addressing_style=settings.s3_addressing_style)
    signer = UrlSigner(settings.secret())
    if url:  # file:///dir: scratch beside it (a rename publishes); keys never start with '.'
        root = Path(unquote(urlsplit(url).path))
        return LocalBlobStore(root, root / ".tmp", signer)
    return LocalBlobStore(settings.blob_dir, settings.tmp_dir, signer)
