"""The admin UI's door rules, continued: a holiday calendar's recurring days listed in
Swedish words, added with errors on their fields and removed after a confirmation; a
door's edit page (flags, times, zone, the version guarding against a stale page); and the
site's page showing each door's live state in Swedish time."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import Door, HolidayCalendar
from stadsvakt.api.deps import Services
from stadsvakt.audit.models import AuditEntry
from tests import factories as f
from tests import factories_access as fa
from tests.web.conftest import City, csrf_of, log_in
from tests.web.rules.live_doors import report

# --- holiday calendars' recurring days -----------------------------------------------------


def _add(browser: TestClient, calendar: HolidayCalendar, **fields: str) -> tuple[int, str]:
    url = f"/access/holiday-calendars/{calendar.id}"
    form = {"csrf_token": csrf_of(browser.get(url).text), **fields}
    response = browser.post(f"{url}/recurring", data=form, follow_redirects=False)
    return response.status_code, response.text


def test_recurring_days_are_added_and_listed_in_swedish_words(
    browser: TestClient, city: City, session: Session
) -> None:
    calendar = fa.calendar(session, city.tenant)
    listing = browser.get("/access/holiday-calendars")
    assert listing.status_code == 200 and calendar.name in listing.text
    jul = {"name": "Jullov", "kind": "range", "start_day": "23", "start_month": "12"}
    status, _ = _add(browser, calendar, **jul, end_day="6", end_month="1")
    assert status == 303
    status, _ = _add(browser, calendar, name="Höstlov", kind="week", week="44")
    assert status == 303
    status, _ = _add(
        browser,
        calendar,
        name="Studiedag",
        kind="range",
        start_day="5",
        start_month="6",
        end_day="5",
        end_month="6",
    )
    assert status == 303
    session.refresh(calendar)
    assert calendar.recurring_days == [
        {"start": "12-23", "end": "01-06", "name": "Jullov"},
        {"week": "44", "name": "Höstlov"},
        {"start": "06-05", "end": "06-05", "name": "Studiedag"},
    ]
    page = browser.get(f"/access/holiday-calendars/{calendar.id}").text
    assert "23 december – 6 januari (över årsskiftet)" in page
    assert "Vecka 44" in page and "5 juni" in page
    english = browser.get(
        f"/access/holiday-calendars/{calendar.id}", headers={"Accept-Language": "en"}
    ).text
    assert "23 December – 6 January (over the new year)" in english and "Week 44" in english


def test_a_bad_recurring_day_is_refused_naming_its_field(
    browser: TestClient, city: City, session: Session
) -> None:
    calendar = fa.calendar(session, city.tenant)
    status, text = _add(
        browser, calendar, kind="range", start_day="31", start_month="4", end_day="x"
    )
    assert status == 422
    assert "Namn: Fältet måste fyllas i." in text
    assert "Första dag: Den månaden har ingen sådan dag." in text
    assert "Sista dag: Ange dagen i månaden som ett tal från 1 till 31." in text
    assert 'value="31"' in text, "the typed values are kept"
    status, text = _add(browser, calendar, name="Lov", kind="week", week="54")
    assert status == 422 and "Veckonummer: Ange ett veckonummer från 1 till 53." in text
    status, text = _add(browser, calendar, name="Lov")
    assert status == 422 and "Välj ett datumintervall eller en vecka." in text
    assert _add(browser, calendar, name="Lov", kind="week", week="8")[0] == 303
    status, text = _add(browser, calendar, name="Sportlov", kind="week", week="8")
    assert status == 422
    assert "Veckonummer: Kalendern har redan en återkommande dag med de datumen." in text
    session.refresh(calendar)
    assert calendar.recurring_days == [{"week": "8", "name": "Lov"}]


def test_a_recurring_day_is_removed_after_confirming(
    browser: TestClient, city: City, session: Session
) -> None:
    calendar = fa.calendar(session, city.tenant)
    _add(browser, calendar, name="Höstlov", kind="week", week="44")
    page = browser.get(f"/access/holiday-calendars/{calendar.id}").text
    remove = f"/access/holiday-calendars/{calendar.id}/recurring/w44/remove"
    assert f'href="{remove}"' in page
    confirm = browser.get(remove)
    assert confirm.status_code == 200
    assert "Vill du verkligen ta bort Höstlov (Vecka 44)" in confirm.text
    done = browser.post(remove, data={"csrf_token": csrf_of(confirm.text)}, follow_redirects=False)
    assert done.status_code == 303
    session.refresh(calendar)
    assert calendar.recurring_days == []
    assert "Den återkommande dagen togs bort." in browser.get(done.headers["location"]).text
    gone = browser.post(remove, data={"csrf_token": csrf_of(confirm.text)})
    assert gone.status_code == 404
    audits = session.scalars(
        select(AuditEntry).where(
            AuditEntry.object_id == str(calendar.id),
            AuditEntry.action == "holiday_calendar.update",
        )
    ).all()
    assert [len(json.loads(a.after or "{}")["recurring_days"]) for a in audits] == [1, 0]


def test_a_department_administrator_reads_calendars_but_does_not_change_them(
    client: TestClient, city: City, session: Session, services: Services
) -> None:
    calendar = fa.calendar(session, city.tenant)
    admin = f.user(
        session, city.tenant, services.passwords, role="department_admin", unit=city.unit
    )
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, admin.username, admin.password).status_code == 303
    page = client.get(f"/access/holiday-calendars/{calendar.id}")
    assert page.status_code == 200 and "Återkommande dagar" in page.text
    assert "Lägg till återkommande dag" not in page.text
    form = {"csrf_token": csrf_of(page.text), "name": "Lov", "kind": "week", "week": "8"}
    refused = client.post(f"/access/holiday-calendars/{calendar.id}/recurring", data=form)
    assert refused.status_code == 403
    session.refresh(calendar)
    assert calendar.recurring_days == []


# --- a door's edit page --------------------------------------------------------------------


def _door_form(browser: TestClient, door: Door) -> dict[str, str]:
    page = browser.get(f"/access/doors/{door.id}")
    assert page.status_code == 200
    version = page.text.split('name="version" value="', 1)[1].split('"', 1)[0]
    return {
        "csrf_token": csrf_of(page.text),
        "version": version,
        "zone_id": str(door.zone_id),
        "name": door.name,
        "code": door.code,
        "reader_ids": " ".join(door.reader_ids),
        "mode": "secure",
        "unlock_schedule_id": "",
        "unlock_seconds": "5",
        "extended_unlock_seconds": "20",
    }


def test_a_doors_flags_and_times_are_changed_on_its_page(
    browser: TestClient, city: City, session: Session
) -> None:
    door = fa.door(session, fa.zone(session, city.city_site))
    other_zone = fa.zone(session, city.city_site)
    site_page = browser.get(f"/sites/{city.city_site.id}").text
    assert f'href="/access/doors/{door.id}"' in site_page
    door_list = browser.get(f"/access/places?site={city.city_site.id}").text
    assert f'href="/access/doors/{door.id}"' in door_list
    form = _door_form(browser, door)
    form.update(
        name="Nödutgång",
        zone_id=str(other_zone.id),
        requires_pin="on",
        escape_route="on",
        unlock_seconds="8",
        extended_unlock_seconds="40",
    )
    saved = browser.post(f"/access/doors/{door.id}", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert "Dörren sparades." in browser.get(saved.headers["location"]).text
    session.refresh(door)
    assert (door.name, door.zone_id, door.requires_pin, door.escape_route) == (
        "Nödutgång",
        other_zone.id,
        True,
        True,
    )
    assert (door.unlock_seconds, door.extended_unlock_seconds) == (8, 40)
    audit = session.scalars(
        select(AuditEntry).where(
            AuditEntry.object_id == str(door.id), AuditEntry.action == "door.update"
        )
    ).one()
    assert json.loads(audit.before or "{}")["requires_pin"] is False
    entry = browser.get(f"/audit/{audit.seq}").text
    assert f'href="/access/doors/{door.id}"' in entry, "the audit entry links the door's page"


def test_a_stale_door_page_is_refused_and_shows_the_door_as_it_is(
    browser: TestClient, city: City, session: Session
) -> None:
    door = fa.door(session, fa.zone(session, city.city_site))
    first, second = _door_form(browser, door), _door_form(browser, door)
    first["name"] = "Första"
    assert browser.post(f"/access/doors/{door.id}", data=first).status_code == 200
    second["name"] = "Andra"
    stale = browser.post(f"/access/doors/{door.id}", data=second, follow_redirects=False)
    assert stale.status_code == 409
    assert "Någon annan har ändrat detta under tiden." in stale.text
    assert 'value="Första"' in stale.text
    session.refresh(door)
    assert door.name == "Första"


def test_bad_door_input_is_refused_naming_the_field(
    browser: TestClient, city: City, session: Session
) -> None:
    door = fa.door(session, fa.zone(session, city.city_site))
    elsewhere = fa.zone(session, city.external_site)
    form = {**_door_form(browser, door), "unlock_seconds": "fem", "code": "med mellanslag"}
    refused = browser.post(f"/access/doors/{door.id}", data=form)
    assert refused.status_code == 422
    assert "Upplåsningstid (sekunder): Ange ett helt antal sekunder, 1 till 300." in refused.text
    assert "Kod: " in refused.text, "every broken rule at once"
    form = {**_door_form(browser, door), "extended_unlock_seconds": "-3"}
    refused = browser.post(f"/access/doors/{door.id}", data=form)
    assert refused.status_code == 422
    assert "Förlängd upplåsningstid (sekunder): Ange ett helt antal sekunder" in refused.text
    form = {**_door_form(browser, door), "unlock_seconds": "301", "name": ""}
    refused = browser.post(f"/access/doors/{door.id}", data=form)
    assert refused.status_code == 422
    assert "Namn: Fältet måste fyllas i." in refused.text
    form = {**_door_form(browser, door), "zone_id": str(elsewhere.id)}
    refused = browser.post(f"/access/doors/{door.id}", data=form)
    assert refused.status_code == 422 and "Zonen måste ligga i dörrens fastighet." in refused.text
    form = {**_door_form(browser, door), "mode": "scheduled_unlock"}
    refused = browser.post(f"/access/doors/{door.id}", data=form)
    assert (
        refused.status_code == 422
        and "Upplåsningsschema: Välj schemat som låser upp dörren." in refused.text
    )
    session.refresh(door)
    assert door.unlock_seconds == 5 and door.zone_id != elsewhere.id


def test_a_department_administrator_edits_only_their_units_doors(
    client: TestClient, city: City, session: Session, services: Services
) -> None:
    own = fa.door(session, fa.zone(session, city.city_site))
    elsewhere = f.site(session, city.tenant, unit=f.unit(session, city.tenant, name="Väst"))
    other = fa.door(session, fa.zone(session, elsewhere))
    admin = f.user(
        session, city.tenant, services.passwords, role="department_admin", unit=city.unit
    )
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, admin.username, admin.password).status_code == 303
    assert client.get(f"/access/doors/{other.id}").status_code == 404
    form = {**_door_form(client, own), "escape_route": "on"}
    assert (
        client.post(f"/access/doors/{own.id}", data=form, follow_redirects=False).status_code == 303
    )
    session.refresh(own)
    assert own.escape_route
    form["csrf_token"] = csrf_of(client.get(f"/access/doors/{own.id}").text)
    refused = client.post(f"/access/doors/{other.id}", data=form)
    assert refused.status_code == 404
    session.refresh(other)
    assert not other.escape_route


def test_a_reader_may_not_open_a_doors_edit_page(
    client: TestClient, city: City, session: Session, services: Services
) -> None:
    door = fa.door(session, fa.zone(session, city.city_site))
    reader = f.user(session, city.tenant, services.passwords, role="read_only")
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, reader.username, reader.password).status_code == 303
    assert client.get(f"/access/doors/{door.id}").status_code == 403
    site_page = client.get(f"/sites/{city.city_site.id}").text
    assert door.name in site_page and f'href="/access/doors/{door.id}"' not in site_page


# --- live state on the site's page ---------------------------------------------------------


def test_the_site_page_shows_each_doors_live_state_in_swedish_time(
    browser: TestClient, city: City, session: Session
) -> None:
    zone = fa.zone(session, city.city_site)
    forced, held, locked, silent, quiet = (fa.door(session, zone) for _ in range(5))
    report(session, forced, "forced", datetime(2026, 12, 5, 22, 5, tzinfo=UTC))
    report(session, held, "held", datetime(2026, 7, 1, 10, 0, tzinfo=UTC))
    report(session, locked, "locked", datetime(2026, 12, 5, 8, 0, tzinfo=UTC))
    report(session, quiet, None, None)  # served, never reported
    text = browser.get(f"/sites/{city.city_site.id}").text
    rows = {door.code: _row(text, door) for door in (forced, held, locked, silent, quiet)}
    assert "Uppbruten" in rows[forced.code] and "sedan 2026-12-05 23:05:00 CET" in rows[forced.code]
    assert "⚠" in rows[forced.code] and "badge-alert" in rows[forced.code]
    assert "Uppställd" in rows[held.code] and "sedan 2026-07-01 12:00:00 CEST" in rows[held.code]
    assert "Låst" in rows[locked.code] and "badge-alert" not in rows[locked.code]
    for code in (silent.code, quiet.code):
        assert "—" in rows[code] and "ingen enhet rapporterar" in rows[code]
    english = browser.get(f"/sites/{city.city_site.id}/doors", headers={"Accept-Language": "en"})
    assert english.status_code == 200
    assert "Forced" in english.text and "Held open" in english.text
    assert "no device reports" in english.text and "<html" not in english.text


def _row(html: str, door: Door) -> str:
    """The table row of a door on the site's page."""
    start = html.index(f'href="/access/doors/{door.id}"')
    return html[start : html.index("</tr>", start)]


def test_the_door_states_follow_the_users_scope(
    client: TestClient, city: City, session: Session, services: Services
) -> None:
    other_unit = f.unit(session, city.tenant, name="Förvaltning Väst")
    elsewhere = f.site(session, city.tenant, unit=other_unit)
    door = fa.door(session, fa.zone(session, elsewhere))
    report(session, door, "forced", datetime(2026, 12, 5, 22, 5, tzinfo=UTC))
    admin = f.user(
        session, city.tenant, services.passwords, role="department_admin", unit=city.unit
    )
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, admin.username, admin.password).status_code == 303
    assert client.get(f"/sites/{elsewhere.id}/doors").status_code == 404
    own = client.get(f"/sites/{city.city_site.id}")
    assert own.status_code == 200 and "Objektet har inga dörrar." in own.text
