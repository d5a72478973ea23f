"""Hostile or oversized input is refused with a 422 naming the field, on every backend."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories as f

V1 = "/api/v1"
SITE = {
    "code": "S1",
    "name": "Rådhuset",
    "street": "Stortorget 2",
    "postal_code": "211 34",
    "city": "Sundby",
    "latitude": 55.6,
    "longitude": 13.0,
}


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    """A token with every permission."""
    return f.owner_bearer(session, f.municipality(session))


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/sites", {**SITE, "name": "Råd\x00huset"}, "name"),
        ("/sites", {**SITE, "owner_contact": "a\x00"}, "owner_contact"),
        ("/org-units", {"code": "A", "name": "\x00"}, "name"),
        ("/tokens", {"name": "x\x00", "scopes": ["site.read"]}, "name"),
        ("/tokens", {"name": "x", "scopes": ["site.read\x00"]}, "scopes"),
        ("/users", {"username": "anna", "display_name": "A\x00", "password": "x"}, "display_name"),
        ("/auth/login", {"username": "a\x00", "password": "x"}, "username"),
    ],
)  # fmt: skip
def test_nul_characters_are_refused(
    client: TestClient, admin: dict[str, str], path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(V1 + path, headers=admin, json=body)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    "url",
    [
        "/sites?q=%00",
        "/org-units?q=a%00b",
        "/audit?object_type=%00",
        "/audit?action=x%00",
    ],
)
def test_nul_in_query_is_refused(client: TestClient, admin: dict[str, str], url: str) -> None:
    response = client.get(V1 + url, headers=admin)
    assert response.status_code == 422, response.text


def test_nul_in_a_role_name_is_not_a_500(client: TestClient, admin: dict[str, str]) -> None:
    response = client.patch(f"{V1}/roles/a%00b", headers=admin, json={"require_totp": True})
    assert response.status_code in (404, 422), response.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/tokens", {"name": "n" * 121, "scopes": ["site.read"]}, "name"),
        ("/sites", {**SITE, "owner_phone": "+" + "1" * 40}, "owner_phone"),
        ("/sites", {**SITE, "name": "n" * 201}, "name"),
        ("/sites", {**SITE, "owner_email": "a@" + "b" * 250 + ".se"}, "owner_email"),
    ],
)
def test_values_longer_than_their_column_are_refused(
    client: TestClient, admin: dict[str, str], path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(V1 + path, headers=admin, json=body)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/tokens", {"name": "n" * 120, "scopes": ["site.read"]}),
        ("/sites", {**SITE, "owner_phone": "+46 " + "1" * 36}),
        ("/sites", {**SITE, "name": "n" * 200, "street": "s" * 200, "city": "c" * 100}),
    ],
)
def test_values_at_their_limit_are_stored(
    client: TestClient, admin: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    response = client.post(V1 + path, headers=admin, json=body)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_coordinates_are_refused(
    client: TestClient, admin: dict[str, str], value: str
) -> None:
    raw = '{"code":"S","name":"N","street":"Gatan 1","postal_code":"21134","city":"By",'
    raw += f'"latitude":{value},"longitude":13.0}}'
    response = client.post(
        V1 + "/sites", headers={**admin, "Content-Type": "application/json"}, content=raw
    )
    assert response.status_code == 422, response.text


def test_deeply_nested_or_huge_json_is_not_a_500(client: TestClient, admin: dict[str, str]) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    response = client.post(
        V1 + "/sites", headers={**admin, "Content-Type": "application/json"}, content=nested
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"


def test_wrong_json_type_is_422(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(V1 + "/sites", headers=admin, json=["not", "an", "object"])
    assert response.status_code == 422
    response = client.post(V1 + "/sites", headers=admin, json={**SITE, "latitude": "north"})
    assert response.json()["errors"][0]["field"] == "latitude"
