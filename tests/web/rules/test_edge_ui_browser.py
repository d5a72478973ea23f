"""In a real chromium: a system owner adds a recurring day to a holiday calendar (a field
error first), removes it after confirming, reads the site's doors with their live states
(a forced door, then a door held open that the page fetches again by itself), and changes a
door's flags on its edit page; axe-core finds nothing on any page touched."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.access.models import Door
from stadsvakt.app import build_services, create_app
from stadsvakt.db import unit_of_work
from stadsvakt.edge.devices.models import EdgeDeviceDoor
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings
from tests import factories as f
from tests import factories_access as fa
from tests.browser import assert_accessible, shot
from tests.live import serving
from tests.web.rules.live_doors import report

pytestmark = [pytest.mark.browser]


@dataclass(frozen=True)
class World:
    url: str
    username: str
    password: str
    site_id: str
    door_id: str
    other_door_id: str
    calendar_name: str
    sessions: sessionmaker[Session]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A real server over a fresh SQLite file: a site with a forced door and a quiet one."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'edge_ui.db'}", security=security, _env_file=None
    )
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session, "Sundby kommun")
        site = f.site(session, tenant, unit=f.unit(session, tenant, name="Skolförvaltningen"))
        zone = fa.zone(session, site)
        door, other = fa.door(session, zone), fa.door(session, zone)
        report(session, door, "forced", datetime(2026, 12, 5, 22, 5, tzinfo=UTC))
        report(session, other, "locked", datetime(2026, 12, 5, 6, 0, tzinfo=UTC))
        calendar = fa.calendar(session, tenant)
        owner = f.user(session, tenant, services.passwords)
        ids = (str(site.id), str(door.id), str(other.id), calendar.name)
    app = create_app(settings, services)
    try:
        with serving(app) as url:
            yield World(url, owner.username, owner.password, *ids, services.session_factory)
    finally:
        services.engine.dispose()


def _log_in(page: Page, world: World) -> None:
    page.goto(f"{world.url}/login")
    page.get_by_label("Användarnamn").fill(world.username)
    page.get_by_label("Lösenord").fill(world.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def _date(page: Page, group: str, day: str, month: str) -> None:
    fields = page.get_by_role("group", name=group)
    fields.get_by_label("Dag").fill(day)
    fields.get_by_label("Månad").select_option(label=month)


def test_a_recurring_day_is_added_and_removed(world: World, page: Page) -> None:
    _log_in(page, world)
    page.goto(f"{world.url}/access/holiday-calendars")
    assert_accessible(page)
    page.get_by_role("link", name=world.calendar_name).click()
    expect(page.get_by_role("heading", name="Återkommande dagar")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Samma datum varje år").check()
    _date(page, "Första dag (för datum)", "31", "april")
    page.get_by_role("button", name="Lägg till återkommande dag").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Namn: Fältet måste fyllas i.")
    expect(summary).to_contain_text("Första dag: Den månaden har ingen sådan dag.")
    assert_accessible(page)
    summary.get_by_role("link", name="Första dag: Den månaden har ingen sådan dag.").click()
    expect(page.locator("#f-start")).to_be_focused()

    page.get_by_label("Namn").fill("Jullov")
    _date(page, "Första dag (för datum)", "23", "december")
    _date(page, "Sista dag (för datum)", "6", "januari")
    page.get_by_role("button", name="Lägg till återkommande dag").click()
    expect(page.get_by_role("status")).to_contain_text("Den återkommande dagen lades till.")
    row = page.get_by_role("row", name="Jullov")
    expect(row).to_contain_text("23 december – 6 januari (över årsskiftet)")
    assert_accessible(page)
    shot(page, "calendar_recurring_days")

    row.get_by_role("link", name="Ta bort Jullov").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ta bort återkommande dag")
    assert_accessible(page)
    page.get_by_role("button", name="Ja, ta bort dagen").click()
    expect(page.get_by_role("status")).to_contain_text("Den återkommande dagen togs bort.")
    expect(page.locator("#main")).to_contain_text("Inga återkommande dagar.")


def test_the_site_shows_live_states_and_a_door_is_edited(world: World, page: Page) -> None:
    page.clock.install()
    _log_in(page, world)
    page.goto(f"{world.url}/sites/{world.site_id}")
    doors = page.locator("#site-doors")
    forced = doors.get_by_role("row").filter(
        has=page.locator(f"a[href='/access/doors/{world.door_id}']")
    )
    expect(forced).to_contain_text("Uppbruten")
    expect(forced).to_contain_text("sedan 2026-12-05 23:05:00 CET")
    quiet = doors.get_by_role("row").filter(
        has=page.locator(f"a[href='/access/doors/{world.other_door_id}']")
    )
    expect(quiet).to_contain_text("Låst")
    assert_accessible(page)

    # The device reports the quiet door held open; the page fetches the table again.
    with unit_of_work(world.sessions) as session:
        session.execute(
            update(EdgeDeviceDoor)
            .where(EdgeDeviceDoor.door_id == uuid.UUID(world.other_door_id))
            .values(state="held", state_at=datetime(2026, 12, 6, 7, 30, tzinfo=UTC))
        )
    page.clock.run_for(31_000)
    expect(quiet).to_contain_text("Uppställd")
    expect(quiet).to_contain_text("sedan 2026-12-06 08:30:00 CET")
    assert_accessible(page)
    shot(page, "site_door_states")

    forced.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ändra dörr")
    assert_accessible(page)
    shot(page, "door_edit")
    page.get_by_label("Utrymningsväg").check()
    page.get_by_label("Upplåsningstid (sekunder)", exact=True).fill("fem")
    page.get_by_role("button", name="Spara dörren").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Upplåsningstid (sekunder): Ange ett helt antal sekunder, 1 till 300."
    )
    assert_accessible(page)
    page.get_by_label("Upplåsningstid (sekunder)", exact=True).fill("8")
    page.get_by_role("button", name="Spara dörren").click()
    expect(page.get_by_role("status").first).to_contain_text("Dörren sparades.")
    with unit_of_work(world.sessions) as session:
        door = session.get_one(Door, uuid.UUID(world.door_id))
        assert door.escape_route and door.unlock_seconds == 8
    expect(forced).to_contain_text("Utrymningsväg")
