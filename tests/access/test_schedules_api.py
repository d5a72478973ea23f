"""Schedules and holiday calendars over the API: impossible schedules refused, holidays resolved."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.access.models import Schedule
from tests import factories_access as fa
from tests.access.town import V1, Town, admin_fixture, town_fixture  # noqa: F401


def _schedule(client: TestClient, town: Town, intervals: list[dict[str, object]]) -> object:
    body = {"code": "NATT", "name": "Nattpass", "intervals": intervals}
    return client.post(V1 + "/schedules", headers=town.owner, json=body)


def test_a_night_shift_crosses_midnight_and_is_stored_normalised(
    client: TestClient, session: Session, town: Town
) -> None:
    response = _schedule(
        client,
        town,
        [
            {"day": 4, "start": "22:00", "end": "06:00"},
            {"day": "holiday", "start": "10:00", "end": "14:00"},
        ],
    )
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    stored = session.get(Schedule, uuid.UUID(response.json()["id"]))  # type: ignore[attr-defined]
    assert stored is not None
    assert stored.intervals == [
        {"day": 4, "start": "22:00", "end": "06:00"},
        {"day": "holiday", "start": "10:00", "end": "14:00"},
    ]


def test_impossible_schedules_are_refused_naming_interval_and_rule(
    client: TestClient, town: Town
) -> None:
    overlap = _schedule(
        client,
        town,
        [
            {"day": 0, "start": "08:00", "end": "12:00"},
            {"day": 0, "start": "11:00", "end": "13:00"},
        ],
    )
    assert overlap.status_code == 422  # type: ignore[attr-defined]
    error = overlap.json()["errors"][0]  # type: ignore[attr-defined]
    assert (error["field"], error["rule"]) == ("intervals[1]", "overlap")
    assert "overlaps intervals[0]" in error["message"]

    spill = _schedule(
        client,
        town,
        [
            {"day": 0, "start": "22:00", "end": "06:00"},
            {"day": 1, "start": "05:00", "end": "09:00"},
        ],
    )
    assert spill.json()["errors"][0]["rule"] == "overlap"  # type: ignore[attr-defined]

    empty = _schedule(client, town, [{"day": 2, "start": "08:00", "end": "08:00"}])
    assert empty.json()["errors"][0]["rule"] == "zero_length"  # type: ignore[attr-defined]

    bad_day = _schedule(client, town, [{"day": 9, "start": "08:00", "end": "09:00"}])
    assert bad_day.status_code == 422  # type: ignore[attr-defined]
    assert bad_day.json()["errors"][0]["field"].startswith("intervals.0.day")  # type: ignore[attr-defined]


def test_schedule_in_use_cannot_be_removed(
    client: TestClient, session: Session, town: Town
) -> None:
    schedule = fa.schedule(session, town.tenant)
    fa.profile(session, town.tenant, [town.school_zone], on=schedule)
    assert client.delete(f"{V1}/schedules/{schedule.id}", headers=town.owner).status_code == 409


def test_department_admin_sees_shared_and_own_schedules_and_changes_only_own(
    client: TestClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    shared = fa.schedule(session, town.tenant)
    own = fa.schedule(session, town.tenant, unit=town.school)
    theirs = fa.schedule(session, town.tenant, unit=town.care)
    ids = {s["id"] for s in client.get(V1 + "/schedules").json()["items"]}
    assert ids == {str(shared.id), str(own.id)}
    assert client.get(f"{V1}/schedules/{theirs.id}").status_code == 404
    assert (
        client.patch(f"{V1}/schedules/{own.id}", headers=admin, json={"name": "Egen"}).status_code
        == 200
    )
    assert (
        client.patch(f"{V1}/schedules/{shared.id}", headers=admin, json={"name": "X"}).status_code
        == 404
    )
    no_unit = client.post(
        V1 + "/schedules", headers=admin, json={"code": "DA1", "name": "Delad", "intervals": []}
    )
    assert no_unit.status_code == 403


def test_calendar_days_are_swedish_holidays_plus_local_days(
    client: TestClient, session: Session, town: Town
) -> None:
    calendar = fa.calendar(session, town.tenant)
    response = client.get(
        f"{V1}/holiday-calendars/{calendar.id}/days", headers=town.owner, params={"year": 2026}
    )
    assert response.status_code == 200
    days = {d["date"]: (d["name"], d["source"]) for d in response.json()["days"]}
    assert days["2026-06-19"] == ("Midsommarafton", "public")
    assert days["2026-12-25"] == ("Juldagen", "public")
    assert days["2026-06-05"] == ("Studiedag", "local")
    assert "2026-06-07" not in days  # an ordinary Sunday
    assert (
        client.get(
            f"{V1}/holiday-calendars/{calendar.id}/days", headers=town.owner, params={"year": 10}
        ).status_code
        == 422
    )

    only_local = client.patch(
        f"{V1}/holiday-calendars/{calendar.id}", headers=town.owner, json={"include_public": False}
    )
    assert only_local.status_code == 200
    again = client.get(
        f"{V1}/holiday-calendars/{calendar.id}/days", headers=town.owner, params={"year": 2026}
    )
    assert [d["date"] for d in again.json()["days"]] == ["2026-06-05"]
    twice = client.patch(
        f"{V1}/holiday-calendars/{calendar.id}",
        headers=town.owner,
        json={
            "local_days": [{"date": "2026-06-05", "name": "A"}, {"date": "2026-06-05", "name": "B"}]
        },
    )
    assert twice.json()["errors"][0]["rule"] == "distinct"


def test_department_admin_reads_but_cannot_change_calendars(
    client: TestClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    calendar = fa.calendar(session, town.tenant)
    assert client.get(f"{V1}/holiday-calendars/{calendar.id}").status_code == 200
    changed = client.patch(
        f"{V1}/holiday-calendars/{calendar.id}", headers=admin, json={"name": "X"}
    )
    assert changed.status_code == 403
