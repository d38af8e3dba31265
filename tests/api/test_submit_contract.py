"""POST /v3/async/vidu-2.0-img2video against CONTRACT.md, one rule per test.

Rejections go to the shared server (they create nothing); submits that must only be
*accepted* go to the API-only server (no render queued); the few that must finish go to the
shared server and are checked on the real MP4 it serves.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterator
from functools import cache
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.api.conftest import SUBMIT, accepted_task, assert_error, post_raw, request_info
from tests.conftest import (
    Server,
    data_uri,
    decode_video,
    encode,
    photo,
    png_uri,
    psnr,
    wait_for,
)

BAD = "INVALID_REQUEST_BODY"
MB = 1024 * 1024


@cache
def sized(width: int, height: int) -> np.ndarray:
    """scikit-image's coffee photo resized to width x height, as RGB uint8."""
    return np.asarray(Image.fromarray(photo("coffee")).resize((width, height), Image.LANCZOS))


@cache
def small_uri() -> str:
    return png_uri(sized(150, 100))


def body(**fields: Any) -> dict[str, Any]:
    return {"images": [small_uri()], **fields}


def post(client: httpx.Client, payload: Any) -> httpx.Response:
    return client.post(SUBMIT, json=payload)


# --- image format: sniffed from the bytes, whatever the data URI claims ----------------------

def _heic_header() -> bytes:
    return b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)


