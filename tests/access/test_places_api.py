"""Zones and doors over the API: rules, duplicates, scope of department administrators."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessChange
from stadsvakt.audit.models import AuditEntry
from tests import factories_access as fa
from tests.access.town import V1, Town, admin_fixture, town_fixture  # noqa: F401


def _errors(response: object) -> list[tuple[str, str]]:
    body = response.json()  # type: ignore[attr-defined]
    return [(e["field"], e["rule"]) for e in body["errors"]]


def test_zone_and_door_lifecycle_is_audited_and_fed(
    client: TestClient, session: Session, town: Town
) -> None:
    h = town.owner
    zone = client.post(
        V1 + "/zones",
        headers=h,
        json={"site_id": str(town.school_site.id), "code": "ENTR", "name": "Entré"},
    )
    assert zone.status_code == 201, zone.text
    door = client.post(
        V1 + "/doors",
        headers=h,
        json={
            "zone_id": zone.json()["id"],
            "code": "ENTR-1",
            "name": "Huvudentré",
            "reader_ids": ["R-1", "R-2"],
        },
    )
    assert door.status_code == 201, door.text
    assert door.json()["site_id"] == str(town.school_site.id)
    assert door.json()["mode"] == "secure"
    door_id = door.json()["id"]
    patched = client.patch(f"{V1}/doors/{door_id}", headers=h, json={"mode": "lockdown"})
    assert patched.json()["mode"] == "lockdown"
    listed = client.get(
        V1 + "/doors", headers=h, params={"site_id": str(town.school_site.id), "mode": "lockdown"}
    )
    assert [d["id"] for d in listed.json()["items"]] == [door_id]
    assert client.delete(f"{V1}/zones/{zone.json()['id']}", headers=h).status_code == 409
    assert client.delete(f"{V1}/doors/{door_id}", headers=h).status_code == 204
    assert client.delete(f"{V1}/zones/{zone.json()['id']}", headers=h).status_code == 204

    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == door_id).order_by(AuditEntry.seq)
    ).all()
    assert actions == ["door.create", "door.update", "door.delete"]
    feed = session.scalars(
        select(AccessChange.op).where(
            AccessChange.entity == "door", AccessChange.entity_id == door_id
        )
    ).all()
    assert feed == ["upsert", "upsert", "delete"]


def test_duplicate_codes_conflict(client: TestClient, town: Town) -> None:
    body = {"site_id": str(town.school_site.id), "code": town.school_zone.code, "name": "Igen"}
    response = client.post(V1 + "/zones", headers=town.owner, json=body)
    assert response.status_code == 409


def test_door_rules_name_field_and_rule(client: TestClient, session: Session, town: Town) -> None:
    h = town.owner
    no_schedule = client.post(
        V1 + "/doors",
        headers=h,
        json={
            "zone_id": str(town.school_zone.id),
            "code": "D-X",
            "name": "X",
            "mode": "scheduled_unlock",
        },
    )
    assert no_schedule.status_code == 422
    assert _errors(no_schedule) == [("unlock_schedule_id", "required_for_scheduled_unlock")]
    twice = client.post(
        V1 + "/doors",
        headers=h,
        json={
            "zone_id": str(town.school_zone.id),
            "code": "D-Y",
            "name": "Y",
            "reader_ids": ["A", "A"],
        },
    )
    assert _errors(twice) == [("reader_ids", "distinct")]
    door = fa.door(session, town.school_zone)
    moved = client.patch(
        f"{V1}/doors/{door.id}", headers=h, json={"zone_id": str(town.care_zone.id)}
    )
    assert _errors(moved) == [("zone_id", "same_site")]
    schedule = fa.schedule(session, town.tenant)
    unlocked = client.patch(
        f"{V1}/doors/{door.id}",
        headers=h,
        json={"mode": "scheduled_unlock", "unlock_schedule_id": str(schedule.id)},
    )
    assert unlocked.status_code == 200, unlocked.text
    cleared = client.patch(f"{V1}/doors/{door.id}", headers=h, json={"unlock_schedule_id": None})
    assert _errors(cleared) == [("unlock_schedule_id", "required_for_scheduled_unlock")]


def test_department_admin_works_only_in_their_sites(
    client: TestClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    mine = fa.door(session, town.school_zone)
    theirs = fa.door(session, town.care_zone)
    listed = client.get(V1 + "/doors").json()["items"]
    assert [d["id"] for d in listed] == [str(mine.id)]
    assert client.get(f"{V1}/doors/{theirs.id}").status_code == 404
    assert (
        client.patch(f"{V1}/doors/{theirs.id}", headers=admin, json={"name": "X"}).status_code
        == 404
    )
    assert client.delete(f"{V1}/zones/{town.care_zone.id}", headers=admin).status_code == 404
    other_site = client.post(
        V1 + "/zones",
        headers=admin,
        json={"site_id": str(town.care_site.id), "code": "Q", "name": "Q"},
    )
    assert other_site.status_code == 404
    assert other_site.json()["field"] == "site_id"
    into_theirs = client.post(
        V1 + "/doors",
        headers=admin,
        json={"zone_id": str(town.care_zone.id), "code": "Q", "name": "Q"},
    )
    assert into_theirs.status_code == 404
    ok = client.post(
        V1 + "/doors",
        headers=admin,
        json={"zone_id": str(town.school_zone.id), "code": "Q", "name": "Q"},
    )
    assert ok.status_code == 201, ok.text
