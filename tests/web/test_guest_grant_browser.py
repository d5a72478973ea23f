"""A department administrator gives grants in a real browser: a guest two hours, with a host
and a reason chosen through the searchable pickers (typing part of a name, choosing an
option), then a new contractor registered by name without an employee number.

The guest's card is then asked about as a door controller would: granted inside the
window, ``no_right`` when it ends. The clock is injected: the server's decision clock is set
to each moment asked about (a decision's ``at`` must lie near the server's time), so the
test does not wait two hours. axe-core runs on every page the test touches.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from stadsvakt.access.changes import Entity
from stadsvakt.access.models import Grant, GrantKind
from stadsvakt.access.timerules import STOCKHOLM
from stadsvakt.app import build_services, create_app
from stadsvakt.db import unit_of_work
from stadsvakt.directory.models import Person, PersonKind
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings
from tests import factories as f
from tests import factories_decisions as fd
from tests.browser import assert_accessible
from tests.live import serving

CARD = "04A1B2C3D4E5F6"


class Clock:
    """The server's decision clock, set by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=STOCKHOLM)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class GuestWorld:
    """A live server with a department administrator, a host, a guest with a card, a door."""

    url: str
    settings: Settings
    username: str
    password: str
    device_token: str
    door_id: str
    clock: Clock


