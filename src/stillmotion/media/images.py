"""Image intake: sniff, check and normalise a user's image from its bytes.

The same `decode_rgb` runs at submit (to refuse bad images before the 200 answer) and in
the worker (from the stored original bytes), so what is checked is what is rendered.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from stillmotion import defaults
from stillmotion.media.errors import InputError

# Pillow's own bomb guard would warn or raise at its own limit; ours (max_pixels, checked
# from the header before any pixel is decoded) replaces it so the limit is the operator's.
Image.MAX_IMAGE_PIXELS = None

_DATA_URI = re.compile(r"^data:([A-Za-z0-9.+/-]*)(;[^,]*)?,", re.ASCII)
_DATA_URI_TYPES = {"image/png", "image/jpeg", "image/jpg", "image/webp"}
_PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


@dataclass(frozen=True)
class ImageInfo:
    """What intake learned of an image: its sniffed format and upright size."""

    format: str  # "png" | "jpeg" | "webp"
    width: int
    height: int


def sniff_format(data: bytes) -> str | None:
    """The format from magic bytes: the sender's claims are never trusted."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def decode_data_uri(uri: str, max_bytes: int = defaults.MAX_DATA_URI_BYTES) -> bytes:
    """The payload of `data:image/<type>;base64,<data>`; the content type is mandatory."""
    m = _DATA_URI.match(uri)
    if not m:
        raise InputError("is not a valid data URI (expected data:image/png;base64,...)")
    ctype, params = m.group(1).lower(), (m.group(2) or "").lower()
    if not ctype:
        raise InputError(
            "data URI must include its content type, e.g. data:image/png;base64,..."
        )
    if ctype not in _DATA_URI_TYPES:
        raise InputError(f"content type {ctype!r} is not supported (png, jpeg, jpg, webp)")
    if ";base64" not in params:
        raise InputError("data URI must be base64-encoded (data:image/png;base64,...)")
    payload = uri[m.end() :]
    # Refuse before decoding: base64 is 4 characters per 3 bytes.
    if (len(payload.rstrip("=")) * 3) // 4 >= max_bytes:
        raise InputError(f"decoded image must be under {max_bytes // (1024 * 1024)} MB")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("data URI payload is not valid base64") from None
    if len(data) >= max_bytes:
        raise InputError(f"decoded image must be under {max_bytes // (1024 * 1024)} MB")
    return data


def _open(data: bytes, max_pixels: int) -> tuple[Image.Image, str]:
    fmt = sniff_format(data)
    if fmt is None:
        raise InputError("is not a PNG, JPEG or WebP image (format is read from the bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's metadata chatter is not the user's error
            img = Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[fmt]])
    except Exception:
        raise InputError(f"is not a readable {fmt.upper()} image") from None
    w, h = img.size
    if w < 1 or h < 1:
        raise InputError("has no pixels")
    if w * h > max_pixels:
        raise InputError(
            f"has {w}x{h} = {w * h} pixels; the limit is {max_pixels} pixels"
        )
    return img, fmt


def _upright_size(img: Image.Image) -> tuple[int, int]:
    """Width and height after EXIF orientation, read from the header alone."""
    w, h = img.size
    try:
        orientation = img.getexif().get(0x0112, 1)
    except Exception:
        orientation = 1
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _check_aspect(w: int, h: int) -> None:
    ratio = w / h
    if not defaults.MIN_ASPECT <= ratio <= defaults.MAX_ASPECT:
        raise InputError(
            f"aspect ratio {w}:{h} is outside the allowed range 1:4 to 4:1"
        )


def _to_rgb8(img: Image.Image) -> Image.Image:
    """8-bit RGB from any mode Pillow reads: alpha on white, 16-bit scaled, CMYK converted."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        peak = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        img = Image.fromarray(np.clip(arr * (255.0 / peak) + 0.5, 0, 255).astype(np.uint8))
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    if img.mode != "RGB":
        img = img.convert("RGB")
    return img


def inspect_image(data: bytes, max_pixels: int = defaults.MAX_IMAGE_PIXELS) -> ImageInfo:
    """Check an image completely (format, size, aspect, every pixel decodes) without keeping it."""
    img, fmt = _open(data, max_pixels)
    w, h = _upright_size(img)
    _check_aspect(w, h)
    try:
        img.load()
    except Exception:
        raise InputError(f"is a truncated or corrupt {fmt.upper()} image") from None
    return ImageInfo(format=fmt, width=w, height=h)


def decode_rgb(data: bytes, max_pixels: int = defaults.MAX_IMAGE_PIXELS) -> np.ndarray:
    """The upright image as an HxWx3 uint8 RGB array, exactly as the user sees it."""
    img, fmt = _open(data, max_pixels)
    _check_aspect(*_upright_size(img))
    try:
        img.load()
        img = ImageOps.exif_transpose(img)
    except Exception:
        raise InputError(f"is a truncated or corrupt {fmt.upper()} image") from None
    return np.ascontiguousarray(np.asarray(_to_rgb8(img), dtype=np.uint8))
