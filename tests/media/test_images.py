"""media.images: sniffing, checking and normalising a user's image from its bytes."""

from __future__ import annotations

import base64
import io
import time
import zlib
from functools import cache

import numpy as np
import pytest
from PIL import Image

from stillmotion.media.errors import InputError
from stillmotion.media.images import decode_data_uri, decode_rgb, inspect_image, sniff_format
from tests.conftest import encode, photo


@cache
def sized(width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(photo("coffee")).resize((width, height), Image.LANCZOS))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def _png(width: int, height: int, bit_depth: int, color_type: int, idat: bytes) -> bytes:
    ihdr = (width.to_bytes(4, "big") + height.to_bytes(4, "big")
            + bytes([bit_depth, color_type, 0, 0, 0]))
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat)
            + _chunk(b"IEND", b""))


def _png_rgb16(rgb16: np.ndarray) -> bytes:
    """A 16-bit-per-channel RGB PNG, written by hand (Pillow cannot write one)."""
    height, width, _ = rgb16.shape
    raw = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in rgb16)
    return _png(width, height, 16, 2, zlib.compress(raw))


def _mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int64) - b.astype(np.int64)).mean())


# --- sniffing -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,expected", [("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp"),
                                          ("GIF", None), ("BMP", None), ("TIFF", None),
                                          ("ICO", None), ("PPM", None)])
def test_sniff_format_reads_the_magic_bytes(fmt, expected):
    assert sniff_format(encode(sized(64, 48), fmt)) == expected


@pytest.mark.parametrize("data", [b"", b"\x89PN", b"RIFF\x00\x00\x00\x00WAVE", b"<svg/>",
                                  b"GIF89a", b"\x00\x00\x00\x18ftypheic"])
def test_sniff_format_refuses_everything_else(data):
    assert sniff_format(data) is None


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_inspect_refuses_other_formats(fmt):
    with pytest.raises(InputError, match="PNG, JPEG or WebP"):
        inspect_image(encode(sized(64, 48), fmt))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize("keep", [0.5, 0.9, 60], ids=["half", "most", "header"])
def test_truncated_image_is_refused_by_inspect_and_decode(fmt, keep):
    data = encode(sized(300, 200), fmt)
    cut = data[:keep] if isinstance(keep, int) else data[: int(len(data) * keep)]
    with pytest.raises(InputError, match=f"{fmt}"):
        inspect_image(cut)
    with pytest.raises(InputError, match=f"{fmt}"):
        decode_rgb(cut)


# --- size and aspect ------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,name", [("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp")])
def test_inspect_reports_format_and_size(fmt, name):
    info = inspect_image(encode(sized(150, 100), fmt))
    assert (info.format, info.width, info.height) == (name, 150, 100)


@pytest.mark.parametrize("width,height,ok", [(400, 100, True), (100, 400, True),
                                             (401, 100, False), (100, 401, False),
                                             (500, 100, False), (100, 500, False)])
def test_aspect_ratio_rule(width, height, ok):
    data = encode(sized(width, height), "PNG")
    if ok:
        assert (inspect_image(data).width, inspect_image(data).height) == (width, height)
        assert decode_rgb(data).shape == (height, width, 3)
    else:
        for check in (inspect_image, decode_rgb):
            with pytest.raises(InputError, match="aspect ratio"):
                check(data)


# --- EXIF orientation ------------------------------------------------------------------------

UPRIGHT = {  # what a viewer shows for each EXIF Orientation value, from the stored pixels
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),
    8: lambda a: np.rot90(a, 1),
}


def _with_orientation(stored: np.ndarray, orientation: int, fmt: str) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    extra = {"quality": 95} if fmt == "JPEG" else {}
    return encode(stored, fmt, exif=exif.tobytes(), **extra)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_png_exactly(orientation):
    stored = sized(120, 60)
    data = _with_orientation(stored, orientation, "PNG")
    expected = UPRIGHT[orientation](stored)
    assert np.array_equal(decode_rgb(data), expected)
    info = inspect_image(data)
    assert (info.height, info.width) == expected.shape[:2]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_jpeg(orientation):
    stored = sized(120, 60)
    data = _with_orientation(stored, orientation, "JPEG")
    expected = UPRIGHT[orientation](stored)
    decoded = decode_rgb(data)
    assert decoded.shape == expected.shape
    assert _mean_abs(decoded, expected) < 4
    for other, view in UPRIGHT.items():  # and the check tells every orientation apart
        if other != orientation and view(stored).shape == expected.shape:
            assert _mean_abs(decoded, view(stored)) > 10
    info = inspect_image(data)
    assert (info.height, info.width) == expected.shape[:2]


def test_exif_rotated_600x300_counts_as_300x600():
    data = _with_orientation(sized(600, 300), 6, "JPEG")
    info = inspect_image(data)
    assert (info.width, info.height) == (300, 600)
    assert decode_rgb(data).shape == (600, 300, 3)


