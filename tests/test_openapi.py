"""The served OpenAPI document, fuzzed against a real server with schemathesis.

Every operation gets generated requests (valid and invalid, with and without the key);
every answer must be documented for its operation: its status code, content type,
headers and body schema, and never a 5xx. The server has no workers, so nothing renders.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from stillmotion.api.app import create_app
from stillmotion.config import Settings
from tests.conftest import Server

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("openapi-fuzz"), workers=0).start()
    yield srv
    srv.stop()


def _document() -> dict[str, Any]:
    """The document the server publishes, built by the same app factory (parametrising
    needs it at collection, before any server runs); the test below compares the two."""
    with tempfile.TemporaryDirectory() as data_dir:
        return create_app(Settings(data_dir=Path(data_dir))).openapi()


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_is_documented_and_none_is_a_server_error(
        case: Any, fuzz_server: Server) -> None:
    case.call_and_validate(base_url=fuzz_server.base_url,
                           headers={"Authorization": f"Bearer {fuzz_server.key}"},
                           checks=CHECKS)


def test_the_fuzzed_document_is_the_served_one(fuzz_server: Server) -> None:
    served = httpx.get(fuzz_server.base_url + "/openapi.json", timeout=10).json()
    assert served == DOCUMENT


def test_the_document_marks_extensions_and_auth(fuzz_server: Server) -> None:
    document = httpx.get(fuzz_server.base_url + "/openapi.json", timeout=10).json()
    paths = document["paths"]
    hosted = {("post", "/v3/async/vidu-2.0-img2video"), ("get", "/v3/async/task-result")}
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert "422" not in operation["responses"], (method, path)  # we answer 400
            if not path.startswith("/v3/"):
                continue
            assert operation["security"] == [{"bearerAuth": []}]
            assert "401" in operation["responses"]
            is_extension = operation.get("x-stillmotion-extension", False)
            assert is_extension == ((method, path) not in hosted), (method, path)
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")):
                    example = answer["content"]["application/json"]["example"]
                    assert example["code"] == int(status)
    submit = paths["/v3/async/vidu-2.0-img2video"]["post"]
    assert submit["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Img2VideoRequest")
    assert "Retry-After" in submit["responses"]["429"]["headers"]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
