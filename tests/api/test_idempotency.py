"""Idempotency-Key on submit, against a real API-only server (CONTRACT.md, our extension).

Same key + same body: the same task_id and nothing new; same key + another body: 409
IDEMPOTENCY_KEY_REUSED; keys are per API key; concurrent duplicates make one task.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.api.conftest import SUBMIT, assert_error
from tests.api.test_listing import fresh_key
from tests.conftest import Server, photo, png_uri

TASKS = "/v3/async/tasks"
IMAGE = png_uri(photo("camera")[::4, ::4])


def listed(client: httpx.Client) -> list[str]:
    body = client.get(TASKS, params={"limit": 100}).json()
    return [t["task"]["task_id"] for t in body["tasks"]]


def inputs(srv: Server) -> set[str]:
    return srv.blob_keys("inputs")


def test_twenty_concurrent_duplicates_make_one_task(api_only_server: Server) -> None:
    key = fresh_key(api_only_server)
    idem = f"order-{uuid.uuid4()}"
    body = {"images": [IMAGE], "prompt": "slow push in", "seed": 7}
    before = inputs(api_only_server)

    def send(_: int) -> httpx.Response:
        with api_only_server.client(key) as client:
            return client.post(SUBMIT, json=body, headers={"Idempotency-Key": idem})

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, range(20)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    ids = {a.json()["task_id"] for a in answers}
    assert len(ids) == 1, ids
    with api_only_server.client(key) as client:
        assert listed(client) == list(ids)
    # The duplicates' checked-and-stored images were removed again: one input remains.
    assert len(inputs(api_only_server) - before) == 1


def test_same_key_same_body_other_body_other_api_key(api_only_server: Server) -> None:
    key = fresh_key(api_only_server)
    idem = "retry-me"
    body = {"images": [IMAGE], "prompt": "pan left", "duration": 4, "seed": 1}
    with api_only_server.client(key) as client:
        first = client.post(SUBMIT, json=body, headers={"Idempotency-Key": idem})
        assert first.status_code == 200, first.text
        task_id = first.json()["task_id"]
        # The same body serialised differently (key order, spaces) is the same request.
        reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
        again = client.post(SUBMIT, content=reordered, headers={
            "Idempotency-Key": idem, "Content-Type": "application/json"})
        assert again.status_code == 200, again.text
        assert again.json() == {"task_id": task_id}

        changed = client.post(SUBMIT, json={**body, "prompt": "pan right"},
                              headers={"Idempotency-Key": idem})
        error = assert_error(changed, 409, "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key")
        assert idem in error["message"]

        # Without the header every submit is a new task; a new key is a new task.
        plain = client.post(SUBMIT, json=body)
        fresh = client.post(SUBMIT, json=body, headers={"Idempotency-Key": "another"})
        assert plain.status_code == fresh.status_code == 200
        assert len({task_id, plain.json()["task_id"], fresh.json()["task_id"]}) == 3
        assert sorted(listed(client)) == sorted(
            [task_id, plain.json()["task_id"], fresh.json()["task_id"]])

        # A bad body is a 400 whatever the key; a bad key is a 400 naming the header.
        assert_error(client.post(SUBMIT, json={**body, "duration": 5},
                                 headers={"Idempotency-Key": idem}),
                     400, "INVALID_REQUEST_BODY", "duration")
        assert_error(client.post(SUBMIT, json=body, headers={"Idempotency-Key": "k" * 256}),
                     400, "INVALID_REQUEST_BODY", "Idempotency-Key")
        assert_error(client.post(SUBMIT, json=body, headers={"Idempotency-Key": ""}),
                     400, "INVALID_REQUEST_BODY", "Idempotency-Key")

    # Keys are remembered per API key: another key's identical request is its own task.
    with api_only_server.client(fresh_key(api_only_server)) as other:
        theirs = other.post(SUBMIT, json=body, headers={"Idempotency-Key": idem})
        assert theirs.status_code == 200, theirs.text
        assert theirs.json()["task_id"] != task_id