# --- colour modes: everything ends as 8-bit RGB -----------------------------------------------

def test_decode_returns_contiguous_uint8_rgb():
    out = decode_rgb(encode(sized(150, 100), "PNG"))
    assert out.dtype == np.uint8 and out.shape == (100, 150, 3) and out.flags.c_contiguous
    assert np.array_equal(out, sized(150, 100))


def test_alpha_png_is_flattened_on_white():
    rgb = sized(150, 100)
    alpha = np.zeros((100, 150), np.uint8)
    alpha[:, 50:100] = 128
    alpha[:, 100:] = 255
    out = decode_rgb(encode(np.dstack([rgb, alpha]), "PNG"))
    assert out.shape == (100, 150, 3)
    assert (out[:, :50] == 255).all()  # fully transparent: white, not black
    assert np.array_equal(out[:, 100:], rgb[:, 100:])  # opaque: untouched
    blend = rgb[:, 50:100].astype(float) * 128 / 255 + 255 * 127 / 255
    assert np.abs(out[:, 50:100] - blend).max() <= 1.5


def test_gray_with_alpha_png_is_flattened_on_white():
    la = np.dstack([np.full((50, 80), 40, np.uint8), np.zeros((50, 80), np.uint8)])
    la[:, 40:, 1] = 255
    out = decode_rgb(encode(Image.fromarray(la, "LA"), "PNG"))
    assert (out[:, :40] == 255).all() and (out[:, 40:] == 40).all()


def test_grayscale_png_becomes_equal_rgb_channels():
    gray = np.asarray(Image.fromarray(sized(150, 100)).convert("L"))
    out = decode_rgb(encode(gray, "PNG"))
    assert out.shape == (100, 150, 3)
    for channel in range(3):
        assert np.array_equal(out[..., channel], gray)


def test_16_bit_grayscale_png_is_scaled_not_clipped():
    ramp = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (64, 1))
    data = encode(Image.fromarray(ramp), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    out = decode_rgb(data)
    assert out.shape == (64, 256, 3)
    assert np.abs(out[..., 0].astype(int) - np.round(ramp / 257)).max() <= 1
    assert out[0, 0, 0] == 0 and out[0, -1, 0] == 255


def test_dark_16_bit_grayscale_png_stays_dark():
    dark = np.full((40, 60), 200, np.uint16)  # 200/65535: near black
    assert decode_rgb(encode(Image.fromarray(dark), "PNG")).max() <= 1


def test_16_bit_rgb_png_is_scaled_to_8_bit():
    rgb16 = sized(90, 60).astype(np.uint16) * 257
    out = decode_rgb(_png_rgb16(rgb16))
    assert np.abs(out.astype(int) - sized(90, 60)).max() <= 1


def test_cmyk_jpeg_is_converted_with_true_colours():
    rgb = sized(150, 100)
    data = encode(Image.fromarray(rgb).convert("CMYK"), "JPEG", quality=95)
    assert sniff_format(data) == "jpeg"
    out = decode_rgb(data)
    assert _mean_abs(out, rgb) < 4  # an inverted CMYK would be about 128 off
    assert inspect_image(data).format == "jpeg"


def test_palette_png_with_transparency_flattens_the_transparent_index_on_white():
    index = np.zeros((40, 80), np.uint8)
    index[:, 40:] = 1
    image = Image.fromarray(index, "P")
    image.putpalette([10, 20, 30, 200, 50, 0] + [0] * 762)
    out = decode_rgb(encode(image, "PNG", transparency=0))
    assert (out[:, :40] == 255).all()
    assert (out[:, 40:] == (200, 50, 0)).all()


def test_palette_png_without_transparency_keeps_its_colours():
    index = np.zeros((40, 80), np.uint8)
    index[:, 40:] = 1
    image = Image.fromarray(index, "P")
    image.putpalette([10, 20, 30, 200, 50, 0] + [0] * 762)
    out = decode_rgb(encode(image, "PNG"))
    assert (out[:, :40] == (10, 20, 30)).all() and (out[:, 40:] == (200, 50, 0)).all()


def test_one_bit_png_is_black_and_white():
    bits = np.zeros((40, 80), bool)
    bits[:, 40:] = True
    out = decode_rgb(encode(Image.fromarray(bits), "PNG"))
    assert (out[:, :40] == 0).all() and (out[:, 40:] == 255).all()


def test_lossless_webp_decodes_exactly():
    rgb = sized(150, 100)
    data = encode(rgb, "WEBP", lossless=True)
    assert inspect_image(data).format == "webp"
    assert np.array_equal(decode_rgb(data), rgb)


def test_webp_with_alpha_is_flattened_on_white():
    rgba = np.dstack([sized(150, 100), np.zeros((100, 150), np.uint8)])
    rgba[:, 75:, 3] = 255
    out = decode_rgb(encode(rgba, "WEBP", lossless=True))
    assert (out[:, :75] == 255).all()
    assert np.array_equal(out[:, 75:], sized(150, 100)[:, 75:])


# --- pixel cap: refused from the header, before any decode -----------------------------------

def test_pixel_cap_boundary_for_inspect_and_decode():
    data = encode(sized(150, 100), "PNG")
    assert inspect_image(data, max_pixels=15000).width == 150
    assert decode_rgb(data, max_pixels=15000).shape == (100, 150, 3)
    for check in (inspect_image, decode_rgb):
        with pytest.raises(InputError, match="15000 pixels; the limit is 14999"):
            check(data, max_pixels=14999)


def test_pixel_cap_is_read_from_the_header():
    # The header claims 40000 x 20000 and the pixel data is garbage: the refusal names the
    # header's pixel count, so the count was checked without decoding.
    bomb = _png(40000, 20000, 8, 2, b"\x78\x9c\xff" * 8)
    for check in (inspect_image, decode_rgb):
        with pytest.raises(InputError, match="40000x20000 = 800000000 pixels"):
            check(bomb)


def test_real_decompression_bomb_is_refused_before_it_is_decoded():
    # 8000 x 8000 grey zeros: 64 MB of pixels in about 65 kB of PNG.
    row = bytes(8001)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row * 100) for _ in range(80)) + compressor.flush()
    bomb = _png(8000, 8000, 8, 0, idat)
    assert len(bomb) < 200_000
    start = time.perf_counter()
    with pytest.raises(InputError, match="64000000 pixels; the limit is 50000000"):
        inspect_image(bomb)
    refused_s = time.perf_counter() - start
    start = time.perf_counter()
    assert inspect_image(bomb, max_pixels=64_000_000).width == 8000  # the full decode
    decoded_s = time.perf_counter() - start
    assert refused_s < decoded_s / 10, (refused_s, decoded_s)


