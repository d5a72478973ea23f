"""``/openapi.json`` says how to authenticate: the bearer token and the session cookie as
security schemes, required by every operation that needs an actor and by none that is
public; and the schemes are the ones the server really reads (issue 11, point 11)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import SESSION_COOKIE
from tests import factories as f

EITHER: list[dict[str, list[str]]] = [{"bearerToken": []}, {"sessionCookie": []}]
BEARER: list[dict[str, list[str]]] = [{"bearerToken": []}]
#: Operations anyone may call: probes, the login itself, and how SCIM authenticates.
PUBLIC = {
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("post", "/api/v1/auth/login"),
    ("get", "/scim/v2/ServiceProviderConfig"),
    # A device enrols with its one-time code, and signs its uploads with its own key.
    ("post", "/api/v1/edge/enrol"),
    ("post", "/api/v1/edge/events"),
}
#: The second factor and logout act on a web session that is not complete yet.
SESSION_ONLY = {
    ("post", "/api/v1/auth/totp/enroll"),
    ("post", "/api/v1/auth/totp"),
    ("post", "/api/v1/auth/logout"),
}


@pytest.fixture
def schema(client: TestClient) -> dict[str, Any]:
    """The served OpenAPI document."""
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_the_schemes_are_the_bearer_token_and_the_real_session_cookie(
    schema: dict[str, Any],
) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerToken"]["type"] == "http"
    assert schemes["bearerToken"]["scheme"] == "bearer"
    assert schemes["sessionCookie"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": schemes["sessionCookie"]["description"],
    }
    assert SESSION_COOKIE == "stadsvakt_session"


def test_public_operations_need_nothing_and_the_others_an_actor(schema: dict[str, Any]) -> None:
    operations = _operations(schema)
    assert len(operations) > 100
    assert {key for key, op in operations.items() if "security" not in op} == PUBLIC
    assert {key for key, op in operations.items() if op.get("security") == [EITHER[1]]} == (
        SESSION_ONLY
    )
    scim = {key for key in operations if key[1].startswith("/scim/v2/")} - PUBLIC
    assert len(scim) > 10
    assert [key for key in scim if operations[key]["security"] != BEARER] == []
    others = set(operations) - PUBLIC - SESSION_ONLY - scim
    wrong = sorted(key for key in others if operations[key].get("security") != EITHER)
    assert wrong == []
    # Read by the endpoint itself, not through a dependency: declared all the same.
    assert operations[("post", "/api/v1/access/decisions")]["security"] == EITHER


def test_every_operation_that_says_it_needs_an_actor_refuses_a_call_without_one(
    client: TestClient, schema: dict[str, Any]
) -> None:
    """A sample of protected operations answers 401 to a call with no credentials, and
    the public ones answer without any: the declaration matches what the server does."""
    operations = _operations(schema)
    protected = [
        key
        for key in sorted(operations)
        if "security" in operations[key] and key[0] == "get" and "{" not in key[1]
    ]
    assert len(protected) > 20
    for method, path in protected:
        response = client.request(method.upper(), path)
        assert response.status_code == 401, (method, path, response.status_code)
    assert client.get("/healthz").status_code == 200


def test_a_bearer_token_as_the_scheme_says_is_accepted(
    client: TestClient, session: Session
) -> None:
    headers = f.owner_bearer(session, f.municipality(session))
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=headers).status_code == 200