def _truncated_png() -> bytes:
    data = encode(sized(150, 100), "PNG")
    return data[: len(data) // 2]


def _truncated_png_header_only() -> bytes:
    return encode(sized(150, 100), "PNG")[:40]


def _truncated_jpeg() -> bytes:
    data = encode(sized(150, 100), "JPEG")
    return data[: len(data) // 2]


def _corrupt_png() -> bytes:
    """A real photo PNG with 16 bytes zeroed in the middle of its compressed pixel data."""
    png = bytearray(encode(sized(300, 200), "PNG"))
    at = png.find(b"IDAT") + 4 + 2000
    png[at:at + 16] = bytes(16)
    return bytes(png)


NOT_AN_ACCEPTED_IMAGE = {
    "gif": lambda: encode(sized(150, 100), "GIF"),
    "bmp": lambda: encode(sized(150, 100), "BMP"),
    "tiff": lambda: encode(sized(150, 100), "TIFF"),
    "plain-text": lambda: b"this is a plain text file, not a picture\n",
    "svg": lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="150" height="100"/>',
    "heic": _heic_header,
    "empty": lambda: b"",
    "truncated-png": _truncated_png,
    "truncated-png-header": _truncated_png_header_only,
    "truncated-jpeg": _truncated_jpeg,
    "corrupt-png-data": _corrupt_png,
}


@pytest.mark.parametrize("kind", sorted(NOT_AN_ACCEPTED_IMAGE))
def test_payload_that_is_not_png_jpeg_or_webp_is_refused_although_labelled_png(api, kind):
    payload = NOT_AN_ACCEPTED_IMAGE[kind]()
    response = post(api, {"images": [data_uri(payload, "image/png")]})
    assert_error(response, 400, BAD, "images[0]")


def test_jpeg_bytes_labelled_png_are_accepted_by_their_real_format(api_only):
    uri = data_uri(encode(sized(150, 100), "JPEG"), "image/png")
    accepted_task(api_only, post(api_only, {"images": [uri]}))


@pytest.mark.parametrize("mime", ["image/png", "image/jpeg", "image/jpg", "image/webp"])
def test_each_declared_data_uri_type_is_accepted(api_only, mime):
    fmt = {"image/png": "PNG", "image/webp": "WEBP"}.get(mime, "JPEG")
    uri = data_uri(encode(sized(150, 100), fmt), mime)
    accepted_task(api_only, post(api_only, {"images": [uri]}))


# --- aspect ratio: width/height within [1/4, 4] ----------------------------------------------

@pytest.mark.parametrize("width,height", [(500, 100), (100, 500), (401, 100), (100, 401)],
                         ids=["5:1", "1:5", "just-over-4:1", "just-over-1:4"])
def test_aspect_ratio_outside_one_quarter_to_four_is_refused(api, width, height):
    response = post(api, {"images": [png_uri(sized(width, height))]})
    assert_error(response, 400, BAD, "images[0]", "aspect")


@pytest.mark.parametrize("width,height", [(400, 100), (100, 400)], ids=["4:1", "1:4"])
def test_aspect_ratio_of_exactly_four_is_accepted(api_only, width, height):
    accepted_task(api_only, post(api_only, {"images": [png_uri(sized(width, height))]}))


# --- data URI shape ---------------------------------------------------------------------------

def test_data_uri_without_content_type_is_refused(api):
    payload = base64.b64encode(encode(sized(150, 100), "PNG")).decode()
    response = post(api, {"images": ["data:;base64," + payload]})
    assert_error(response, 400, BAD, "images[0]", "content type")


@pytest.mark.parametrize("mime,fmt", [("image/gif", "GIF"), ("image/bmp", "BMP"),
                                      ("image/svg+xml", None), ("text/plain", None)])
def test_data_uri_with_unsupported_content_type_is_refused(api, mime, fmt):
    payload = encode(sized(150, 100), fmt) if fmt else b"<svg/>"
    response = post(api, {"images": [data_uri(payload, mime)]})
    body_ = assert_error(response, 400, BAD, "images[0]")
    assert mime in body_["message"]


def test_data_uri_payload_that_is_not_base64_is_refused(api):
    response = post(api, {"images": ["data:image/png;base64,@@not*base64!!"]})
    assert_error(response, 400, BAD, "images[0]", "base64")


def test_data_uri_that_is_not_base64_encoded_is_refused(api):
    response = post(api, {"images": ["data:image/png,%89PNG%0D%0A"]})
    assert_error(response, 400, BAD, "images[0]", "base64")


def _oversize_body(decoded_bytes: int) -> bytes:
    """A JSON body whose data URI decodes to exactly `decoded_bytes` zero bytes, built cheaply."""
    full, rest = divmod(decoded_bytes, 3)
    b64 = b"A" * (4 * full) + {0: b"", 1: b"AA==", 2: b"AAA="}[rest]
    return b'{"images": ["data:image/png;base64,' + b64 + b'"]}'


def test_data_uri_decoding_to_ten_megabytes_is_refused(api):
    response = post_raw(api, _oversize_body(10 * MB))
    assert_error(response, 400, BAD, "images[0]", "10 MB")


def test_data_uri_one_byte_under_ten_megabytes_passes_the_size_rule(api):
    # Zero bytes are no image: the answer is 400 for the format, not for the size.
    response = post_raw(api, _oversize_body(10 * MB - 1))
    body_ = assert_error(response, 400, BAD, "images[0]")
    assert "MB" not in body_["message"]


def test_real_png_of_just_under_ten_megabytes_is_accepted(api_only):
    png = encode(sized(150, 100), "PNG")
    padded = png + bytes(10 * MB - 1 - len(png))  # trailing bytes after IEND are ignored
    assert len(padded) == 10 * MB - 1
    accepted_task(api_only, post(api_only, {"images": [data_uri(padded)]}))
    too_big = png + bytes(10 * MB - len(png))
    assert_error(post(api_only, {"images": [data_uri(too_big)]}), 400, BAD, "images[0]", "MB")


# --- the images array --------------------------------------------------------------------------

@pytest.mark.parametrize("images", [
    pytest.param(lambda uri: [uri, uri], id="two"),
    pytest.param(lambda uri: [], id="zero"),
    pytest.param(lambda uri: uri, id="string-not-array"),
    pytest.param(lambda uri: {"0": uri}, id="object-not-array"),
    pytest.param(lambda uri: None, id="null"),
    pytest.param(lambda uri: [123], id="number-item"),
    pytest.param(lambda uri: [""], id="empty-string"),
])
def test_images_must_be_an_array_of_exactly_one_string(api, images):
    response = post(api, {"images": images(small_uri())})
    assert_error(response, 400, BAD, "images")


def test_missing_images_is_refused(api):
    response = post(api, {"prompt": "slow push in"})
    assert_error(response, 400, BAD, "images")


@pytest.mark.parametrize("reference", ["photo.jpg", "just some words", "ftp://example.com/a.png",
                                       "file:///etc/passwd", "iVBORw0KGgoAAAANSUhEUgAA"])
def test_image_that_is_neither_url_nor_data_uri_is_refused(api, reference):
    response = post(api, {"images": [reference]})
    assert_error(response, 400, BAD, "images[0]")


# --- prompt ---------------------------------------------------------------------------------

def test_prompt_of_1501_characters_is_refused(api):
    assert_error(post(api, body(prompt="a" * 1501)), 400, BAD, "prompt", "1500")


def test_prompt_of_1500_characters_is_accepted_and_kept_whole(api_only):
    task = accepted_task(api_only, post(api_only, body(prompt="a" * 1500)))
    assert request_info(task)["prompt"] == "a" * 1500


@pytest.mark.parametrize("ascii_json", [False, True], ids=["utf8", "surrogate-escapes"])
def test_prompt_counts_unicode_code_points_1500_emoji_accepted(api_only, ascii_json):
    prompt = "\U0001f30a" * 1500  # 6000 UTF-8 bytes, 3000 UTF-16 units, 1500 code points
    content = json.dumps(body(prompt=prompt), ensure_ascii=ascii_json).encode()
    task = accepted_task(api_only, post_raw(api_only, content))
    assert request_info(task)["prompt"] == prompt


def test_prompt_of_1501_emoji_is_refused(api):
    assert_error(post(api, body(prompt="\U0001f30a" * 1501)), 400, BAD, "prompt")


def test_prompt_that_is_not_a_string_is_refused(api):
    assert_error(post(api, body(prompt=["zoom", "in"])), 400, BAD, "prompt")


# --- duration and resolution ------------------------------------------------------------------

@pytest.mark.parametrize("duration", [6, "4", 4.0, 0, -4, True, [4]],
                         ids=["6", "string-4", "float-4.0", "0", "-4", "true", "list"])
def test_duration_other_than_integer_4_or_8_is_refused(api, duration):
    assert_error(post(api, body(duration=duration)), 400, BAD, "duration")


@pytest.mark.parametrize("resolution", ["1080p", "360p"])
def test_eight_seconds_accepts_only_720p(api, resolution):
    response = post(api, body(duration=8, resolution=resolution))
    body_ = assert_error(response, 400, BAD, "resolution")
    assert resolution in body_["message"]


@pytest.mark.parametrize("fields,expected", [
    ({"duration": 8}, (8, "720p")),
    ({"duration": 8, "resolution": "720p"}, (8, "720p")),
    ({}, (4, "360p")),
    ({"duration": 4}, (4, "360p")),
    ({"duration": 4, "resolution": "1080p"}, (4, "1080p")),
    ({"duration": 4, "resolution": "720p"}, (4, "720p")),
], ids=["8s-default", "8s-720p", "all-default", "4s-default", "4s-1080p", "4s-720p"])
def test_duration_and_resolution_defaults(api_only, fields, expected):
    task = accepted_task(api_only, post(api_only, body(**fields)))
    stored = request_info(task)
    assert (stored["duration"], stored["resolution"]) == expected


@pytest.mark.parametrize("resolution", ["480p", "720P", "4k", 720, ""])
def test_unknown_resolution_is_refused(api, resolution):
    assert_error(post(api, body(resolution=resolution)), 400, BAD, "resolution")


# --- movement_amplitude, bgm --------------------------------------------------------------------

@pytest.mark.parametrize("amplitude", ["huge", "Large", "", 1])
def test_unknown_movement_amplitude_is_refused(api, amplitude):
    assert_error(post(api, body(movement_amplitude=amplitude)), 400, BAD, "movement_amplitude")


@pytest.mark.parametrize("amplitude", ["auto", "small", "medium", "large"])
def test_each_movement_amplitude_is_accepted(api_only, amplitude):
    task = accepted_task(api_only, post(api_only, body(movement_amplitude=amplitude)))
    assert request_info(task)["movement_amplitude"] == amplitude


@pytest.mark.parametrize("bgm", ["yes", 1, 0, "true"])
def test_bgm_must_be_a_boolean(api, bgm):
    assert_error(post(api, body(bgm=bgm)), 400, BAD, "bgm")


@pytest.mark.parametrize("bgm", [True, False])
def test_bgm_boolean_is_accepted(api_only, bgm):
    assert request_info(accepted_task(api_only, post(api_only, body(bgm=bgm))))["bgm"] is bgm


# --- seed -----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [-2, 2**32, "5", 5.0, True, 2**64],
                         ids=["-2", "2^32", "string", "float", "true", "2^64"])
def test_seed_outside_the_range_or_not_an_integer_is_refused(api, seed):
    assert_error(post(api, body(seed=seed)), 400, BAD, "seed")


@pytest.mark.parametrize("seed", [0, 1234, 2**32 - 1])
def test_seed_in_range_is_used_as_given(api_only, seed):
    task = accepted_task(api_only, post(api_only, body(seed=seed)))
    assert task["extra"]["seed"] == str(seed)
    assert request_info(task)["seed"] == seed


@pytest.mark.parametrize("fields", [{"seed": -1}, {}], ids=["minus-one", "absent"])
def test_seed_minus_one_or_absent_picks_a_random_seed_and_reports_it(api_only, fields):
    seeds = [accepted_task(api_only, post(api_only, body(**fields)))["extra"]["seed"]
             for _ in range(2)]
    for seed in seeds:
        assert isinstance(seed, str) and seed.isdigit()
        assert 0 <= int(seed) <= 2**32 - 1
    assert seeds[0] != seeds[1]  # two draws from 2^32 values


# --- the body itself -------------------------------------------------------------------------

@pytest.mark.parametrize("content", [b'{"images": [', b"not json at all", b"",
                                     b'{"images": ["x"],}', b'{"prompt": "\xff\xfe"}'],
                         ids=["unterminated", "words", "empty", "trailing-comma", "bad-utf8"])
def test_malformed_json_is_refused(api, content):
    assert_error(post_raw(api, content), 400, BAD, "body")


@pytest.mark.parametrize("value", [[{"images": []}], "images", 42, None],
                         ids=["list", "string", "number", "null"])
def test_json_that_is_not_an_object_is_refused(api, value):
    assert_error(post_raw(api, json.dumps(value).encode()), 400, BAD, "body")


def test_deeply_nested_json_is_a_400_not_a_server_error(api_only_server):
    # "No request, however malformed, gets a 5xx": 5000 nested arrays inside `images`.
    content = b'{"images": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    with api_only_server.client() as client:  # its own connection: a 500 may close it
        body_ = assert_error(post_raw(client, content), 400, BAD)
    assert "body" in body_["message"] or "images" in body_["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None],
                         ids=["text-plain", "form", "multipart", "absent"])
def test_content_type_other_than_json_is_refused(api, content_type):
    content = json.dumps(body()).encode()
    assert_error(post_raw(api, content, content_type), 400, BAD, "Content-Type")


def test_json_content_type_with_charset_is_accepted(api_only):
    content = json.dumps(body()).encode()
    accepted_task(api_only, post_raw(api_only, content, "application/json; charset=utf-8"))


def test_unknown_top_level_fields_are_ignored(api_only):
    fields = {"model": "vidu2.0", "callback_url": "https://example.com/hook",
              "aspect_ratio": "16:9", "style": {"anything": [1, 2, 3]}}
    task = accepted_task(api_only, post(api_only, body(**fields)))
    stored = request_info(task)
    assert not set(fields) & set(stored)
    assert stored["duration"] == 4


# --- request size cap: 413 ----------------------------------------------------------------

CAP = 64 * 1024


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """An API-only server with a 64 KiB body cap and a 10,000-pixel image cap."""
    srv = Server(tmp_path_factory.mktemp("capped-server"), workers=0, env={
        "STILLMOTION_MAX_REQUEST_BYTES": str(CAP),
        "STILLMOTION_MAX_IMAGE_PIXELS": "10000",
    }).start()
    yield srv
    srv.stop()


def _padded_body(size: int) -> bytes:
    """A valid submit body of exactly `size` bytes (an ignored field carries the padding)."""
    head = json.dumps({"images": [png_uri(sized(100, 100))], "pad": ""}).encode()
    assert len(head) < size
    return head[:-2] + b"x" * (size - len(head)) + b'"}'


def test_body_at_the_request_cap_is_accepted(capped_server):
    with capped_server.client() as client:
        content = _padded_body(CAP)
        assert len(content) == CAP
        accepted_task(client, post_raw(client, content))


def test_body_over_the_request_cap_is_413(capped_server):
    with capped_server.client() as client:
        content = _padded_body(CAP + 1)
        assert_error(post_raw(client, content), 413, "REQUEST_TOO_LARGE", "body")


def test_chunked_body_over_the_request_cap_is_413(capped_server):
    # No Content-Length: the cap must hold while the body streams in.
    content = _padded_body(2 * CAP)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(content), 4096):
            yield content[start:start + 4096]

    with capped_server.client() as client:
        response = post_raw(client, chunks())
        assert response.request.headers.get("transfer-encoding") == "chunked"
        assert_error(response, 413, "REQUEST_TOO_LARGE", "body")


