"""Retry-After honoured on 429, against a real server whose open-task quota is one task."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stillmotion.client import ApiError, Client, RateLimited
from tests.conftest import Server, encode, photo


@pytest.fixture(scope="module")
def one_task_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("one-open-task"), workers=0,
                 env={"STILLMOTION_OPEN_TASKS_PER_KEY": "1"}).start()
    yield srv
    srv.stop()


def test_429_is_retried_after_retry_after(one_task_server: Server) -> None:
    image = encode(photo("astronaut"), "PNG")
    with Client(one_task_server.base_url, one_task_server.key, max_retries=0) as strict:
        first = strict.submit(image)
        with pytest.raises(RateLimited) as limited:
            strict.submit(image)
        error = limited.value
        assert (error.code, error.reason) == (429, "RATE_LIMIT_EXCEEDED")
        assert error.retry_after is not None and error.retry_after >= 1
        assert error.metadata["retry_after_s"] == error.retry_after
        assert "unfinished tasks" in error.message

        retries: list[tuple[ApiError, float]] = []

        def free_a_slot(error: ApiError, delay: float) -> None:
            retries.append((error, delay))
            strict.cancel(first)  # the quota frees up while the client waits

        with Client(one_task_server.base_url, one_task_server.key, max_retries=2,
                    on_retry=free_a_slot) as patient:
            second = patient.submit(image)
        assert second != first
        assert len(retries) == 1
        assert isinstance(retries[0][0], RateLimited)
        assert retries[0][1] == retries[0][0].retry_after  # waited as long as it was told
        strict.cancel(second)


def test_a_wait_longer_than_max_retry_wait_is_not_slept(one_task_server: Server) -> None:
    image = encode(photo("astronaut"), "PNG")
    with Client(one_task_server.base_url, one_task_server.key, max_retries=5,
                max_retry_wait=0.5, on_retry=lambda e, d: pytest.fail("retried")) as client:
        first = client.submit(image)
        with pytest.raises(RateLimited):
            client.submit(image)
        client.cancel(first)
