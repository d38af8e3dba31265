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
from stillmotion.media.errors import InputError, human_bytes

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
        raise InputError(f"decoded image must be under {human_bytes(max_bytes)}")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("data URI payload is not valid base64") from None
    if len(data) >= max_bytes:
        raise InputError(f"decoded image must be under {human_bytes(max_bytes)}")
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


def _check_aspect(w: int, h: int) -> None:
    """The allowed range is symmetric (1:4 to 4:1), so EXIF rotation cannot change the verdict
    and the check can run on the header's size, before any pixel is decoded."""
    ratio = w / h
    if not defaults.MIN_ASPECT <= ratio <= defaults.MAX_ASPECT:
        raise InputError(
            f"aspect ratio {w}:{h} is outside the allowed range 1:4 to 4:1"
        )


def _decode(data: bytes, max_pixels: int) -> tuple[Image.Image, str]:
    """Open, check size and aspect from the header, then decode every pixel.

    Decoding comes before reading EXIF: for PNG, Pillow finds EXIF only by reading the whole
    file, and a failure there must be the user's "corrupt image", never a silent default.
    """
    img, fmt = _open(data, max_pixels)
    _check_aspect(*img.size)
    try:
        img.load()
    except Exception:
        raise InputError(f"is a truncated or corrupt {fmt.upper()} image") from None
    return img, fmt


def _orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(0x0112, 1))
    except Exception:  # unreadable EXIF on an image that decoded fine: show it as stored
        return 1


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
    img, fmt = _decode(data, max_pixels)
    w, h = img.size
    if _orientation(img) in (5, 6, 7, 8):  # stored rotated by 90 degrees
        w, h = h, w
    return ImageInfo(format=fmt, width=w, height=h)


def decode_rgb(data: bytes, max_pixels: int = defaults.MAX_IMAGE_PIXELS) -> np.ndarray:
    """The upright image as an HxWx3 uint8 RGB array, exactly as the user sees it."""
    img, _fmt = _decode(data, max_pixels)
    if _orientation(img) != 1:
        img = ImageOps.exif_transpose(img)
    return np.ascontiguousarray(np.asarray(_to_rgb8(img), dtype=np.uint8))