# --- pixel cap --------------------------------------------------------------------------------

def test_image_over_the_pixel_cap_is_refused(capped_server):
    with capped_server.client() as client:
        response = post(client, {"images": [png_uri(sized(101, 100))]})
        body_ = assert_error(response, 400, BAD, "images[0]", "pixels")
        assert "10000" in body_["message"]


def test_image_at_the_pixel_cap_is_accepted(capped_server):
    with capped_server.client() as client:
        accepted_task(client, post(client, {"images": [png_uri(sized(100, 100))]}))


def _png_header_bomb(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height RGB pixels, with a corrupt IDAT: decoding it
    fails, so a refusal that names the pixel count proves the check came before the decode."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"\x78\x9c\xff" * 8)
            + chunk(b"IEND", b""))


def test_decompression_bomb_is_refused_from_its_header_at_the_default_cap(api):
    response = post(api, {"images": [data_uri(_png_header_bomb(40000, 20000))]})
    body_ = assert_error(response, 400, BAD, "images[0]", "pixels")
    assert "800000000" in body_["message"] and "50000000" in body_["message"]


# --- image modes through the API ------------------------------------------------------------

def _rgba_png() -> bytes:
    rgba = np.dstack([sized(150, 100), np.full((100, 150), 128, np.uint8)])
    return encode(rgba, "PNG")


