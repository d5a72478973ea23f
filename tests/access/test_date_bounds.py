"""Every date and time the access and directory APIs take is bounded (stadsvakt.bounds): the
OpenAPI document shows the bound, and a date outside it is a 422 naming the field and rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories_access as fa
from tests import factories_decisions as fd
from tests.access.town import V1, Town, town_fixture  # noqa: F401

#: The OpenAPI tags of the access and directory routes.
TAGS = {
    "access decisions",
    "access model",
    "credentials",
    "grants",
    "reports",
    "directory",
    "service catalogue",
}
FAR = "2999-01-01"


def _inputs(
    schema: dict[str, Any], components: dict[str, Any], path: str, seen: frozenset[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, schema) of every date or date-time inside an input schema."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _inputs(components[name], components, path, seen | {name})
        return
    if schema.get("format") in ("date", "date-time"):
        yield path, schema
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _inputs(sub, components, path, seen)
    for name, sub in schema.get("properties", {}).items():
        yield from _inputs(sub, components, f"{path}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        yield from _inputs(schema["items"], components, f"{path}[]", seen)


def test_every_date_the_access_and_directory_apis_take_shows_its_bound(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    components = document["components"]["schemas"]
    found: dict[str, dict[str, Any]] = {}
    for route, operations in document["paths"].items():
        for method, operation in operations.items():
            if not TAGS & set(operation.get("tags", [])):
                continue
            where = f"{method.upper()} {route}"
            for parameter in operation.get("parameters", []):
                for path, schema in _inputs(
                    parameter["schema"], components, parameter["name"], frozenset()
                ):
                    found[f"{where} {path}"] = schema
            for content in operation.get("requestBody", {}).get("content", {}).values():
                for path, schema in _inputs(content["schema"], components, "body", frozenset()):
                    found[f"{where} {path}"] = schema
    assert len(found) >= 20, sorted(found)
    unbounded = sorted(k for k, s in found.items() if "formatMaximum" not in s)
    assert unbounded == []
    assert {s["formatMaximum"][:10] for s in found.values()} == {"2100-12-31"}
    assert {s["formatMinimum"][:10] for s in found.values()} == {"1900-01-01"}


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert {"field": field, "rule": "date_range"} in [
        {"field": e["field"], "rule": e["rule"]} for e in errors
    ], errors


def test_far_dates_in_access_bodies_are_refused(
    client: TestClient, session: Session, town: Town
) -> None:
    h = town.owner
    profile = fa.profile(session, town.tenant, [town.school_zone])
    guest = fd.person(session, town.tenant, unit=town.school)
    grant = {"profile_id": str(profile.id), "person_id": str(guest.id)}
    for field in ("valid_from", "valid_to"):
        body = {**grant, "valid_from": "2026-11-23T10:00:00+01:00", field: f"{FAR}T00:00:00Z"}
        _refused(client.post(V1 + "/grants", headers=h, json=body), field)
    made = fa.grant(session, guest, profile)
    _refused(
        client.patch(f"{V1}/grants/{made.id}", headers=h, json={"valid_to": f"{FAR}T00:00:00Z"}),
        "valid_to",
    )
    card = {"person_id": str(guest.id), "kind": "card", "identifier": "04A22B1C"}
    for field in ("valid_from", "valid_to"):
        body = {**card, field: f"{FAR}T00:00:00+01:00"}
        _refused(client.post(V1 + "/credentials", headers=h, json=body), field)
    issued = fd.credential(session, guest)
    _refused(
        client.patch(
            f"{V1}/credentials/{issued.id}", headers=h, json={"valid_from": "1899-12-31T23:59:59Z"}
        ),
        "valid_from",
    )
    days = {"code": "LOV", "name": "Lov", "local_days": [{"date": FAR, "name": "Lov"}]}
    _refused(client.post(V1 + "/holiday-calendars", headers=h, json=days), "local_days.0.date")


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/access/events", "since"),
        ("/access/events", "until"),
        ("/grants", "valid_at"),
        ("/reports/orphan-credentials", "at"),
    ],
)
def test_far_times_in_queries_are_refused(
    client: TestClient, town: Town, path: str, parameter: str
) -> None:
    response = client.get(
        V1 + path, headers=town.owner, params={parameter: f"{FAR}T00:00:00+00:00"}
    )
    _refused(response, parameter)


def test_far_dates_in_directory_bodies_are_refused(
    client: TestClient, session: Session, town: Town
) -> None:
    h = town.owner
    person = fd.person(session, town.tenant, unit=town.school)
    for field, start, end in (("start", FAR, None), ("end", "2026-01-01", FAR)):
        item = {"org_unit_id": str(town.school.id), "position": "lärare", "start": start}
        if end is not None:
            item["end"] = end
        _refused(
            client.put(
                f"{V1}/people/{person.id}/assignments", headers=h, json={"assignments": [item]}
            ),
            f"assignments.0.{field}",
        )
    for field in ("completed_on", "expires_on"):
        body = {
            "person_id": str(person.id),
            "course": "Brandskydd",
            "completed_on": "2026-01-01",
            field: "0999-01-01" if field == "completed_on" else FAR,
        }
        _refused(client.post(V1 + "/training", headers=h, json=body), field)


def test_far_dates_in_a_directory_csv_are_refused_by_line_and_column(
    client: TestClient, session: Session, town: Town
) -> None:
    csv = (
        "employee_number;given_name;family_name;unit_code;position;start;end\n"
        f"E1;Anna;Berg;{town.school.code};lärare;2026-01-01;{FAR}\n"
    )
    response = client.post(
        V1 + "/directory/import",
        headers={**town.owner, "content-type": "text/csv"},
        content=csv.encode(),
    )
    assert response.status_code == 422, response.text
    assert {"field": "end", "rule": "date_range", "line": 2} in [
        {k: e[k] for k in ("field", "rule", "line")} for e in response.json()["errors"]
    ]
