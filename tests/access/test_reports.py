"""Access reports: orphan credentials, who can open a door, what a person can open; scope,
CSV, and agreement with ``decide()``."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.access.decide import DecisionRequest, decide
from stadsvakt.access.index.follower import AccessIndex
from stadsvakt.access.models import CredentialState, HolidayMode
from stadsvakt.access.reports.rights import who_can_open
from stadsvakt.access.reports.words import describe
from stadsvakt.api.deps import Services
from stadsvakt.context import system_actor
from tests import factories as f
from tests import factories_decisions as fd
from tests.access.town import V1, Town, admin_fixture, town_fixture  # noqa: F401

# A Monday morning in November (no holiday), 09:00 in Stockholm.
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
WEEKDAYS = [{"day": d, "start": "07:00", "end": "18:00"} for d in range(5)]


def test_schedule_in_words() -> None:
    assert describe(WEEKDAYS, "closed", "sv") == "mån–fre 07:00–18:00, helgdagar stängt"
    assert describe(WEEKDAYS, "normal", "en") == "Mon–Fri 07:00–18:00, holidays as weekdays"
    night: list[dict[str, object]] = [
        {"day": 5, "start": "22:00", "end": "06:00"},
        {"day": "holiday", "start": "10:00", "end": "14:00"},
    ]
    assert describe(night, "holiday_intervals", "sv") == "lör 22:00–06:00, helgdagar 10:00–14:00"
    assert describe([], "closed", "sv") == "aldrig öppet"


def _door_setup(session: Session, town: Town) -> dict[str, object]:
    schedule = fd.schedule(session, town.tenant, WEEKDAYS, holiday_mode=HolidayMode.CLOSED)
    profile = fd.profile(session, town.tenant, [town.school_zone], schedule)
    door = fd.door(session, town.school_zone)
    teacher = fd.person(session, town.tenant, unit=town.school)
    fd.assignment(session, teacher, town.school, "lärare")
    fd.position_profile(session, town.school, "lärare", profile)
    guest = fd.person(session, town.tenant, unit=town.school)
    fd.grant(
        session, profile, person_row=guest, valid_from=MONDAY, valid_to=MONDAY + timedelta(hours=2)
    )
    member = fd.person(session, town.tenant, unit=town.school)
    fd.grant(session, profile, group=fd.group(session, town.tenant, [member]), valid_from=MONDAY)
    outsider = fd.person(session, town.tenant, unit=town.care)
    fd.grant(session, profile, person_row=outsider, valid_from=MONDAY)
    left = fd.person(session, town.tenant, unit=town.school, active=False)
    fd.grant(session, profile, person_row=left, valid_from=MONDAY)
    return {
        "door": door,
        "teacher": teacher,
        "guest": guest,
        "member": member,
        "outsider": outsider,
    }


def test_who_can_open_lists_sources_schedule_and_window(
    client: TestClient, session: Session, town: Town
) -> None:
    made = _door_setup(session, town)
    url = f"{V1}/reports/doors/{made['door'].id}/who-can-open"  # type: ignore[attr-defined]
    body = client.get(url, params={"at": MONDAY.isoformat()}, headers=town.owner).json()
    by_person = {row["person_id"]: row for row in body["items"]}
    assert body["total"] == 4 and body["hidden_outside_scope"] == 0
    teacher = by_person[str(made["teacher"].id)]  # type: ignore[attr-defined]
    assert teacher["source"] == "position_profile"
    assert teacher["schedule"] == "mån–fre 07:00–18:00, helgdagar stängt"
    assert teacher["opens_at"] is True and teacher["reason_at"] == "granted_by_position"
    guest = by_person[str(made["guest"].id)]  # type: ignore[attr-defined]
    assert guest["source"] == "grant"
    assert guest["valid_to"].startswith("2026-11-23T10:00:00")
    assert by_person[str(made["member"].id)]["source"] == "group_grant"  # type: ignore[attr-defined]

    later = MONDAY + timedelta(hours=3)
    body = client.get(url, params={"at": later.isoformat()}, headers=town.owner).json()
    assert str(made["guest"].id) not in {r["person_id"] for r in body["items"]}  # type: ignore[attr-defined]

    night = MONDAY.replace(hour=22)
    body = client.get(url, params={"at": night.isoformat()}, headers=town.owner).json()
    assert {r["reason_at"] for r in body["items"]} == {"outside_schedule"}


def test_department_admin_sees_only_their_people_and_doors(
    client: TestClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    made = _door_setup(session, town)
    url = f"{V1}/reports/doors/{made['door'].id}/who-can-open"  # type: ignore[attr-defined]
    body = client.get(url, params={"at": MONDAY.isoformat()}, headers=admin).json()
    assert body["total"] == 3 and body["hidden_outside_scope"] == 1
    other_door = fd.door(session, town.care_zone)
    response = client.get(f"{V1}/reports/doors/{other_door.id}/who-can-open", headers=admin)
    assert response.status_code == 404
    outsider = made["outsider"].id  # type: ignore[attr-defined]
    response = client.get(f"{V1}/reports/people/{outsider}/what-can-open", headers=admin)
    assert response.status_code == 404


def test_what_can_person_open_lists_doors_by_site(
    client: TestClient, session: Session, town: Town
) -> None:
    made = _door_setup(session, town)
    second = fd.door(session, town.school_zone)
    teacher = made["teacher"].id  # type: ignore[attr-defined]
    response = client.get(
        f"{V1}/reports/people/{teacher}/what-can-open",
        params={"at": MONDAY.isoformat(), "format": "csv"},
        headers=town.owner,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["door_id"] for r in rows} == {str(made["door"].id), str(second.id)}  # type: ignore[attr-defined]
    assert {r["site_name"] for r in rows} == {town.school_site.name}
    assert {r["opens_at"] for r in rows} == {"true"}


def test_orphan_credentials(client: TestClient, session: Session, town: Town) -> None:
    employed = fd.person(session, town.tenant, unit=town.school)
    fd.assignment(session, employed, town.school, "lärare")
    fd.credential(session, employed)
    leaver = fd.person(session, town.tenant, unit=town.school)
    fd.assignment(session, leaver, town.school, "lärare", end=date(2026, 10, 31))
    left_card = fd.credential(session, leaver)
    inactive = fd.person(session, town.tenant, unit=town.school, active=False)
    inactive_card = fd.credential(session, inactive)
    revoked = fd.person(session, town.tenant, unit=town.school, active=False)
    fd.credential(session, revoked, state=CredentialState.REVOKED)

    body = client.get(
        f"{V1}/reports/orphan-credentials", params={"at": MONDAY.isoformat()}, headers=town.owner
    ).json()
    found = {row["credential_id"]: row for row in body["items"]}
    assert set(found) == {str(left_card.id), str(inactive_card.id)}
    assert found[str(left_card.id)]["reason"] == "no_current_assignment"
    assert found[str(left_card.id)]["last_assignment_end"] == "2026-10-31"
    assert found[str(inactive_card.id)]["reason"] == "person_inactive"

    # The end day is the first day the assignment no longer holds (as decisions count it):
    # the evening before, the card is not an orphan yet; from midnight it is.
    body = client.get(
        f"{V1}/reports/orphan-credentials",
        params={"at": "2026-10-30T22:59:59+00:00", "format": "csv"},
        headers=town.owner,
    )
    lines = body.text.strip().splitlines()
    assert lines[0].startswith("person_name,employee_number")
    assert len(lines) == 2 and inactive_card.identifier in lines[1]
    body = client.get(
        f"{V1}/reports/orphan-credentials",
        params={"at": "2026-10-30T23:00:00+00:00"},
        headers=town.owner,
    )
    assert {row["credential_id"] for row in body.json()["items"]} == set(found)


def test_report_agrees_with_decide_for_random_requests(
    session: Session, town: Town, services: Services
) -> None:
    rng = random.Random(20261123)
    tenant = town.tenant
    zones = [town.school_zone, fd.zone(session, town.school_site), town.care_zone]
    doors = [fd.door(session, z) for z in zones]
    night = [{"day": d, "start": "20:00", "end": "06:00"} for d in range(7)]
    schedules = [
        fd.schedule(session, tenant, WEEKDAYS, holiday_mode=HolidayMode.CLOSED),
        fd.schedule(session, tenant, night),
        fd.schedule(session, tenant),
    ]
    profiles = [
        fd.profile(session, tenant, rng.sample(zones, rng.randint(1, 2)), rng.choice(schedules))
        for _ in range(5)
    ]
    units, positions = [town.schools, town.school, town.care], ["lärare", "rektor", "*"]
    for _ in range(4):
        fd.position_profile(
            session,
            rng.choice(units),
            rng.choice(positions[:2] + ["*"]),
            rng.choice(profiles),
            subunits=rng.random() < 0.5,
        )
    cards = []
    for n in range(25):
        person = fd.person(session, tenant, unit=rng.choice(units), active=rng.random() > 0.1)
        if rng.random() < 0.7:
            start = date(2026, 11, rng.randint(1, 28))
            fd.assignment(
                session, person, rng.choice(units), rng.choice(positions[:2]), start=start
            )
        if rng.random() < 0.4:
            begins = MONDAY + timedelta(hours=rng.randint(-48, 48))
            ends = begins + timedelta(hours=rng.randint(1, 72))
            fd.grant(
                session, rng.choice(profiles), person_row=person, valid_from=begins, valid_to=ends
            )
        cards.append((person, fd.credential(session, person, identifier=f"0A{n:06X}")))
    index = AccessIndex()
    state = index.ensure(session)
    actor = system_actor("report test", tenant.id)
    checked = granted = 0
    for _ in range(200):
        door = rng.choice(doors)
        at = MONDAY + timedelta(minutes=rng.randint(-5 * 24 * 60, 5 * 24 * 60))
        report = who_can_open(session, actor, door.id, at=at)
        opens = {row.person_id for row in report.rows if row.opens_at}
        for person, card in rng.sample(cards, 5):
            decision = decide(DecisionRequest(tenant.id, door.id, card.identifier), state, at)
            assert decision.granted == (person.id in opens), (person.id, door.id, at, decision)
            checked += 1
            granted += decision.granted
    assert checked == 1000 and 0 < granted < checked


def test_report_times_are_bounded(client: TestClient, session: Session, town: Town) -> None:
    door = fd.door(session, town.school_zone)
    for url in (f"{V1}/reports/doors/{door.id}/who-can-open", f"{V1}/reports/orphan-credentials"):
        response = client.get(url, params={"at": "0001-01-01T00:00:00+14:00"}, headers=town.owner)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "at"


def test_reports_need_person_read(client: TestClient, session: Session, town: Town) -> None:
    door = fd.door(session, town.school_zone)
    headers = f.bearer(f.token(session, town.tenant, "access.read"))
    response = client.get(f"{V1}/reports/doors/{door.id}/who-can-open", headers=headers)
    assert response.status_code == 403
