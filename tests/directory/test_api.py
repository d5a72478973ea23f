"""The directory API: people, assignments, groups, training, CSV import over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.directory.models import PersonKind
from tests import factories as f
from tests import factories_directory as fd

V1 = "/api/v1"


def test_people_crud_paging_and_filters(client: TestClient, session: Session) -> None:
    tenant = f.municipality(session)
    unit = f.unit(session, tenant)
    h = f.owner_bearer(session, tenant)
    made = client.post(
        V1 + "/people",
        headers=h,
        json={
            "given_name": " Lena ",
            "family_name": "Ström",
            "employee_number": "E100",
            "email": "lena@example.se",
            "org_unit_id": str(unit.id),
            "extended_unlock": True,
        },
    )
    assert made.status_code == 201, made.text
    person = made.json()
    assert (person["given_name"], person["version"], person["extended_unlock"]) == ("Lena", 1, True)
    for n in range(3):
        fd.person(session, tenant, unit=unit, family_name=f"Öst{n}")
    page = client.get(V1 + "/people", headers=h, params={"limit": 2, "offset": 2}).json()
    assert (page["total"], len(page["items"])) == (4, 2)
    found = client.get(V1 + "/people", headers=h, params={"q": "lena str"}).json()
    assert [p["id"] for p in found["items"]] == [person["id"]]
    changed = client.patch(f"{V1}/people/{person['id']}", headers=h, json={"email": None})
    assert changed.json()["email"] is None and changed.json()["version"] == 2
    clash = client.post(
        V1 + "/people",
        headers=h,
        json={"given_name": "A", "family_name": "B", "employee_number": "E100"},
    )
    assert clash.status_code == 409
    bad = client.post(
        V1 + "/people", headers=h, json={"given_name": "", "family_name": "B", "personnummer": "1"}
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"given_name", "personnummer"}
    assert client.delete(f"{V1}/people/{person['id']}", headers=h).status_code == 204
    assert client.get(f"{V1}/people/{person['id']}", headers=h).status_code == 404


def test_deactivate_over_the_api_revokes_credentials(client: TestClient, session: Session) -> None:
    tenant = f.municipality(session)
    unit = f.unit(session, tenant)
    person = fd.person(session, tenant, unit=unit, position="lärare")
    card = fd.credential(session, person)
    h = f.owner_bearer(session, tenant)
    done = client.post(f"{V1}/people/{person.id}/deactivate", headers=h, json={"reason": "slutat"})
    assert done.status_code == 200 and done.json()["active"] is False
    session.expire_all()
    assert card.state.value == "revoked"
    listed = client.get(f"{V1}/people/{person.id}/assignments", headers=h).json()
    assert all(a["end"] is not None for a in listed)
    inactive = client.get(V1 + "/people", headers=h, params={"active": "false"}).json()
    assert [p["id"] for p in inactive["items"]] == [str(person.id)]


def test_assignments_replace(client: TestClient, session: Session) -> None:
    tenant = f.municipality(session)
    first, second = f.unit(session, tenant), f.unit(session, tenant)
    person = fd.person(session, tenant, unit=first, position="lärare")
    h = f.owner_bearer(session, tenant)
    body = {
        "assignments": [
            {"org_unit_id": str(second.id), "position": "rektor", "start": "2024-08-01"}
        ]
    }
    put = client.put(f"{V1}/people/{person.id}/assignments", headers=h, json=body)
    assert put.status_code == 200, put.text
    assert [(a["position"], a["end"]) for a in put.json()] == [("rektor", None)]
    history = client.get(f"{V1}/people/{person.id}/assignments", headers=h).json()
    assert sorted(a["position"] for a in history) == ["lärare", "rektor"]
    assert client.get(f"{V1}/people/{person.id}", headers=h).json()["org_unit_id"] == str(second.id)
    wrong = {
        "assignments": [
            {
                "org_unit_id": str(second.id),
                "position": "x",
                "start": "2024-08-01",
                "end": "2024-01-01",
            }
        ]
    }
    refused = client.put(f"{V1}/people/{person.id}/assignments", headers=h, json=wrong)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "assignments.0.end"


def test_groups_and_members(client: TestClient, session: Session) -> None:
    tenant = f.municipality(session)
    unit = f.unit(session, tenant)
    a, b = fd.person(session, tenant, unit=unit), fd.person(session, tenant, unit=unit)
    h = f.owner_bearer(session, tenant)
    made = client.post(
        V1 + "/groups", headers=h, json={"display_name": "Fotbollslaget", "members": [str(a.id)]}
    )
    assert made.status_code == 201 and made.json()["members"] == [str(a.id)]
    gid = made.json()["id"]
    put = client.put(f"{V1}/groups/{gid}/members", headers=h, json={"members": [str(b.id)]})
    assert put.json()["members"] == [str(b.id)] and put.json()["version"] == 2
    unknown = client.put(
        f"{V1}/groups/{gid}/members", headers=h, json={"members": [str(tenant.id)]}
    )
    assert unknown.status_code == 404
    dup = client.post(V1 + "/groups", headers=h, json={"display_name": "Fotbollslaget"})
    assert dup.status_code == 409
    assert (
        client.patch(f"{V1}/groups/{gid}", headers=h, json={"display_name": "Laget"}).json()[
            "display_name"
        ]
        == "Laget"
    )
    assert client.get(V1 + "/groups", headers=h, params={"q": "lag"}).json()["total"] == 1
    assert client.delete(f"{V1}/groups/{gid}", headers=h).status_code == 204


def test_training_records(client: TestClient, session: Session) -> None:
    tenant = f.municipality(session)
    person = fd.person(session, tenant)
    h = f.owner_bearer(session, tenant)
    body = {
        "person_id": str(person.id),
        "course": "HLR",
        "completed_on": "2024-03-01",
        "expires_on": "2026-03-01",
    }
    assert client.post(V1 + "/training", headers=h, json=body).status_code == 201
    assert client.post(V1 + "/training", headers=h, json=body).status_code == 409
    early = {**body, "completed_on": "2024-04-01", "expires_on": "2024-01-01"}
    assert client.post(V1 + "/training", headers=h, json=early).status_code == 422
    mine = client.get(f"{V1}/people/{person.id}/training", headers=h).json()
    assert [(t["course"], t["expires_on"]) for t in mine["items"]] == [("HLR", "2026-03-01")]
    assert client.get(V1 + "/training", headers=h, params={"course": "HLR"}).json()["total"] == 1


def test_csv_import_dry_run_errors_and_export(client: TestClient, session: Session) -> None:
    tenant = f.municipality(session)
    unit = f.unit(session, tenant)
    h = {**f.owner_bearer(session, tenant), "Content-Type": "text/csv"}
    text = (
        "employee_number;given_name;family_name;unit_code;position;start\n"
        f"E1;Anna;Berg;{unit.code};lärare;2020-01-01\n"
    )
    dry = client.post(
        V1 + "/directory/import", headers=h, params={"dry_run": "true"}, content=text.encode()
    )
    assert dry.status_code == 200, dry.text
    assert (dry.json()["dry_run"], dry.json()["created"]) == (True, 1)
    assert dry.json()["changes"][0]["line"] == 2
    assert client.get(V1 + "/people", headers=h).json()["total"] == 0
    done = client.post(V1 + "/directory/import", headers=h, content=text.encode())
    assert (
        done.json()["created"] == 1 and client.get(V1 + "/people", headers=h).json()["total"] == 1
    )
    bad = client.post(
        V1 + "/directory/import",
        headers=h,
        content=(text + "E2;Bo;Ek;NOPE;x;2020-01-01\n").encode(),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {
            "field": "unit_code",
            "rule": "unknown",
            "message": "line 3, column unit_code: 'NOPE' is no organisation unit",
            "line": 3,
        }
    ]
    exported = client.get(V1 + "/directory/export", headers=h)
    assert exported.headers["content-type"].startswith("text/csv")
    assert f"E1,Anna,Berg,,employee,true,{unit.code},lärare,2020-01-01," in exported.text


def test_department_admin_cannot_reach_other_departments_people(
    client: TestClient, session: Session, services: Services
) -> None:
    tenant = f.municipality(session)
    mine, theirs = f.unit(session, tenant), f.unit(session, tenant)
    own = fd.person(session, tenant, unit=mine, kind=PersonKind.GUEST)
    foreign = fd.person(session, tenant, unit=theirs)
    admin = f.user(session, tenant, services.passwords, role="department_admin", unit=mine)
    h = f.login(client, admin)
    listed = client.get(V1 + "/people").json()
    assert [p["id"] for p in listed["items"]] == [str(own.id)]
    for call in (
        client.get(f"{V1}/people/{foreign.id}"),
        client.get(f"{V1}/people/{foreign.id}/assignments"),
        client.get(f"{V1}/people/{foreign.id}/training"),
        client.patch(f"{V1}/people/{foreign.id}", headers=h, json={"given_name": "X"}),
        client.post(f"{V1}/people/{foreign.id}/deactivate", headers=h),
        client.delete(f"{V1}/people/{foreign.id}", headers=h),
    ):
        assert call.status_code == 404, call.text
    employee = client.post(
        V1 + "/people",
        headers=h,
        json={"given_name": "A", "family_name": "B", "org_unit_id": str(mine.id)},
    )
    assert employee.status_code == 403
    exported = client.get(V1 + "/directory/export").text
    assert str(own.employee_number) in exported and str(foreign.employee_number) not in exported
