"""The parts of the HTTP surface around the two hosted routes: health, docs, stray requests."""

from __future__ import annotations

import httpx

from tests.conftest import Server


def assert_envelope(response: httpx.Response, status: int, reason: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == status and body["reason"] == reason
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["metadata"], dict)


def test_health_and_docs(server: Server) -> None:
    assert httpx.get(server.base_url + "/healthz").json() == {"status": "ok"}
    docs = httpx.get(server.base_url + "/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    schema = httpx.get(server.base_url + "/openapi.json").json()
    assert {"/v3/async/vidu-2.0-img2video", "/v3/async/task-result"} <= set(schema["paths"])
    body = schema["components"]["schemas"]["Img2VideoRequest"]
    assert set(body["properties"]) >= {"images", "prompt", "duration", "seed", "resolution",
                                       "movement_amplitude", "bgm"}
    submit = schema["paths"]["/v3/async/vidu-2.0-img2video"]["post"]
    assert submit["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Img2VideoRequest")
    assert {"400", "401", "413"} <= set(submit["responses"])


def test_stray_requests_get_the_envelope(server: Server) -> None:
    with server.client() as api:
        assert_envelope(api.get("/v3/async/nope"), 404, "NOT_FOUND")
        assert_envelope(api.get("/v3/async/vidu-2.0-img2video"), 405, "METHOD_NOT_ALLOWED")
        assert_envelope(api.delete("/v3/async/task-result"), 405, "METHOD_NOT_ALLOWED")
    if server.serves_files:
        assert_envelope(httpx.get(server.base_url + "/files/outputs/x.mp4"), 403, "FORBIDDEN")
    else:  # videos are downloaded from the storage's presigned URLs
        assert_envelope(httpx.get(server.base_url + "/files/outputs/x.mp4"), 404, "NOT_FOUND")
    assert_envelope(httpx.get(server.base_url + "/files/../../etc/passwd?expires=1&signature=x"),
                    404, "NOT_FOUND")
