"""The report pages: orphan credentials, who can open a door, what a person can open, in
Swedish and English, limited to a department administrator's scope."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.access.models import HolidayMode
from stadsvakt.api.deps import Services
from tests import factories as f
from tests import factories_decisions as fd
from tests.access.town import Town, town_fixture  # noqa: F401
from tests.web.conftest import log_in

WEEKDAYS = [{"day": d, "start": "07:00", "end": "18:00"} for d in range(5)]


def _browser(
    client: TestClient, session: Session, services: Services, town: Town, lang: str = "sv"
) -> TestClient:
    who = f.user(
        session, town.tenant, services.passwords, role="department_admin", unit=town.schools
    )
    client.headers["Accept-Language"] = lang
    assert log_in(client, who.username, who.password).status_code == 303
    return client


def test_report_pages_in_swedish(
    client: TestClient, session: Session, services: Services, town: Town
) -> None:
    schedule = fd.schedule(session, town.tenant, WEEKDAYS, holiday_mode=HolidayMode.CLOSED)
    profile = fd.profile(session, town.tenant, [town.school_zone], schedule)
    door = fd.door(session, town.school_zone)
    care_door = fd.door(session, town.care_zone)
    teacher = fd.person(session, town.tenant, unit=town.school)
    fd.assignment(session, teacher, town.school, "lärare")
    fd.position_profile(session, town.school, "lärare", profile)
    leaver = fd.person(session, town.tenant, unit=town.school, active=False)
    card = fd.credential(session, leaver)
    outsider = fd.person(session, town.tenant, unit=town.care, active=False)
    outsider_card = fd.credential(session, outsider)
    browser = _browser(client, session, services, town)

    page = browser.get("/reports")
    assert page.status_code == 200 and "Föräldralösa kort och taggar" in page.text
    assert card.identifier in page.text and outsider_card.identifier not in page.text
    assert "Personen är inaktiv" in page.text and "Ladda ner som CSV" in page.text

    page = browser.get("/reports/doors", params={"door_id": str(door.id), "at": "2026-11-23T09:00"})
    assert page.status_code == 200 and teacher.display_name in page.text
    assert "mån–fre 07:00–18:00, helgdagar stängt" in page.text and "Befattningsprofil" in page.text
    assert care_door.name not in page.text
    page = browser.get("/reports/doors", params={"door_id": str(care_door.id)})
    assert "Ingen sådan dörr inom ditt ansvarsområde." in page.text

    page = browser.get(
        "/reports/people", params={"person": teacher.employee_number, "at": "2026-11-23T22:00"}
    )
    assert page.status_code == 200 and door.name in page.text and "Utanför tidsschema" in page.text
    page = browser.get("/reports/people", params={"person": outsider.employee_number})
    assert "Ingen sådan person inom ditt ansvar." in page.text


def test_report_pages_in_english_and_a_bad_time(
    client: TestClient, session: Session, services: Services, town: Town
) -> None:
    browser = _browser(client, session, services, town, lang="en")
    page = browser.get("/reports", params={"at": "not a time"})
    assert page.status_code == 200
    assert "Orphan credentials" in page.text and "Not a date and time." in page.text
    assert 'aria-invalid="true"' in page.text
    far = browser.get("/reports", params={"at": "2150-01-01T09:00"})
    assert far.status_code == 200 and "Not a date and time." in far.text
    assert "Who can open a door" in page.text and "What a person can open" in page.text
