"""A Python client for the Vidu 2.0 img2video and Task Result APIs (stillmotion or hosted).

    from stillmotion.client import Client

    with Client("http://127.0.0.1:8000", api_key="sm_...") as client:
        task_id = client.submit("photo.jpg", prompt="slow push in")
        result = client.wait(task_id, on_progress=lambda r: print(r.progress))
        if result.succeeded:
            client.download(result, "out.mp4")

Only httpx and pydantic are imported: none of the server (FastAPI, SQLAlchemy, OpenCV).
`submit`, `result`, `wait` and `download` use the hosted API alone; `cancel`, `list`,
`iter_tasks` and `events` are stillmotion's extensions.
"""

from stillmotion.client.aio import AsyncClient
from stillmotion.client.errors import (
    ApiError,
    AuthError,
    BadRequest,
    ClientError,
    NotFound,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    TransportError,
    WaitTimeout,
)
from stillmotion.client.models import (
    FAILED,
    FINAL,
    PROCESSING,
    QUEUED,
    SUCCEED,
    TaskPage,
    TaskResult,
)
from stillmotion.client.sync import Client

__all__ = [
    "FAILED", "FINAL", "PROCESSING", "QUEUED", "SUCCEED",
    "ApiError", "AsyncClient", "AuthError", "BadRequest", "Client", "ClientError", "NotFound",
    "RateLimited", "ServerError", "ServiceUnavailable", "TaskPage", "TaskResult",
    "TransportError", "WaitTimeout",
]
