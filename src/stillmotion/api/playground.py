"""The web playground: a static page at `/` that uses the public API like any client.

Three files shipped inside the package (no build step, no CDN: deployments may have no
internet). They are read once and served from memory with a strict Content-Security-Policy:
the page loads nothing but its own script and style.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

from stillmotion.api.errors import ApiError

router = APIRouter(include_in_schema=False)

_TYPES = {"index.html": "text/html; charset=utf-8",
          "playground.js": "text/javascript; charset=utf-8",
          "playground.css": "text/css; charset=utf-8"}
# Videos come from signed URLs, which may be rooted at STILLMOTION_PUBLIC_URL (another
# origin behind a proxy), hence media from any http(s) origin; everything else is 'self'.
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data: blob:; media-src 'self' http: https:; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'none'")


@cache
def _asset(name: str) -> bytes:
    return resources.files("stillmotion.api").joinpath("static", name).read_bytes()


def _serve(name: str) -> Response:
    return Response(_asset(name), media_type=_TYPES[name], headers={
        "Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache"})


@router.get("/")
def playground() -> Response:
    return _serve("index.html")


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    if name not in _TYPES or name == "index.html":
        raise ApiError(404, "NOT_FOUND", f"no static file {name!r}")
    return _serve(name)
