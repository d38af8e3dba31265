"""Fixtures of the blob tests; the S3 endpoint (moto's server mode) is `tests.s3`, started
once per session by the root conftest's `moto` fixture."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.s3 import ACCESS_KEY, REGION, SECRET_KEY, MotoServer  # noqa: F401 - re-exported


@pytest.fixture
def s3(moto: MotoServer) -> Any:
    """A plain boto3 client on the endpoint, for looking behind the store's back."""
    return moto.client()


@pytest.fixture
def bucket(s3: Any) -> str:
    """A fresh, empty bucket per test."""
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


def keys_in(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))
