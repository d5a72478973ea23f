"""Profiles, position profiles and direct grants: window rules and a department admin's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessChange
from tests import factories_access as fa
from tests import factories_directory as fd
from tests.access.town import V1, Town, admin_fixture, town_fixture  # noqa: F401

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _grant(profile_id: object, person_id: object, hours: int = 2) -> dict[str, object]:
    """An employee's extra right (the factories' people are employees), hosted by themselves."""
    return {
        "profile_id": str(profile_id),
        "person_id": str(person_id),
        "kind": "extra",
        "valid_from": NOW.isoformat(),
        "valid_to": (NOW + timedelta(hours=hours)).isoformat(),
        "host_person_id": str(person_id),
        "reason": "Test",
    }


def test_profile_lists_its_zones_and_feeds_changes(
    client: TestClient, session: Session, town: Town
) -> None:
    schedule = fa.schedule(session, town.tenant)
    body = {
        "code": "LARARE",
        "name": "Lärare",
        "schedule_id": str(schedule.id),
        "zone_ids": [str(town.school_zone.id)],
        "required_course": "Brandskydd",
    }
    created = client.post(V1 + "/access-profiles", headers=town.owner, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["zone_ids"] == [str(town.school_zone.id)]
    assert client.post(V1 + "/access-profiles", headers=town.owner, json=body).status_code == 409
    pid = created.json()["id"]
    both = [str(town.school_zone.id), str(town.care_zone.id)]
    patched = client.patch(
        f"{V1}/access-profiles/{pid}", headers=town.owner, json={"zone_ids": both}
    )
    assert sorted(patched.json()["zone_ids"]) == sorted(both)
    by_zone = client.get(
        V1 + "/access-profiles", headers=town.owner, params={"zone_id": str(town.care_zone.id)}
    )
    assert [p["id"] for p in by_zone.json()["items"]] == [pid]
    feed = session.scalars(select(AccessChange.entity).where(AccessChange.entity_id == pid)).all()
    assert feed == ["profile", "profile"]
    twice = client.patch(
        f"{V1}/access-profiles/{pid}", headers=town.owner, json={"zone_ids": [both[0], both[0]]}
    )
    assert twice.json()["errors"][0] == {
        "field": "zone_ids",
        "rule": "distinct",
        "message": "zone_ids: a value is listed twice",
    }


def test_position_profile_for_every_position_in_a_unit(
    client: TestClient, session: Session, town: Town
) -> None:
    profile = fa.profile(session, town.tenant, [town.school_zone])
    body = {"org_unit_id": str(town.school.id), "position": "*", "profile_id": str(profile.id)}
    created = client.post(V1 + "/position-profiles", headers=town.owner, json=body)
    assert created.status_code == 201, created.text
    assert client.post(V1 + "/position-profiles", headers=town.owner, json=body).status_code == 409
    used = client.delete(f"{V1}/access-profiles/{profile.id}", headers=town.owner)
    assert used.status_code == 409


def test_grant_window_must_end_after_it_starts(
    client: TestClient, session: Session, town: Town
) -> None:
    profile = fa.profile(session, town.tenant, [town.school_zone])
    guest = fd.person(session, town.tenant, unit=town.school)
    backwards = client.post(
        V1 + "/grants", headers=town.owner, json=_grant(profile.id, guest.id, -1)
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "valid_to"
    assert backwards.json()["errors"][0]["rule"] == "after_valid_from"
    created = client.post(V1 + "/grants", headers=town.owner, json=_grant(profile.id, guest.id))
    assert created.status_code == 201, created.text
    gid = created.json()["id"]
    moved = client.patch(
        f"{V1}/grants/{gid}",
        headers=town.owner,
        json={"valid_to": (NOW - timedelta(hours=1)).isoformat()},
    )
    assert moved.json()["errors"][0]["rule"] == "after_valid_from"
    during = client.get(
        V1 + "/grants",
        headers=town.owner,
        params={"valid_at": (NOW + timedelta(hours=1)).isoformat()},
    )
    after = client.get(
        V1 + "/grants",
        headers=town.owner,
        params={"valid_at": (NOW + timedelta(hours=3)).isoformat()},
    )
    assert [g["id"] for g in during.json()["items"]] == [gid]
    assert after.json()["items"] == []
    naive = client.post(
        V1 + "/grants",
        headers=town.owner,
        json={**_grant(profile.id, guest.id), "valid_from": "2026-11-23T09:00:00"},
    )
    assert naive.status_code == 422
    neither = {k: v for k, v in _grant(profile.id, guest.id).items() if k != "person_id"}
    refused = client.post(V1 + "/grants", headers=town.owner, json=neither)
    assert refused.json()["errors"][0]["rule"] == "one_holder"


def test_department_admin_grants_only_own_sites_to_own_people(
    client: TestClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    own_profile = fa.profile(session, town.tenant, [town.school_zone], unit=town.school)
    mixed = fa.profile(session, town.tenant, [town.school_zone, town.care_zone], unit=town.school)
    care_profile = fa.profile(session, town.tenant, [town.care_zone], unit=town.care)
    pupil_guest = fd.person(session, town.tenant, unit=town.school)
    care_worker = fd.person(session, town.tenant, unit=town.care)

    ok = client.post(V1 + "/grants", headers=admin, json=_grant(own_profile.id, pupil_guest.id))
    assert ok.status_code == 201, ok.text
    assert ok.json()["org_unit_id"] == str(town.school.id)  # the holder's unit, the admin's scope

    outside = client.post(V1 + "/grants", headers=admin, json=_grant(mixed.id, pupil_guest.id))
    assert outside.status_code == 403
    assert outside.json()["field"] == "profile_id"
    unseen = client.post(
        V1 + "/grants", headers=admin, json=_grant(care_profile.id, pupil_guest.id)
    )
    assert unseen.status_code == 404
    stranger = client.post(
        V1 + "/grants", headers=admin, json=_grant(own_profile.id, care_worker.id)
    )
    assert stranger.status_code == 404
    assert stranger.json()["field"] == "person_id"

    theirs = fa.grant(session, care_worker, care_profile)
    assert client.get(f"{V1}/grants/{theirs.id}").status_code == 404
    assert client.delete(f"{V1}/grants/{theirs.id}", headers=admin).status_code == 404
    assert client.delete(f"{V1}/grants/{ok.json()['id']}", headers=admin).status_code == 204


def test_times_at_the_edge_of_the_calendar_are_refused(
    client: TestClient, session: Session, town: Town
) -> None:
    profile = fa.profile(session, town.tenant, [town.school_zone])
    guest = fd.person(session, town.tenant, unit=town.school)
    body = {**_grant(profile.id, guest.id), "valid_to": "9999-12-31T23:59:59-23:59"}
    refused = client.post(V1 + "/grants", headers=town.owner, json=body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["rule"] == "date_range"
    listed = client.get(
        V1 + "/grants", headers=town.owner, params={"valid_at": "0001-01-01T00:00:00+01:00"}
    )
    assert listed.status_code == 422
