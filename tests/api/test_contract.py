"""The API keeps its own contract: what the OpenAPI schema forbids is refused, what it
allows is not refused for a rule the schema does not state, and a 405 names every method
of its path (issue 9, point 8)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories as f

V1 = "/api/v1"
SOME_ID = "6f1f3f4e-8b1c-4c36-9d7e-0c2b5a9e1d01"  # fixed: test ids must match across xdist workers


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    """A token with every permission."""
    return f.owner_bearer(session, f.municipality(session))


def _rules(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    return [(e["field"], e["rule"]) for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "rule"),
    [
        ("patch", f"/users/{SOME_ID}", {"active": 0}, "active", "bool_type"),
        ("patch", f"/users/{SOME_ID}", {"active": "yes"}, "active", "bool_type"),
        ("patch", "/roles/viewer", {"require_totp": 0}, "require_totp", "bool_type"),
        ("post", "/access/decisions", {"credential": "04A1", "door_id": SOME_ID, "at": 0},
         "at", "datetime_format"),
        ("post", "/access/decisions", {"credential": "04A1", "door_id": SOME_ID, "at": "1.5"},
         "at", "datetime_format"),
        ("post", "/tokens", {"name": "t", "scopes": ["site.read"], "expires_days": True},
         "expires_days", "int_type"),
        ("patch", f"/sites/{SOME_ID}", {"name": None}, "name", "not_null"),
        ("patch", f"/grants/{SOME_ID}", {"valid_from": None}, "valid_from", "not_null"),
        ("patch", f"/grants/{SOME_ID}", {"valid_from": "1899-12-31T12:00:00Z"},
         "valid_from", "date_range"),
        ("post", "/zones", {"site_id": SOME_ID, "code": "Z", "name": " "}, "name",
         "string_too_short"),
    ],
)  # fmt: skip
def test_input_the_schema_forbids_is_refused(
    client: TestClient,
    admin: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    response = client.request(method.upper(), V1 + path, headers=admin, json=body)
    assert (field, rule) in _rules(response)


@pytest.mark.parametrize("value", ["0.5", "0", "1700000000"])
def test_a_number_is_not_a_time_in_a_query(
    client: TestClient, admin: dict[str, str], value: str
) -> None:
    response = client.get(f"{V1}/access/events", headers=admin, params={"until": value})
    assert _rules(response) == [("until", "datetime_format")]


def test_the_schema_states_the_rules(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]

    def prop(model: str, name: str) -> dict[str, Any]:
        found: dict[str, Any] = schemas[model]["properties"][name]
        return found

    # A field an update cannot empty is not nullable, and has no null default.
    assert prop("SiteUpdate", "name") == {k: v for k, v in prop("SiteUpdate", "name").items()}
    assert "anyOf" not in prop("SiteUpdate", "name") and "default" not in prop("SiteUpdate", "name")
    assert "anyOf" not in prop("GrantUpdate", "valid_from")
    # Dates and times carry their bound as a pattern on the year.
    year = prop("GrantCreate", "valid_from")["pattern"]
    assert year == "^(19[0-9]{2}|20[0-9]{2}|2100)-"
    # The PIN's digits and the pin-only-for-a-PIN rule.
    pin = prop("CredentialCreate", "pin")["anyOf"][0]
    assert pin["pattern"] == "^[0-9]{4,8}$"
    assert schemas["CredentialCreate"]["if"]["properties"]["kind"] == {"const": "pin"}
    # Known permissions, the new password's length, unique lists, one grant holder.
    assert "site.read" in prop("TokenCreate", "scopes")["items"]["enum"]
    assert prop("UserCreate", "password")["minLength"] == 12
    assert prop("ProfileCreate", "zone_ids")["uniqueItems"] is True
    assert len(schemas["GrantCreate"]["oneOf"]) == 2


def test_an_unreadable_body_is_the_documented_422(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.post(
        f"{V1}/sites",
        headers={**admin, "Content-Type": "application/json"},
        content=b"\xff\xfe{",
    )
    assert _rules(response) == [("body", "json_invalid")]


def test_405_allow_names_every_method_of_each_path(
    client: TestClient, admin: dict[str, str]
) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    checked = 0
    for template, operations in paths.items():
        declared = {method.upper() for method in operations}
        unused = [m for m in ("PUT", "PATCH", "DELETE", "POST") if m not in declared]
        if not template.startswith(V1) or not unused:
            continue
        path = re.sub(r"\{[^}]+\}", SOME_ID, template)
        response = client.request(unused[0], path, headers=admin)
        assert response.status_code == 405, (template, response.text)
        allowed = {m.strip() for m in response.headers["Allow"].split(",")}
        # Every declared method is named; a literal segment may also match another
        # template (/alarms/inputs and /alarms/{alarm_id}), whose methods then count too.
        assert declared <= allowed and unused[0] not in allowed, template
        checked += 1
    assert checked > 20


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return own + [p for value in node.values() for p in _patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in _patterns(value)]
    return []


#: A pattern's parts: a negated class, a class, an escape, any other character. The open
#: ones admit characters they do not name: a negated class, ``\S`` and ``.``.
_PART = re.compile(r"\[\^(?:\\.|[^\]])*\]|\[(?:\\.|[^\]])*\]|\\.|.")


def _open_parts(pattern: str) -> list[str]:
    return [
        part for part in _PART.findall(pattern) if part.startswith("[^") or part in {"\\S", "."}
    ]


def test_every_open_pattern_keeps_nul_out(client: TestClient) -> None:
    """Input with NUL is refused by a rule of its own (``no_nul_character``); a field whose
    own pattern replaces the schema's no-NUL pattern must keep NUL out itself, or the
    schema would allow what the API refuses (schemathesis found it for an e-mail)."""
    document = client.get("/openapi.json").json()
    leaky = sorted(
        {
            pattern
            for pattern in _patterns(document)
            if any(r"\x00" not in part for part in _open_parts(pattern))
        }
    )
    assert leaky == []
