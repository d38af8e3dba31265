"""An image argument as the `images[0]` string the API takes."""

from __future__ import annotations

import base64
import os
from pathlib import Path

ImageInput = str | bytes | os.PathLike[str]


def sniff_image_type(data: bytes) -> str:
    """The content type the bytes really have; ValueError unless PNG, JPEG or WebP."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise ValueError("the image is not PNG, JPEG or WebP (the only formats the API takes)")


def to_data_uri(data: bytes) -> str:
    return f"data:{sniff_image_type(data)};base64,{base64.b64encode(data).decode('ascii')}"


def image_field(image: ImageInput) -> str:
    """A data URI or an http(s) URL passes as it is; a path or bytes become a data URI."""
    if isinstance(image, bytes | bytearray | memoryview):
        return to_data_uri(bytes(image))
    if isinstance(image, str):
        lowered = image[:8].lower()
        if lowered.startswith(("http://", "https://", "data:")):
            return image
    return to_data_uri(Path(image).read_bytes())