def _gray_png() -> bytes:
    return encode(Image.fromarray(sized(150, 100)).convert("L"), "PNG")


def _gray16_png() -> bytes:
    gray = np.asarray(Image.fromarray(sized(150, 100)).convert("L"), dtype=np.uint16) * 257
    return encode(Image.fromarray(gray), "PNG")


def _palette_png() -> bytes:
    image = Image.fromarray(sized(150, 100)).quantize(16)
    return encode(image, "PNG", transparency=0)


def _cmyk_jpeg() -> bytes:
    return encode(Image.fromarray(sized(150, 100)).convert("CMYK"), "JPEG", quality=95)


IMAGE_MODES = {
    "rgba-png": ("image/png", _rgba_png),
    "gray-png": ("image/png", _gray_png),
    "gray16-png": ("image/png", _gray16_png),
    "palette-transparency-png": ("image/png", _palette_png),
    "cmyk-jpeg": ("image/jpeg", _cmyk_jpeg),
    "webp": ("image/webp", lambda: encode(sized(150, 100), "WEBP", quality=90)),
}


@pytest.mark.parametrize("kind", sorted(IMAGE_MODES))
def test_image_modes_are_accepted(api_only, kind):
    mime, make = IMAGE_MODES[kind]
    accepted_task(api_only, post(api_only, {"images": [data_uri(make(), mime)]}))


