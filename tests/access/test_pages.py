"""The access-control pages: lists, forms with errors on their fields, lost in one click, scope."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import Credential, CredentialState, Door, Schedule
from stadsvakt.api.deps import Services
from tests import factories as f
from tests import factories_access as fa
from tests import factories_directory as fd
from tests.access.town import Town, town_fixture  # noqa: F401
from tests.web.conftest import csrf_of, log_in


def _browser(
    client: TestClient, session: Session, services: Services, town: Town, **role: object
) -> TestClient:
    who = f.user(session, town.tenant, services.passwords, **role)  # type: ignore[arg-type]
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, who.username, who.password).status_code == 303
    return client


def test_zones_and_doors_page_and_door_form(
    client: TestClient, session: Session, services: Services, town: Town
) -> None:
    browser = _browser(client, session, services, town)
    fa.door(session, town.school_zone)
    page = browser.get("/access/places", params={"site": str(town.school_site.id)})
    assert page.status_code == 200
    assert town.school_zone.name in page.text and "Zoner och dörrar" in page.text
    # Both forms have a name and a code: each label points at its own form's field.
    assert 'for="f-zone-name"' in page.text and 'for="f-door-name"' in page.text
    data = {
        "csrf_token": csrf_of(page.text),
        "zone_id": str(town.school_zone.id),
        "name": "Personalingång",
        "code": "PERS-1",
        "reader_ids": "R-10 R-11",
        "mode": "scheduled_unlock",
        "unlock_schedule_id": "",
    }
    refused = browser.post(f"/access/places/{town.school_site.id}/doors", data=data)
    assert refused.status_code == 422
    assert 'id="f-door-unlock_schedule_id-error"' in refused.text
    assert 'href="#f-door-unlock_schedule_id"' in refused.text
    assert "Välj schemat som låser upp dörren." in refused.text
    assert 'value="Personalingång"' in refused.text
    done = browser.post(
        f"/access/places/{town.school_site.id}/doors",
        data={**data, "mode": "secure"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    door = session.execute(select(Door).where(Door.code == "PERS-1")).scalar_one()
    assert door.reader_ids == ["R-10", "R-11"]


def test_schedule_form_grid_and_overlap_error(
    client: TestClient, session: Session, services: Services, town: Town
) -> None:
    browser = _browser(client, session, services, town)
    page = browser.get("/access/schedules")
    data = {
        "csrf_token": csrf_of(page.text),
        "name": "Nattpass",
        "code": "NATT",
        "holiday_mode": "closed",
        "intervals": "mån 07:00-12:00\nmån 11:00-13:00",
    }
    refused = browser.post("/access/schedules", data=data)
    assert refused.status_code == 422
    assert "Rad 2: Två intervall överlappar." in refused.text
    created = browser.post(
        "/access/schedules",
        data={**data, "intervals": "fre 22:00-06:00\nhelgdag 10:00-14:00"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    schedule = session.execute(select(Schedule).where(Schedule.code == "NATT")).scalar_one()
    assert schedule.intervals[0] == {"day": 4, "start": "22:00", "end": "06:00"}
    detail = browser.get(created.headers["location"])
    assert "Fredag" in detail.text and "Helgdag" in detail.text
    assert "fri 22:00-06:00" in detail.text  # the form shows the lines back
    assert detail.text.count('class="open"') == 2 + 6 + 4  # Fri 22-24, Sat 00-06, holiday 10-14


def test_mark_lost_from_the_list_and_department_scope(
    client: TestClient, session: Session, services: Services, town: Town
) -> None:
    own = fa.card(session, fd.person(session, town.tenant, unit=town.school))
    theirs = fa.card(session, fd.person(session, town.tenant, unit=town.care))
    browser = _browser(client, session, services, town, role="department_admin", unit=town.schools)
    page = browser.get("/access/credentials")
    assert own.identifier in page.text and theirs.identifier not in page.text
    # The list links to the holder's page; "lost" is confirmed on its own page first.
    token = csrf_of(browser.get(f"/access/credentials/{own.id}/lost").text)
    lost = browser.post(
        f"/access/credentials/{own.id}/lost", data={"csrf_token": token}, follow_redirects=False
    )
    assert lost.status_code == 303
    session.expire_all()
    assert session.get(Credential, own.id).state is CredentialState.LOST  # type: ignore[union-attr]
    other = browser.post(f"/access/credentials/{theirs.id}/lost", data={"csrf_token": token})
    assert other.status_code == 404
    doors = browser.get("/access/places", params={"site": str(town.care_site.id)})
    assert town.care_zone.name not in doors.text


def test_shortfall_page_in_english(
    client: TestClient, session: Session, services: Services, town: Town
) -> None:
    browser = _browser(client, session, services, town)
    browser.headers["Accept-Language"] = "en"
    page = browser.get("/access/shortfall")
    assert page.status_code == 200
    assert (
        '<html lang="en">' in page.text and "Every site has what its level requires." in page.text
    )
    assert "Utökad" in page.text
