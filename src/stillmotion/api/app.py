"""The app factory: one FastAPI app wired to one Settings, store and blob store."""

from __future__ import annotations

import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from stillmotion import __version__, defaults
from stillmotion.api.errors import install_error_handlers
from stillmotion.api.openapi import finish as finish_openapi
from stillmotion.api.playground import router as playground_router
from stillmotion.api.results import ResultBuilder
from stillmotion.api.routes import router
from stillmotion.api.schemas import CancelRequest, Img2VideoRequest, RedeliverRequest
from stillmotion.api.transport import CollapseSlashesMiddleware, DrainBodyMiddleware
from stillmotion.blobs import make_blob_store
from stillmotion.config import Settings
from stillmotion.jobs.keys import KeyStore
from stillmotion.jobs.store import Store
from stillmotion.logs import RequestIdMiddleware
from stillmotion.media.fetch import FetchLimits, make_client
from stillmotion.metrics import install_metrics


def _flag_shutdown(app: FastAPI) -> Callable[[], None]:
    """Set `app.state.stopping` on SIGTERM/SIGINT, then run the server's own handler.

    uvicorn waits up to its graceful timeout for open responses before shutting down; an
    open task-events stream would hold every shutdown that long. The streams read this
    flag and end themselves. Returns a function that puts the previous handlers back.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous: dict[int, Callable[[int, FrameType | None], object]] = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        handler = signal.getsignal(sig)
        if not callable(handler):  # no server handler to chain to: leave it alone
            continue
        previous[sig] = handler

        def flag(signum: int, frame: FrameType | None,
                 chained: Callable[[int, FrameType | None], object] = handler) -> None:
            app.state.stopping = True
            chained(signum, frame)

        signal.signal(sig, flag)

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def create_app(settings: Settings) -> FastAPI:
    settings.ensure_dirs()
    store = Store(settings)
    store.prepare_schema()

    limits = FetchLimits(
        max_bytes=defaults.MAX_URL_IMAGE_BYTES, connect_timeout_s=settings.url_connect_timeout_s,
        read_timeout_s=settings.url_read_timeout_s, total_timeout_s=settings.url_total_timeout_s,
        max_redirects=settings.url_max_redirects, allow_private=settings.allow_private_urls)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.http = make_client(limits)
        restore_signals = _flag_shutdown(app)
        try:
            yield
        finally:
            restore_signals()
            await app.state.http.aclose()
            store.close()

    # FastAPIOffline: /docs and /redoc from assets shipped in the package, not a CDN (the
    # machines this runs on often have no internet).
    app = FastAPIOffline(
        title="stillmotion", version=__version__, lifespan=lifespan,
        description="Self-hosted, drop-in implementation of the Vidu 2.0 Image to Video API "
        "and its async Task Result API.",
    )
    app.state.settings = settings
    app.state.stopping = False  # set on SIGTERM: open event streams end themselves
    app.state.fetch_limits = limits
    app.state.store = store
    app.state.keys = KeyStore(store.engine)
    app.state.blobs = make_blob_store(settings)
    app.state.results = ResultBuilder(settings, store, app.state.blobs)
    install_error_handlers(app)
    app.include_router(router)
    app.include_router(playground_router)
    install_metrics(app, store)  # GET /metrics and the request-latency middleware
    app.add_middleware(DrainBodyMiddleware)  # early answers reach every client
    if settings.cors_origins:  # web pages on these origins may call the API (off: none)
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
            allow_headers=["*"], expose_headers=["X-Request-ID", "Retry-After"], max_age=600)
    app.add_middleware(RequestIdMiddleware)  # ids every request, refused ones too
    app.add_middleware(CollapseSlashesMiddleware)  # outermost: `//v3/...` is `/v3/...`
    finish_openapi(app, (Img2VideoRequest, CancelRequest, RedeliverRequest))
    return app


def create_app_from_env() -> FastAPI:
    """The app of one of several API processes: settings come from the environment."""
    from stillmotion.logs import configure_logging

    configure_logging()
    return create_app(Settings())
