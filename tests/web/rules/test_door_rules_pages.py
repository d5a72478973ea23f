"""The door rules in the admin UI: a new door's card-and-PIN and escape-route flags, and a
schedule's eve hours (typed as ``eve 07:00-14:00``, shown as their own row of the week)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import Door, Schedule, SiteDoorRules
from stadsvakt.audit.models import AuditEntry
from tests import factories_access as fa
from tests.web.conftest import City, csrf_of


def test_a_new_door_can_require_a_pin_and_be_an_escape_route(
    browser: TestClient, city: City, session: Session
) -> None:
    zone = fa.zone(session, city.city_site)
    page = browser.get(f"/access/places?site={city.city_site.id}")
    assert "Kort och kod" in page.text and "Utrymningsväg" in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "zone_id": str(zone.id),
        "name": "Nödutgång väst",
        "code": "NU1",
        "mode": "secure",
        "requires_pin": "on",
        "escape_route": "on",
    }
    saved = browser.post(
        f"/access/places/{city.city_site.id}/doors", data=form, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    door = session.scalars(select(Door).where(Door.code == "NU1")).one()
    assert door.requires_pin and door.escape_route
    plain = {**form, "code": "NU2", "name": "Entré"}
    del plain["requires_pin"], plain["escape_route"]
    browser.post(f"/access/places/{city.city_site.id}/doors", data=plain, follow_redirects=False)
    other = session.scalars(select(Door).where(Door.code == "NU2")).one()
    assert not other.requires_pin and not other.escape_route


def test_a_schedule_takes_eve_hours_and_shows_them_as_a_row(
    browser: TestClient, city: City, session: Session
) -> None:
    schedule = fa.schedule(session, city.tenant)
    page = browser.get(f"/access/schedules/{schedule.id}")
    form = {
        "csrf_token": csrf_of(page.text),
        "name": schedule.name,
        "code": schedule.code,
        "intervals": "mon 07:00-18:00\nafton 07:00-14:00",
        "holiday_mode": "closed",
    }
    saved = browser.post(f"/access/schedules/{schedule.id}", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    session.refresh(schedule)
    assert {"day": "eve", "start": "07:00", "end": "14:00"} in schedule.intervals
    shown = browser.get(f"/access/schedules/{schedule.id}")
    assert "Afton (kortare öppettid)" in shown.text
    assert "eve 07:00-14:00" in shown.text
    assert session.get(Schedule, schedule.id) is not None


def test_an_operator_opens_and_ends_a_sites_escape_routes_after_confirming(
    browser: TestClient, city: City, session: Session
) -> None:
    site = city.city_site
    detail = browser.get(f"/sites/{site.id}")
    assert "Nödöppning" in detail.text and "Ingen nödöppning pågår." in detail.text
    confirm = browser.get(f"/sites/{site.id}/emergency")
    assert confirm.status_code == 200
    assert f"Öppna utrymningsvägarna på {site.name}?" in confirm.text
    form = {"csrf_token": csrf_of(confirm.text), "action": "open"}
    done = browser.post(f"/sites/{site.id}/emergency", data=form, follow_redirects=False)
    assert done.status_code == 303
    rules = session.get(SiteDoorRules, site.id)
    assert rules is not None and rules.emergency_open and rules.emergency_source == "operator"
    assert "Objektets utrymningsvägar är öppna för alla." in browser.get(f"/sites/{site.id}").text
    confirm = browser.get(f"/sites/{site.id}/emergency")
    assert f"Avsluta nödöppningen på {site.name}?" in confirm.text
    form = {"csrf_token": csrf_of(confirm.text), "action": "end"}
    browser.post(f"/sites/{site.id}/emergency", data=form, follow_redirects=False)
    session.refresh(rules)
    assert not rules.emergency_open
    actions = set(
        session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(site.id)))
    )
    assert {"site.emergency_open", "site.emergency_end"} <= actions


def test_a_site_gets_a_holiday_calendar_for_its_doors(
    browser: TestClient, city: City, session: Session
) -> None:
    site = city.city_site
    calendar = fa.calendar(session, city.tenant)
    page = browser.get(f"/sites/{site.id}")
    assert "Dörrarnas helgkalender" in page.text and calendar.name in page.text
    form = {"csrf_token": csrf_of(page.text), "holiday_calendar_id": str(calendar.id)}
    saved = browser.post(f"/sites/{site.id}/door-calendar", data=form, follow_redirects=False)
    assert saved.status_code == 303
    rules = session.get(SiteDoorRules, site.id)
    assert rules is not None and rules.holiday_calendar_id == calendar.id
    assert f'<option value="{calendar.id}" selected>' in browser.get(f"/sites/{site.id}").text
    form["holiday_calendar_id"] = ""
    browser.post(f"/sites/{site.id}/door-calendar", data=form, follow_redirects=False)
    session.refresh(rules)
    assert rules.holiday_calendar_id is None
    form["holiday_calendar_id"] = "not-an-id"
    refused = browser.post(f"/sites/{site.id}/door-calendar", data=form, follow_redirects=False)
    assert refused.status_code in (400, 422)
