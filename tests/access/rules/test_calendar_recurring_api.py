"""A holiday calendar's recurring local days over the API: yearly ranges and ISO weeks,
listed among a year's days; impossible ones refused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories_access as fa
from tests.access.town import V1, Town, admin_fixture, town_fixture  # noqa: F401


def test_recurring_days_are_listed_every_year(
    client: TestClient, session: Session, town: Town
) -> None:
    calendar = fa.calendar(session, town.tenant)
    url = f"{V1}/holiday-calendars/{calendar.id}"
    recurring = [
        {"name": "Jullov", "start": "12-23", "end": "01-06"},
        {"name": "Höstlov", "week": 44},
    ]
    saved = client.patch(
        url, headers=town.owner, json={"include_public": False, "recurring_days": recurring}
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["recurring_days"] == [
        {"start": "12-23", "end": "01-06", "name": "Jullov"},
        {"week": "44", "name": "Höstlov"},
    ]
    days = client.get(f"{url}/days", headers=town.owner, params={"year": 2027}).json()["days"]
    listed = {d["date"]: d["name"] for d in days}
    assert listed["2027-01-06"] == "Jullov" and listed["2027-12-23"] == "Jullov"
    assert "2027-01-07" not in listed
    # ISO week 44 of 2027: 1-7 November.
    assert [d for d in listed if listed[d] == "Höstlov"] == [f"2027-11-0{n}" for n in range(1, 8)]
    for bad in (
        {"name": "X", "start": "04-31", "end": "05-01"},
        {"name": "X", "week": 54},
        {"name": "X", "start": "12-23"},
    ):
        refused = client.patch(url, headers=town.owner, json={"recurring_days": [bad]})
        assert refused.status_code == 422, bad
