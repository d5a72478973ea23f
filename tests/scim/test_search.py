"""SCIM searches: filters translated to SQL, pagination, invalid filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories_scim import ENTERPRISE, ERROR, user_body
from tests.scim.conftest import ScimWorld

PEOPLE = [
    # user name, given, family, department, e-mail, employee number, active
    ("anna@testby.se", "Anna", "Svensson", "school", "anna@testby.se", "A1", True),
    ("bo@testby.se", "Bo", "Ek", "school", None, "B2", True),
    ("cecilia@testby.se", "Cecilia", "Andersson", "care", "cecilia@vard.testby.se", None, False),
]


@pytest.fixture
def people(scim: ScimWorld) -> dict[str, str]:
    """Three provisioned users; their ids by user name."""
    ids = {}
    for name, given, family, dept, email, number, active in PEOPLE:
        unit = scim.school if dept == "school" else scim.care
        body = user_body(
            name,
            department=unit.code,
            given=given,
            family=family,
            email=email,
            employee_number=number,
            external_id=f"ext-{given}",
            active=active,
        )
        response = scim.client.post("/scim/v2/Users", json=body, headers=scim.headers)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    return ids


def _names(scim: ScimWorld, flt: str) -> set[str]:
    response = scim.client.get("/scim/v2/Users", headers=scim.headers, params={"filter": flt})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["totalResults"] == len(body.get("Resources", []))
    return {r["userName"] for r in body.get("Resources", [])}


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ('userName eq "ANNA@testby.se"', {"anna@testby.se"}),
        ('externalId eq "ext-Bo"', {"bo@testby.se"}),
        ('externalId eq "EXT-BO"', set()),  # externalId is case-exact
        ('name.familyName co "SSON"', {"anna@testby.se", "cecilia@testby.se"}),
        ('userName sw "c"', {"cecilia@testby.se"}),
        ('userName ew "o@testby.se"', {"bo@testby.se"}),
        ('displayName eq "Bo Ek"', {"bo@testby.se"}),
        ("emails pr", {"anna@testby.se", "cecilia@testby.se"}),
        ('emails.value co "vard"', {"cecilia@testby.se"}),
        ('emails[type eq "work" and value ew "@testby.se"]', {"anna@testby.se"}),
        ("active eq false", {"cecilia@testby.se"}),
        ('active eq true and name.givenName sw "A"', {"anna@testby.se"}),
        ('userName eq "bo@testby.se" or active eq false', {"bo@testby.se", "cecilia@testby.se"}),
        ('not (userName sw "a")', {"bo@testby.se", "cecilia@testby.se"}),
        (f'{ENTERPRISE}:employeeNumber eq "A1"', {"anna@testby.se"}),
        (f"{ENTERPRISE}:employeeNumber pr", {"anna@testby.se", "bo@testby.se"}),
        ('title eq "lärare"', {"anna@testby.se", "bo@testby.se", "cecilia@testby.se"}),
        ("title pr and active eq true", {"anna@testby.se", "bo@testby.se"}),
        ('userName eq "100%" or userName co "_"', set()),  # LIKE wildcards are literal
    ],
)
def test_filters(scim: ScimWorld, people: dict[str, str], flt: str, expected: set[str]) -> None:
    assert _names(scim, flt) == expected


def test_filter_by_department_and_id(scim: ScimWorld, people: dict[str, str]) -> None:
    care = f'{ENTERPRISE}:department eq "{scim.care.code}"'
    assert _names(scim, care) == {"cecilia@testby.se"}
    assert _names(scim, f'id eq "{people["bo@testby.se"]}"') == {"bo@testby.se"}
    assert _names(scim, 'id eq "not-a-uuid"') == set()


def test_filter_by_last_modified(scim: ScimWorld, people: dict[str, str]) -> None:
    before = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    after = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert len(_names(scim, f'meta.lastModified gt "{before}"')) == 3
    assert _names(scim, f'meta.lastModified ge "{after}"') == set()


@pytest.mark.parametrize(
    "flt",
    ["userName eq", 'userName zz "a"', "active gt true", 'meta.lastModified gt "yesterday"'],
)
def test_invalid_filters_are_400_invalid_filter(
    scim: ScimWorld, people: dict[str, str], flt: str
) -> None:
    response = scim.client.get("/scim/v2/Users", headers=scim.headers, params={"filter": flt})
    assert response.status_code == 400, response.text
    assert response.json()["schemas"] == [ERROR]
    assert response.json()["scimType"] == "invalidFilter"


def test_pagination(scim: ScimWorld, people: dict[str, str]) -> None:
    seen = []
    for start in (1, 3):
        page = scim.client.get(
            "/scim/v2/Users", headers=scim.headers, params={"startIndex": start, "count": 2}
        ).json()
        assert page["totalResults"] == 3
        assert page["startIndex"] == start
        seen += [r["userName"] for r in page["Resources"]]
    assert seen == [p[0] for p in PEOPLE]  # oldest first, each once
    only_total = scim.client.get("/scim/v2/Users", headers=scim.headers, params={"count": 0})
    assert only_total.json()["totalResults"] == 3
    assert only_total.json().get("Resources", []) == []
    capped = scim.client.get("/scim/v2/Users", headers=scim.headers, params={"count": 100000})
    assert capped.json()["itemsPerPage"] == 3


def test_search_with_post_and_attributes(scim: ScimWorld, people: dict[str, str]) -> None:
    response = scim.client.post(
        "/scim/v2/Users/.search",
        headers=scim.headers,
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName eq "bo@testby.se"',
            "attributes": ["userName"],
        },
    )
    assert response.status_code == 200, response.text
    (only,) = response.json()["Resources"]
    assert set(only) == {"schemas", "id", "userName"}
