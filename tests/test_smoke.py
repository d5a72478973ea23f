"""The app starts, is healthy and ready on a migrated database."""

from fastapi.testclient import TestClient


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"


def test_every_response_has_a_request_id(client: TestClient) -> None:
    response = client.get("/api/v1/sites")
    assert response.status_code == 401
    assert len(response.headers["x-request-id"]) >= 8
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["request_id"] == response.headers["x-request-id"]
