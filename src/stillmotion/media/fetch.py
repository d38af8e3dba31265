"""Safe download of a user's image URL.

A URL given to a server is a way to make the server reach places its users cannot
(SSRF). So each hop's host is resolved once, every address is checked, and the
connection goes to the checked address (TLS still verifies the real host name), which
closes the DNS-rebinding race between check and connect. Redirects are followed by hand
so each hop is checked the same way.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

from stillmotion.media.errors import InputError, human_bytes


@dataclass(frozen=True)
class FetchLimits:
    """The operator's limits on image downloads."""

    max_bytes: int
    connect_timeout_s: float
    read_timeout_s: float
    total_timeout_s: float
    max_redirects: int
    allow_private: bool


# Special-purpose blocks the standard library does not flag in every Python version.
_EXTRA_FORBIDDEN = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("100.64.0.0/10"))


def is_forbidden_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private, link-local (cloud metadata lives there), multicast, reserved.

    An IPv6 address that wraps an IPv4 one is judged by what it wraps: IPv4-mapped
    (::ffff:10.0.0.1), 6to4 (2002:0a00:0001::) and Teredo (2001:0::, server and client),
    which a host with those tunnels would route to the private IPv4 inside."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            return is_forbidden_address(ip.sixtofour)
        elif ip.teredo is not None:
            return any(is_forbidden_address(inner) for inner in ip.teredo)
    if isinstance(ip, ipaddress.IPv4Address) and any(ip in net for net in _EXTRA_FORBIDDEN):
        return True
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


async def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )
    except socket.gaierror:
        raise InputError(f"host {host!r} could not be resolved") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def pinned_address(url: httpx.URL, allow_private: bool) -> str:
    """The checked address to connect to for `url`: resolved once, every address vetted
    (unless private ones are allowed), so the connection cannot be rebound elsewhere."""
    if url.scheme not in ("http", "https"):
        raise InputError("URL must use http or https")
    if not url.host:
        raise InputError("URL has no host")
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = await _resolve(url.host, port)
    if not allow_private:
        for address in addresses:
            if is_forbidden_address(ipaddress.ip_address(address)):
                raise InputError(
                    f"URL host {url.host!r} resolves to a private or reserved address, "
                    "which this server does not fetch"
                )
    return addresses[0]


async def fetch_image_bytes(client: httpx.AsyncClient, url: str, limits: FetchLimits) -> bytes:
    """The body of `url` (following at most `max_redirects` checked redirects), capped in size."""
    try:
        current = httpx.URL(url)
    except httpx.InvalidURL:
        raise InputError("is not a valid URL") from None
    try:
        async with asyncio.timeout(limits.total_timeout_s):
            for _ in range(limits.max_redirects + 1):
                address = await pinned_address(current, limits.allow_private)
                target = current.copy_with(host=address)
                headers = {"Host": current.netloc.decode("ascii"), "Accept": "image/*"}
                extensions = {"sni_hostname": current.host} if current.scheme == "https" else {}
                async with client.stream(
                    "GET", target, headers=headers, extensions=extensions
                ) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise InputError("URL redirected without a Location header")
                        current = current.join(location)
                        continue
                    if response.status_code != 200:
                        raise InputError(f"URL answered HTTP {response.status_code}")
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > limits.max_bytes:
                        raise InputError(_too_big(limits.max_bytes))
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > limits.max_bytes:
                            raise InputError(_too_big(limits.max_bytes))
                    return bytes(body)
            raise InputError(f"URL redirected more than {limits.max_redirects} times")
    except TimeoutError:
        raise InputError("URL download timed out") from None
    except httpx.TimeoutException:
        raise InputError("URL download timed out") from None
    except httpx.HTTPError as exc:
        raise InputError(f"URL could not be downloaded ({type(exc).__name__})") from None


def _too_big(max_bytes: int) -> str:
    return f"image at URL is larger than the {human_bytes(max_bytes)} limit"


def make_client(limits: FetchLimits) -> httpx.AsyncClient:
    """One pooled client for all downloads; redirects and proxies are ours to decide."""
    timeout = httpx.Timeout(
        connect=limits.connect_timeout_s,
        read=limits.read_timeout_s,
        write=limits.read_timeout_s,
        pool=limits.connect_timeout_s,
    )
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False)