@pytest.fixture
def guest_world(tmp_path: Path) -> Iterator[GuestWorld]:
    """A real server over a fresh SQLite file, as in ``test_browser``."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    database_url = f"sqlite:///{tmp_path / 'guest.db'}"
    settings = Settings(database_url=database_url, security=security, _env_file=None)
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session, "Sundby kommun")
        department = f.unit(session, tenant, name="Kulturförvaltningen")
        site = f.site(session, tenant, unit=department)
        zone = fd.zone(session, site)
        door = fd.door(session, zone)
        profile = fd.profile(session, tenant, [zone], fd.schedule(session, tenant))
        profile.name, profile.org_unit_id = "Gäst i biblioteket", department.id
        fd.changed(session, profile, Entity.PROFILE)
        host = fd.person(session, tenant, unit=department)
        host.given_name, host.family_name = "Helena", "Bibliotekarie"
        fd.changed(session, host, Entity.PERSON)
        guest = fd.person(session, tenant, unit=department)
        guest.given_name, guest.family_name = "Greta", "Gästföreläsare"
        guest.kind, guest.employee_number = PersonKind.GUEST, None
        fd.changed(session, guest, Entity.PERSON)
        fd.credential(session, guest, identifier=CARD)
        admin = f.user(
            session, tenant, services.passwords, role="department_admin", unit=department
        )
        device = f.token(session, tenant, "access.decide")
        door_id = str(door.id)
    app = create_app(settings, services)
    clock = Clock()
    app.state.access_time = replace(app.state.access_time, clock=clock)
    try:
        with serving(app) as url:
            yield GuestWorld(url, settings, admin.username, admin.password, device, door_id, clock)
    finally:
        services.engine.dispose()


def _decide(world: GuestWorld, at: datetime) -> dict[str, object]:
    """Ask the controller API as a door controller would, with the clock injected."""
    world.clock.now = at
    response = httpx.post(
        f"{world.url}/api/v1/access/decisions",
        headers={"Authorization": f"Bearer {world.device_token}"},
        json={"door_id": world.door_id, "credential": CARD, "at": at.isoformat()},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _pick(page: Page, label: str, typed: str, option: str) -> None:
    """Type in a picker and choose the option the server answers with."""
    # Not exact: an optional picker's label ends in "(frivilligt)".
    search = page.get_by_role("combobox", name=label)
    search.focus()
    search.press_sequentially(typed)
    choice = page.locator(".ts-dropdown .option", has_text=option)
    expect(choice).to_have_count(1)
    choice.click()
    expect(page.locator(".ts-control .item", has_text=option)).to_have_count(1)


def _window_and_responsibility(page: Page, start: str, end: str, reason: str) -> None:
    _pick(page, "Behörighetsprofil", "bibliotek", "Gäst i biblioteket")
    page.get_by_label("Från", exact=True).fill(start)
    page.get_by_label("Till", exact=True).fill(end)
    _pick(page, "Värd", "Biblio", "Helena Bibliotekarie")
    page.get_by_label("Anledning").fill(reason)


@pytest.mark.browser
def test_department_admin_gives_a_guest_and_a_contractor_grants(
    guest_world: GuestWorld, page: Page
) -> None:
    world = guest_world
    before = _decide(world, datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM))
    assert (before["granted"], before["reason"]) == (False, "no_right")

    page.goto(f"{world.url}/access/grants")
    assert_accessible(page)
    page.get_by_label("Användarnamn").fill(world.username)
    page.get_by_label("Lösenord").fill(world.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    page.goto(f"{world.url}/access/grants")
    expect(page.get_by_role("heading", level=1)).to_have_text("Behörigheter")
    assert_accessible(page)

    page.get_by_role("link", name="Ny behörighet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ny behörighet")
    assert_accessible(page)
    page.locator("#main").get_by_role("link", name="Gäst", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ny gästbehörighet")
    assert_accessible(page)

    # Without host and reason the form names what is missing.
    page.get_by_role("button", name="Ge behörighet").click()
    expect(page.locator(".error-summary")).to_contain_text("Värd")
    expect(page.locator(".error-summary")).to_contain_text("Anledning")
    assert_accessible(page)

    _pick(page, "Gäst", "Gästför", "Greta Gästföreläsare")
    _window_and_responsibility(page, "2026-11-23 09:00", "2026-11-23 11:00", "Föreläsning")
    assert_accessible(page)
    page.get_by_role("button", name="Ge behörighet").click()
    expect(page.get_by_role("status").first).to_have_text("Behörigheten är given.")
    expect(page.locator("dl.details")).to_contain_text("Helena Bibliotekarie")
    expect(page.locator("dl.details")).to_contain_text("2026-11-23 11:00 CET")
    assert_accessible(page)

    inside = _decide(world, datetime(2026, 11, 23, 10, 59, tzinfo=STOCKHOLM))
    assert (inside["granted"], inside["reason"]) == (True, "granted_by_grant")
    after = _decide(world, datetime(2026, 11, 23, 11, 0, tzinfo=STOCKHOLM))
    assert (after["granted"], after["reason"]) == (False, "no_right")

    page.goto(f"{world.url}/access/grants/new/contractor")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ny behörighet för entreprenör")
    page.get_by_label("Företag").fill("Sundby Hiss & Ventilation AB")
    page.get_by_label("Förnamn").fill("Tore")
    page.get_by_label("Efternamn").fill("Tekniker")
    _window_and_responsibility(page, "2026-11-24 07:00", "2027-02-24 16:00", "Hisservice")
    assert_accessible(page)
    page.get_by_role("button", name="Ge behörighet").click()
    expect(page.get_by_role("status").first).to_have_text("Behörigheten är given.")
    expect(page.locator("dl.details")).to_contain_text("Sundby Hiss & Ventilation AB")
    assert_accessible(page)

    page.goto(f"{world.url}/access/grants?kind=contractor")
    expect(page.get_by_role("cell", name="Sundby Hiss & Ventilation AB")).to_be_visible()
    assert_accessible(page)

    services = build_services(world.settings)  # read what the pages made
    try:
        with unit_of_work(services.session_factory) as session:
            tore = session.execute(
                select(Person).where(Person.family_name == "Tekniker")
            ).scalar_one()
            assert (tore.kind, tore.employee_number) == (PersonKind.CONTRACTOR, None)
            kinds = set(session.scalars(select(Grant.kind)))
            assert kinds == {GrantKind.GUEST, GrantKind.CONTRACTOR}
    finally:
        services.engine.dispose()
