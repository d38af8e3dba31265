"""API keys: every /v3 call needs a live key, and a key sees only its own tasks."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api.conftest import RESULT, SUBMIT, accepted_task, assert_error
from tests.conftest import Server, cli, photo, png_uri

AUTH = "FAILED_TO_AUTH"


def small_body() -> dict[str, object]:
    return {"images": [png_uri(photo("coffee")[::4, ::4])]}


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def call(server: Server, endpoint: str, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client(base_url=server.base_url, timeout=30, headers=headers) as client:
        if endpoint == "submit":
            return client.post(SUBMIT, json=small_body())
        return client.get(RESULT, params={"task_id": str(uuid.uuid4())})


BAD_HEADERS = {
    "missing": {},
    "basic": {"Authorization": "Basic xyz"},
    "bearer-nothing": {"Authorization": "Bearer"},
    "bearer-prefix-only": {"Authorization": "Bearer sm_"},
    "token-scheme": {"Authorization": "Token sm_abcdefghijklmnopqrstuvwxyz"},
    "unknown-key": {"Authorization": "Bearer sm_" + "x" * 43},
    "not-a-key": {"Authorization": "Bearer hunter2"},
}


@pytest.mark.parametrize("endpoint", ["submit", "task-result"])
@pytest.mark.parametrize("kind", sorted(BAD_HEADERS))
def test_missing_malformed_or_unknown_key_is_401(server, endpoint, kind):
    response = call(server, endpoint, BAD_HEADERS[kind])
    assert_error(response, 401, AUTH, "key")


def test_the_shared_key_itself_works(server):
    response = call(server, "task-result", {"Authorization": f"Bearer {server.key}"})
    assert_error(response, 404, "TASK_NOT_FOUND", "task")  # authenticated: past the 401


def test_the_key_alone_works_as_the_hosted_js_sdk_sends_it(server):
    """novita-sdk (npm) sends `Authorization: <key>` with no scheme."""
    response = call(server, "task-result", {"Authorization": server.key})
    assert_error(response, 404, "TASK_NOT_FOUND", "task")  # authenticated: past the 401
    assert_error(call(server, "task-result", {"Authorization": "sm_" + "x" * 43}), 401, AUTH,
                 "key")


def test_key_with_its_secret_in_another_case_is_401(server):
    response = call(server, "task-result", {"Authorization": f"Bearer {server.key.upper()}"})
    assert_error(response, 401, AUTH, "key")


def test_revoked_key_is_401(api_only_server):
    name = unique("revoked")
    secret = cli(api_only_server.data_dir, "keys", "create", name).stdout.strip()
    with api_only_server.client(secret) as client:
        task = accepted_task(client, client.post(SUBMIT, json=small_body()))
        task_id = task["task"]["task_id"]
        revoked = cli(api_only_server.data_dir, "keys", "revoke", name)
        assert name in revoked.stdout
        assert_error(client.post(SUBMIT, json=small_body()), 401, AUTH, "key")
        assert_error(client.get(RESULT, params={"task_id": task_id}), 401, AUTH, "key")


# --- tenancy --------------------------------------------------------------------------------

def test_another_keys_task_is_404_exactly_like_an_unknown_id(api_only_server):
    secret_b = cli(api_only_server.data_dir, "keys", "create", unique("tenant-b")).stdout.strip()
    with api_only_server.client() as key_a, api_only_server.client(secret_b) as key_b:
        task_id = accepted_task(key_a, key_a.post(SUBMIT, json=small_body()))["task"]["task_id"]
        assert key_a.get(RESULT, params={"task_id": task_id}).status_code == 200

        theirs = key_b.get(RESULT, params={"task_id": task_id})
        unknown_id = str(uuid.uuid4())
        unknown = key_b.get(RESULT, params={"task_id": unknown_id})

    body = assert_error(theirs, 404, "TASK_NOT_FOUND", "task")
    other = assert_error(unknown, 404, "TASK_NOT_FOUND", "task")
    # Same shape, same words: only the id that was asked for differs (no existence oracle).
    assert body["message"].replace(task_id, "<id>") == other["message"].replace(unknown_id, "<id>")
    assert {**body, "message": ""} == {**other, "message": ""}
    assert theirs.headers.keys() - {"date", "content-length"} == \
        unknown.headers.keys() - {"date", "content-length"}


def test_unknown_task_id_is_404(api):
    response = api.get(RESULT, params={"task_id": str(uuid.uuid4())})
    assert_error(response, 404, "TASK_NOT_FOUND", "task")


@pytest.mark.parametrize("task_id", ["not-a-uuid", "' OR 1=1 --", "x" * 2000])
def test_odd_task_ids_are_404_not_errors(api, task_id):
    assert_error(api.get(RESULT, params={"task_id": task_id}), 404, "TASK_NOT_FOUND", "task")


def test_task_result_without_task_id_is_400(api):
    assert_error(api.get(RESULT), 400, "INVALID_REQUEST_BODY", "task_id")


# --- the keys command line -------------------------------------------------------------------

def test_created_key_is_printed_once_and_never_listed_or_stored(tmp_path):
    created = cli(tmp_path, "keys", "create", "alice")
    secret = created.stdout.strip()
    assert secret.startswith("sm_") and len(secret) >= 40
    assert created.stdout.count(secret) == 1

    listing = cli(tmp_path, "keys", "list").stdout
    assert "alice" in listing and "active" in listing
    assert secret not in listing
    assert secret[3:] not in listing and secret[-12:] not in listing
    assert secret[:8] in listing  # the prefix, to tell keys apart

    stored = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    assert secret.encode() not in stored  # only a hash is kept

    cli(tmp_path, "keys", "revoke", "alice")
    assert "revoked" in cli(tmp_path, "keys", "list").stdout
    again = cli(tmp_path, "keys", "revoke", "alice", check=False)
    assert again.returncode == 2
    assert "alice" in again.stderr and "Traceback" not in again.stderr


def test_creating_a_key_with_a_taken_name_fails_cleanly(tmp_path):
    cli(tmp_path, "keys", "create", "bob")
    again = cli(tmp_path, "keys", "create", "bob", check=False)
    assert again.returncode == 2
    assert "bob" in again.stderr and "Traceback" not in again.stderr
    assert "sm_" not in again.stdout
