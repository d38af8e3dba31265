"""Images by URL: fetched, checked and stored before the 200 answer, and never from a place
the operator has not allowed (SSRF). The images come from a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from stillmotion.media.errors import InputError
from stillmotion.media.fetch import (
    FetchLimits,
    fetch_image_bytes,
    is_forbidden_address,
    make_client,
)
from tests.api.conftest import SUBMIT, accepted_task, assert_error
from tests.conftest import Server, decode_video, encode, photo, wait_for

BAD = "INVALID_REQUEST_BODY"


def _coffee(width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(photo("coffee")).resize((width, height), Image.LANCZOS))


class ImageHost:
    """A real HTTP server (IPv4 and IPv6 loopback) that records every request it gets.

    /file/<name>            a stored file with its content type
    /status/<code>          that status with a short body
    /chain/<token>/<n>      n relative redirects, then the PNG
    /sized/<n>              n zero bytes with a Content-Length
    /stream                 1 KiB every 20 ms, no Content-Length, until the client leaves
    /drip                   headers, then one byte every 200 ms (never trips a read timeout)
    /hang                   accepts the request and never answers
    """

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        self.lock = threading.Lock()
        self.release = threading.Event()
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                with host.lock:
                    host.requests.append((self.path, self.headers.get("Host", "")))
                try:
                    host.answer(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        class V4Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that hangs up mid-answer is what some tests do

        class V6Server(V4Server):
            address_family = socket.AF_INET6

        self.v4 = V4Server(("127.0.0.1", 0), Handler)
        self.v6 = V6Server(("::1", 0), Handler)
        self.threads = [threading.Thread(target=s.serve_forever, daemon=True)
                        for s in (self.v4, self.v6)]
        for thread in self.threads:
            thread.start()

    @property
    def port(self) -> int:
        return int(self.v4.server_address[1])

    @property
    def port6(self) -> int:
        return int(self.v6.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def seen(self, prefix: str) -> list[str]:
        with self.lock:
            return [path for path, _ in self.requests if path.startswith(prefix)]

    def count(self) -> int:
        with self.lock:
            return len(self.requests)

    def answer(self, h: BaseHTTPRequestHandler) -> None:
        parts = h.path.split("?")[0].strip("/").split("/")
        if parts[0] == "file" and parts[1] in self.files:
            ctype, data = self.files[parts[1]]
            self._send(h, 200, data, ctype)
        elif parts[0] == "status":
            self._send(h, int(parts[1]), b"nothing here", "text/plain")
        elif parts[0] == "chain":
            remaining = int(parts[2])
            if remaining == 0:
                self._send(h, 200, self.files["photo.png"][1], "image/png")
            else:
                h.send_response(302)
                h.send_header("Location", f"../{parts[1]}/{remaining - 1}")
                h.send_header("Content-Length", "0")
                h.end_headers()
        elif parts[0] == "sized":
            self._send(h, 200, bytes(int(parts[1])), "image/png")
        elif parts[0] == "stream":
            h.send_response(200)
            h.send_header("Content-Type", "image/png")
            h.end_headers()
            while not self.release.wait(0.02):
                h.wfile.write(bytes(1024))
                h.wfile.flush()
        elif parts[0] == "drip":
            h.send_response(200)
            h.send_header("Content-Type", "image/png")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            while not self.release.wait(0.2):
                h.wfile.write(b"\x00")
                h.wfile.flush()
        elif parts[0] == "hang":
            self.release.wait(30)
        else:
            self._send(h, 404, b"no such path", "text/plain")

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, data: bytes, ctype: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def close(self) -> None:
        self.release.set()
        for server in (self.v4, self.v6):
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def host() -> Iterator[ImageHost]:
    image_host = ImageHost()
    image_host.files["photo.png"] = ("image/png", encode(_coffee(300, 200), "PNG"))
    image_host.files["photo.jpg"] = ("image/jpeg", encode(_coffee(300, 200), "JPEG"))
    image_host.files["anim.gif"] = ("image/png", encode(_coffee(300, 200), "GIF"))
    image_host.files["wide.png"] = ("image/png", encode(_coffee(500, 100), "PNG"))
    yield image_host
    image_host.close()


def submit_url(client: httpx.Client, url: str, **fields: Any) -> httpx.Response:
    return client.post(SUBMIT, json={"images": [url], **fields})


# --- private URLs allowed (the shared servers' configuration) ------------------------------------

def test_png_by_url_is_accepted_and_the_task_succeeds(api, host):
    before = len(host.seen("/file/photo.png"))
    response = submit_url(api, host.url("/file/photo.png"), seed=3)
    assert response.status_code == 200, response.text
    # Fetched once, before the answer: the worker never needs the network.
    assert len(host.seen("/file/photo.png")) == before + 1
    result = wait_for(api, response.json()["task_id"])
    assert result["task"]["status"] == "TASK_STATUS_SUCCEED", result
    video = decode_video(httpx.get(result["videos"][0]["video_url"], timeout=30).content)
    assert (video.width, video.height) == (540, 360)  # the 3:2 photo at 360p
    assert len(video.frames) == 96
    assert len(host.seen("/file/photo.png")) == before + 1


def test_url_fetch_sends_the_real_host_name(api_only, host):
    accepted_task(api_only, submit_url(api_only, host.url("/file/photo.jpg")))
    with host.lock:
        hosts = [h for path, h in host.requests if path == "/file/photo.jpg"]
    assert hosts[-1] == f"127.0.0.1:{host.port}"


def test_ipv6_literal_url_is_fetched_when_private_urls_are_allowed(api_only, host):
    url = f"http://[::1]:{host.port6}/file/photo.png?v6"
    accepted_task(api_only, submit_url(api_only, url))
    assert host.seen("/file/photo.png?v6") == ["/file/photo.png?v6"]


@pytest.mark.parametrize("status", [404, 500, 403])
def test_url_answering_an_error_status_is_refused(api, host, status):
    response = submit_url(api, host.url(f"/status/{status}"))
    body = assert_error(response, 400, BAD, "images[0]")
    assert str(status) in body["message"]


def test_url_serving_a_gif_labelled_png_is_refused(api, host):
    response = submit_url(api, host.url("/file/anim.gif"))
    assert_error(response, 400, BAD, "images[0]", "PNG, JPEG or WebP")


def test_url_image_breaking_the_aspect_rule_is_refused(api, host):
    response = submit_url(api, host.url("/file/wide.png"))
    assert_error(response, 400, BAD, "images[0]", "aspect")


@pytest.mark.parametrize("hops", [2, 3])
def test_redirect_chain_within_the_cap_is_followed(api_only, host, hops):
    token = f"ok{hops}"
    accepted_task(api_only, submit_url(api_only, host.url(f"/chain/{token}/{hops}")))
    assert host.seen(f"/chain/{token}/") == [f"/chain/{token}/{n}" for n in range(hops, -1, -1)]


@pytest.mark.parametrize("hops", [4, 5])
def test_redirect_chain_over_the_cap_is_refused_and_not_followed_further(api, host, hops):
    token = f"long{hops}"
    response = submit_url(api, host.url(f"/chain/{token}/{hops}"))
    assert_error(response, 400, BAD, "images[0]", "redirect")
    # The first request and 3 redirects were followed; nothing past the cap was fetched.
    assert host.seen(f"/chain/{token}/") == [f"/chain/{token}/{hops - n}" for n in range(4)]


def test_url_that_never_answers_is_refused_as_timed_out(api_only, host):
    start = time.monotonic()
    response = submit_url(api_only, host.url("/hang?api"))
    assert_error(response, 400, BAD, "images[0]", "timed out")
    assert time.monotonic() - start < 10
    assert host.seen("/hang?api") == ["/hang?api"]


def test_slow_drip_url_is_cut_off_by_the_total_timeout(api_only, host):
    # A byte every 200 ms never trips the 1 s read timeout; the 2 s total limit must.
    start = time.monotonic()
    response = submit_url(api_only, host.url("/drip?api"))
    assert_error(response, 400, BAD, "images[0]", "timed out")
    assert 1.5 < time.monotonic() - start < 10


def test_unresolvable_host_is_refused(api):
    response = submit_url(api, "http://no-such-host.invalid/photo.png")
    assert_error(response, 400, BAD, "images[0]", "resolved")


# --- private URLs not allowed (the default configuration) ------------------------------------

@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("strict-server"), workers=0,
                 env={"STILLMOTION_ALLOW_PRIVATE_URLS": "false"}).start()
    yield srv
    srv.stop()


FORBIDDEN_URLS = {
    "ipv4-loopback": "http://127.0.0.1:{port}/file/photo.png",
    "localhost-name": "http://localhost:{port}/file/photo.png",
    "private-10": "http://10.0.0.1/photo.png",
    "private-192": "http://192.168.1.1/photo.png",
    "metadata": "http://169.254.169.254/latest/meta-data/",
    "ipv6-loopback": "http://[::1]:{port6}/file/photo.png",
    "ipv4-mapped-ipv6": "http://[::ffff:127.0.0.1]:{port}/file/photo.png",
    "unspecified": "http://0.0.0.0:{port}/file/photo.png",
    "decimal-loopback": "http://2130706433:{port}/file/photo.png",
    "https-loopback": "https://127.0.0.1:{port}/file/photo.png",
}


@pytest.mark.parametrize("kind", sorted(FORBIDDEN_URLS))
def test_private_and_metadata_addresses_are_refused_without_connecting(strict_server, host,
                                                                       kind):
    url = FORBIDDEN_URLS[kind].format(port=host.port, port6=host.port6)
    before = host.count()
    start = time.monotonic()
    with strict_server.client() as client:
        response = submit_url(client, url)
    body = assert_error(response, 400, BAD, "images[0]")
    assert "private or reserved" in body["message"]
    assert time.monotonic() - start < 3  # no connect attempt to a dead private address
    assert host.count() == before  # and no request reached the real server


def test_strict_server_refuses_a_redirect_chain_at_its_first_private_hop(strict_server, host):
    with strict_server.client() as client:
        response = submit_url(client, host.url("/chain/strict/2"))
    assert_error(response, 400, BAD, "images[0]", "private or reserved")
    assert host.seen("/chain/strict/") == []


# --- media.fetch directly: caps and timeouts with small limits ----------------------------------

def _limits(**overrides: Any) -> FetchLimits:
    values: dict[str, Any] = {"max_bytes": 4096, "connect_timeout_s": 1.0,
                              "read_timeout_s": 1.0, "total_timeout_s": 5.0,
                              "max_redirects": 3, "allow_private": True}
    return FetchLimits(**{**values, **overrides})


def fetch(url: str, limits: FetchLimits) -> bytes:
    async def run() -> bytes:
        async with make_client(limits) as client:
            return await fetch_image_bytes(client, url, limits)
    return asyncio.run(run())


def test_fetch_returns_the_exact_body(host):
    assert fetch(host.url("/file/photo.png"), _limits(max_bytes=10**6)) == \
        host.files["photo.png"][1]


def test_fetch_body_at_the_byte_cap_is_returned(host):
    assert fetch(host.url("/sized/4096"), _limits(max_bytes=4096)) == bytes(4096)


def test_fetch_declared_body_over_the_byte_cap_is_refused(host):
    with pytest.raises(InputError, match="larger than"):
        fetch(host.url("/sized/4097"), _limits(max_bytes=4096))


def test_fetch_streamed_body_over_the_byte_cap_is_cut_off_while_streaming(host):
    # No Content-Length and a body that never ends: only a cap applied while reading stops it
    # (reading to the end would run into the 5 s total timeout instead).
    start = time.monotonic()
    with pytest.raises(InputError, match="larger than"):
        fetch(host.url("/stream?cap"), _limits(max_bytes=4096))
    assert time.monotonic() - start < 2


def test_fetch_from_a_server_that_never_answers_times_out(host):
    start = time.monotonic()
    with pytest.raises(InputError, match="timed out"):
        fetch(host.url("/hang?unit"), _limits(read_timeout_s=0.3))
    assert time.monotonic() - start < 2


def test_fetch_total_timeout_stops_a_slow_drip(host):
    start = time.monotonic()
    with pytest.raises(InputError, match="timed out"):
        fetch(host.url("/drip?unit"), _limits(read_timeout_s=1.0, total_timeout_s=0.7,
                                              max_bytes=10**6))
    assert 0.6 < time.monotonic() - start < 2


@pytest.mark.parametrize("hops,ok", [(1, True), (2, False)])
def test_fetch_redirect_cap_is_the_configured_one(host, hops, ok):
    url = host.url(f"/chain/unit{hops}/{hops}")
    if ok:
        assert fetch(url, _limits(max_redirects=1, max_bytes=10**6)) == \
            host.files["photo.png"][1]
    else:
        with pytest.raises(InputError, match="more than 1 times"):
            fetch(url, _limits(max_redirects=1, max_bytes=10**6))


def test_fetch_refuses_loopback_without_connecting_when_private_is_off(host):
    before = host.count()
    with pytest.raises(InputError, match="private or reserved"):
        fetch(host.url("/file/photo.png"), _limits(allow_private=False))
    assert host.count() == before


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x.png", "http:///x.png", "http://[::1"])
def test_fetch_refuses_urls_that_are_not_http(url):
    with pytest.raises(InputError):
        fetch(url, _limits())


# --- is_forbidden_address ---------------------------------------------------------------------

@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.0.1",
    "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "240.0.0.1",
    "192.0.0.1", "198.18.0.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
    # 6to4 and Teredo wrapping private IPv4s (issue 17): 10.0.0.1, 127.0.0.1, 169.254.169.254
    "2002:0a00:0001::1", "2002:7f00:0001::", "2002:a9fe:a9fe::1",
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo client 10.0.0.1 (bits inverted)
    "2001:0:a00:1:8000:63bf:3fff:fdd2",  # Teredo server 10.0.0.1
])
def test_is_forbidden_address_refuses_local_and_special_addresses(address):
    assert is_forbidden_address(ipaddress.ip_address(address)) is True


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1",
                                     "2606:4700:4700::1111", "2001:4860:4860::8888",
                                     "::ffff:8.8.8.8", "2002:0808:0808::1"])
def test_is_forbidden_address_allows_public_addresses(address):
    assert is_forbidden_address(ipaddress.ip_address(address)) is False