# --- corrupt pixel data ---------------------------------------------------------------------

def _png_with_corrupt_pixel_data() -> bytes:
    """A real photo PNG with 16 bytes zeroed in the middle of its compressed pixel data."""
    png = bytearray(encode(sized(300, 200), "PNG"))
    at = png.find(b"IDAT") + 4 + 2000
    png[at:at + 16] = bytes(16)
    return bytes(png)


@pytest.mark.parametrize("make", [
    pytest.param(_png_with_corrupt_pixel_data, id="zeroed-bytes-in-idat"),
    pytest.param(lambda: _png(300, 200, 8, 2, b"\x78\x9c\xff" * 8), id="garbage-idat"),
])
def test_png_whose_pixel_data_does_not_decode_is_refused(make):
    data = make()
    with pytest.raises(InputError, match="PNG"):
        inspect_image(data)
    with pytest.raises(InputError, match="PNG"):
        decode_rgb(data)


# --- data URIs -------------------------------------------------------------------------------

PNG = encode(sized(64, 48), "PNG")


@pytest.mark.parametrize("prefix", ["data:image/png;base64,", "data:image/jpeg;base64,",
                                    "data:image/jpg;base64,", "data:image/webp;base64,",
                                    "data:IMAGE/PNG;base64,", "data:image/png;name=a.png;base64,"])
def test_data_uri_returns_the_payload(prefix):
    assert decode_data_uri(prefix + base64.b64encode(PNG).decode()) == PNG


@pytest.mark.parametrize("uri,match", [
    ("data:;base64,{b64}", "content type"),
    ("data:base64,{b64}", "not supported"),
    ("data:image/gif;base64,{b64}", "image/gif"),
    ("data:text/plain;base64,{b64}", "text/plain"),
    ("data:image/png,{b64}", "base64"),
    ("data:image/png;base64,{b64}!!", "base64"),
    ("data:image/png;base64,{b64}\n{b64}", "base64"),
    ("image/png;base64,{b64}", "data URI"),
    ("data:image/png;base64", "data URI"),
])
def test_bad_data_uri_is_refused(uri, match):
    with pytest.raises(InputError, match=match):
        decode_data_uri(uri.format(b64=base64.b64encode(PNG).decode()))


def test_data_uri_size_limit_is_strictly_under():
    under = "data:image/png;base64," + base64.b64encode(bytes(99)).decode()
    at = "data:image/png;base64," + base64.b64encode(bytes(100)).decode()
    assert len(decode_data_uri(under, max_bytes=100)) == 99
    with pytest.raises(InputError, match="under"):
        decode_data_uri(at, max_bytes=100)


def test_oversized_data_uri_is_refused_before_it_is_decoded():
    # Invalid base64 that is also too long: the size answer shows nothing was decoded.
    with pytest.raises(InputError, match="under"):
        decode_data_uri("data:image/png;base64," + "@" * 4000, max_bytes=1000)
