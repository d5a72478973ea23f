"""Errors reach the client as RFC 9457 problems that say what was wrong; never a 500."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.app import create_app
from stadsvakt.auth.permissions import PERMISSIONS
from stadsvakt.settings import Settings
from tests import factories as f

PROBLEM = "application/problem+json"


def site_body(code: str = "S-1", **extra: Any) -> dict[str, Any]:
    """A valid site to create."""
    return {
        "code": code,
        "name": "Rådhuset",
        "street": "Stortorget 2",
        "postal_code": "211 34",
        "city": "Sundby",
        "latitude": 55.605,
        "longitude": 13.0,
        **extra,
    }


@pytest.fixture
def owner(session: Session) -> dict[str, str]:
    """Bearer header of a token holding every permission."""
    tenant = f.municipality(session)
    return f.bearer(f.token(session, tenant, *PERMISSIONS))


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is a problem with this status and the standard members."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body


def test_unknown_route_is_a_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/api/v1/no-such-thing"), 404)
    assert body["instance"] == "/api/v1/no-such-thing"


def test_wrong_method_is_a_405_problem(client: TestClient, owner: dict[str, str]) -> None:
    assert_problem(client.put("/api/v1/sites", headers=owner, json={}), 405)


def test_malformed_json_is_422_naming_the_body(client: TestClient, owner: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/sites",
        content=b"{bad",
        headers={**owner, "Content-Type": "application/json"},
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "body"
    assert body["errors"][0]["rule"] == "json_invalid"


def test_missing_field_is_422_with_field_and_rule(
    client: TestClient, owner: dict[str, str]
) -> None:
    data = site_body()
    del data["street"]
    body = assert_problem(client.post("/api/v1/sites", headers=owner, json=data), 422)
    assert [(e["field"], e["rule"]) for e in body["errors"]] == [("street", "missing")]
    assert "street" in body["detail"]


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"postal_code": "12"}, "postal_code", "string_pattern_mismatch"),
        ({"latitude": 91}, "latitude", "less_than_equal"),
        ({"code": "x" * 41}, "code", "string_too_long"),
        ({"owner_kind": "landlord"}, "owner_kind", "enum"),
        ({"owner_email": "not-an-email"}, "owner_email", "value_error"),
        ({"colour": "red"}, "colour", "extra_forbidden"),
        ({"owner_kind": "external"}, "owner_name", "value_error"),
    ],
)
def test_broken_rules_name_field_and_rule(
    client: TestClient, owner: dict[str, str], change: dict[str, Any], field: str, rule: str
) -> None:
    response = client.post("/api/v1/sites", headers=owner, json=site_body(**change))
    body = assert_problem(response, 422)
    assert [(e["field"], e["rule"]) for e in body["errors"]] == [(field, rule)]


def test_bad_query_parameter_is_422(client: TestClient, owner: dict[str, str]) -> None:
    body = assert_problem(client.get("/api/v1/sites?limit=100000", headers=owner), 422)
    assert body["errors"][0]["field"] == "limit"


def test_bad_path_id_is_422(client: TestClient, owner: dict[str, str]) -> None:
    body = assert_problem(client.get("/api/v1/sites/not-a-uuid", headers=owner), 422)
    assert body["errors"][0]["field"] == "site_id"


def test_duplicate_site_code_is_409(client: TestClient, owner: dict[str, str]) -> None:
    assert client.post("/api/v1/sites", headers=owner, json=site_body("DUP")).status_code == 201
    body = assert_problem(client.post("/api/v1/sites", headers=owner, json=site_body("DUP")), 409)
    assert "DUP" in body["detail"]


def test_duplicate_code_by_update_is_409(client: TestClient, owner: dict[str, str]) -> None:
    client.post("/api/v1/sites", headers=owner, json=site_body("A1"))
    other = client.post("/api/v1/sites", headers=owner, json=site_body("B1")).json()
    response = client.patch(f"/api/v1/sites/{other['id']}", headers=owner, json={"code": "A1"})
    assert_problem(response, 409)


@pytest.mark.parametrize("path", ["/api/v1/sites/{id}", "/api/v1/org-units/{id}"])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_id_is_404(
    client: TestClient, owner: dict[str, str], path: str, method: str
) -> None:
    url = path.format(id=uuid.uuid4())
    response = client.request(method, url, headers=owner, json={} if method == "PATCH" else None)
    assert_problem(response, 404)


def test_no_credentials_is_401_with_www_authenticate(client: TestClient) -> None:
    response = client.get("/api/v1/sites")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer svt_unknown", "Bearer " + "x" * 500]
)
def test_bad_credentials_are_401(client: TestClient, header: str) -> None:
    response = client.get("/api/v1/sites", headers={"Authorization": header})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_missing_permission_is_403(client: TestClient, session: Session) -> None:
    tenant = f.municipality(session)
    reader = f.bearer(f.token(session, tenant, "site.read"))
    body = assert_problem(client.post("/api/v1/sites", headers=reader, json=site_body()), 403)
    assert "site.write" in body["detail"]


def test_incoming_safe_request_id_is_kept(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123.def_456"})
    assert response.headers["x-request-id"] == "abc-123.def_456"


@pytest.mark.parametrize("unsafe", ["short", "has spaces in it", "evil\tnewline-x", "x" * 65])
def test_unsafe_request_id_is_replaced(client: TestClient, unsafe: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": unsafe})
    assert response.headers["x-request-id"] != unsafe
    assert len(response.headers["x-request-id"]) == 32


def test_an_unexpected_error_is_a_500_problem_without_a_trace(
    settings: Settings, services: Services
) -> None:
    app = create_app(settings, services)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        response = c.get("/boom")
    body = assert_problem(response, 500)
    assert "secret internals" not in response.text
    assert body["request_id"]