def _render(client: httpx.Client, uri: str) -> Any:
    response = post(client, {"images": [uri], "seed": 7})
    assert response.status_code == 200, response.text
    result = wait_for(client, response.json()["task_id"])
    assert result["task"]["status"] == "TASK_STATUS_SUCCEED", result
    video = httpx.get(result["videos"][0]["video_url"], timeout=30)
    assert video.status_code == 200
    return decode_video(video.content)


@pytest.mark.parametrize("kind", ["cmyk-jpeg", "webp"])
def test_cmyk_jpeg_and_webp_render_with_their_true_colours(api, kind):
    mime, make = IMAGE_MODES[kind]
    video = _render(api, data_uri(make(), mime))
    assert (video.width, video.height) == (540, 360)  # 3:2 at 360p
    expected = np.asarray(Image.fromarray(sized(150, 100)).resize((540, 360), Image.LANCZOS))
    assert psnr(video.frames[0], expected) > 28  # inverted CMYK: about 4 dB, mirrored: 12


def _exif_rotated_jpeg() -> bytes:
    """Stored 600x300, left half red and right half blue, EXIF Orientation=6 (rotate 90 CW):
    upright it is 300x600 with red on top."""
    stored = np.zeros((300, 600, 3), np.uint8)
    stored[:, :300] = (220, 30, 30)
    stored[:, 300:] = (30, 30, 220)
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(stored, "JPEG", quality=95, exif=exif.tobytes())


def test_exif_orientation_sets_the_output_size_and_the_first_frame(api):
    video = _render(api, data_uri(_exif_rotated_jpeg(), "image/jpeg"))
    assert (video.width, video.height) == (360, 720)  # 1:2 upright, not 2:1 as stored
    first = video.frames[0].astype(int)
    top, bottom = first[:300].mean(axis=(0, 1)), first[-300:].mean(axis=(0, 1))
    assert top[0] > top[2] + 100 and bottom[2] > bottom[0] + 100
