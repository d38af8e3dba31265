"""GET /v3/async/tasks on a real API-only server: own tasks, newest first, filter, pages."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api.conftest import RESULT, SUBMIT, assert_error
from tests.conftest import Server, cli, photo, png_uri

TASKS = "/v3/async/tasks"


def fresh_key(srv: Server) -> str:
    """A key of its own, so the listing holds exactly this test's tasks."""
    return cli(srv.data_dir, "keys", "create", f"list-{uuid.uuid4().hex[:8]}").stdout.strip()


@pytest.fixture
def own(api_only_server: Server) -> httpx.Client:
    return api_only_server.client(fresh_key(api_only_server))


def submit_small(client: httpx.Client, prompt: str) -> str:
    response = client.post(SUBMIT, json={"images": [png_uri(photo("camera")[::4, ::4])],
                                         "prompt": prompt})
    assert response.status_code == 200, response.text
    return str(response.json()["task_id"])


def test_listing_newest_first_filter_and_cursor(api_only_server: Server,
                                                own: httpx.Client) -> None:
    with own:
        empty = own.get(TASKS)
        assert empty.status_code == 200, empty.text
        assert empty.json() == {"tasks": [], "next_cursor": ""}

        ids = [submit_small(own, f"task {i}") for i in range(5)]
        cancelled = own.post("/v3/async/task-cancel", json={"task_id": ids[1]})
        assert cancelled.status_code == 200, cancelled.text

        listing = own.get(TASKS).json()
        assert set(listing) == {"tasks", "next_cursor"}
        assert listing["next_cursor"] == ""
        assert [t["task"]["task_id"] for t in listing["tasks"]] == ids[::-1]
        # Each entry is the task-result body, exactly as task-result answers it.
        single = own.get(RESULT, params={"task_id": ids[0]}).json()
        entry = listing["tasks"][-1]
        assert set(entry) == set(single) and entry["task"] == single["task"]
        assert entry["extra"]["seed"] == single["extra"]["seed"]

        # Pages of two, chained by cursor, cover everything once, newest first.
        seen: list[str] = []
        cursor = ""
        pages = 0
        while True:
            page = own.get(TASKS, params={"limit": 2, "cursor": cursor}).json()
            seen += [t["task"]["task_id"] for t in page["tasks"]]
            pages += 1
            cursor = page["next_cursor"]
            if not cursor:
                break
            assert len(page["tasks"]) == 2
        assert pages == 3 and seen == ids[::-1]

        failed = own.get(TASKS, params={"status": "TASK_STATUS_FAILED"}).json()
        assert [t["task"]["task_id"] for t in failed["tasks"]] == [ids[1]]
        assert failed["tasks"][0]["task"]["reason"] == "cancelled by the user"
        queued = own.get(TASKS, params={"status": "TASK_STATUS_QUEUED", "limit": 100}).json()
        assert [t["task"]["task_id"] for t in queued["tasks"]] == [ids[4], ids[3], ids[2],
                                                                   ids[0]]
        assert own.get(TASKS, params={"status": "TASK_STATUS_SUCCEED"}).json()["tasks"] == []

    # Another key sees none of them.
    with api_only_server.client(fresh_key(api_only_server)) as other:
        assert other.get(TASKS).json() == {"tasks": [], "next_cursor": ""}


@pytest.mark.parametrize(("params", "field"), [
    ({"status": "DONE"}, "status"),
    ({"status": "succeed"}, "status"),
    ({"limit": "0"}, "limit"),
    ({"limit": "101"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"limit": "-1"}, "limit"),
    ({"cursor": "not a cursor"}, "cursor"),
    ({"cursor": "WzEsMl0"}, "cursor"),  # base64 of [1,2]: well formed, wrong types
])
def test_listing_rejects_bad_parameters(api_only: httpx.Client, params: dict[str, str],
                                        field: str) -> None:
    assert_error(api_only.get(TASKS, params=params), 400, "INVALID_REQUEST_BODY", field)


def test_listing_needs_a_key(api_only_server: Server) -> None:
    with httpx.Client(base_url=api_only_server.base_url) as anonymous:
        assert_error(anonymous.get(TASKS), 401, "FAILED_TO_AUTH")


def test_extensions_are_in_the_openapi_document(api_only_server: Server) -> None:
    schema = httpx.get(api_only_server.base_url + "/openapi.json").json()
    paths = schema["paths"]
    assert {"/v3/async/task-cancel", "/v3/async/tasks", "/v3/async/task-events"} <= set(paths)
    cancel = paths["/v3/async/task-cancel"]["post"]
    assert cancel["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/CancelRequest")
    assert "task_id" in schema["components"]["schemas"]["CancelRequest"]["properties"]
    assert {"404", "409"} <= set(cancel["responses"])
    listing = paths["/v3/async/tasks"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"status", "limit", "cursor"}
    submit = paths["/v3/async/vidu-2.0-img2video"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in submit["parameters"]}
