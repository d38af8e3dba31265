"""BlobStore: where input images and output videos live, and how clients download them.

Two stores behind one protocol: `LocalBlobStore` keeps files in a directory and mints
HMAC-signed, expiring URLs that the API serves itself; `S3BlobStore` (stillmotion.blobs.s3,
boto3) keeps objects in a bucket and hands out presigned URLs. `make_blob_store` picks
the configured one.
"""

from stillmotion.blobs.base import BlobStore, StorageUnavailable, check_key, content_type
from stillmotion.blobs.factory import make_blob_store
from stillmotion.blobs.local import DOWNLOAD_ROUTE, LocalBlobStore, UrlSigner

__all__ = ["DOWNLOAD_ROUTE", "BlobStore", "LocalBlobStore", "StorageUnavailable", "UrlSigner",
           "check_key", "content_type", "make_blob_store"]
