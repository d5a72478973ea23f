"""A department administrator gives a guest a two-hour grant in the browser, and the
decision for the guest's card flips from granted to ``no_right`` when the window ends.

The clock is injected: the server's decision clock is set to each moment asked about
(a decision's ``at`` must lie near the server's time), so the test does not wait two hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from stadsvakt.access.changes import Entity
from stadsvakt.access.timerules import STOCKHOLM
from stadsvakt.app import build_services, create_app
from stadsvakt.db import unit_of_work
from stadsvakt.directory.models import PersonKind
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings
from tests import factories as f
from tests import factories_decisions as fd
from tests.browser import assert_accessible
from tests.live import serving

GUEST_NUMBER = "G-4711"
CARD = "04A1B2C3D4E5F6"


class Clock:
    """The server's decision clock, set by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=STOCKHOLM)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class GuestWorld:
    """A live server with a department administrator, a guest with a card and a door."""

    url: str
    username: str
    password: str
    device_token: str
    door_id: str
    profile_label: str
    clock: Clock


@pytest.fixture
def guest_world(tmp_path: Path) -> Iterator[GuestWorld]:
    """A real server over a fresh SQLite file, as in ``test_browser``."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'guest.db'}", security=security, _env_file=None
    )
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session, "Sundby kommun")
        department = f.unit(session, tenant, name="Kulturförvaltningen")
        site = f.site(session, tenant, unit=department)
        zone = fd.zone(session, site)
        door = fd.door(session, zone)
        profile = fd.profile(session, tenant, [zone], fd.schedule(session, tenant))
        profile.name = "Gäst i biblioteket"
        fd.changed(session, profile, Entity.PROFILE)
        guest = fd.person(session, tenant, unit=department)
        guest.kind = PersonKind.GUEST
        guest.employee_number = GUEST_NUMBER
        fd.changed(session, guest, Entity.PERSON)
        fd.credential(session, guest, identifier=CARD)
        admin = f.user(
            session, tenant, services.passwords, role="department_admin", unit=department
        )
        device = f.token(session, tenant, "access.decide")
        world = (str(door.id), f"{profile.name} ({profile.code})")
    app = create_app(settings, services)
    clock = Clock()
    app.state.access_time = replace(app.state.access_time, clock=clock)
    try:
        with serving(app) as url:
            yield GuestWorld(url, admin.username, admin.password, device, world[0], world[1], clock)
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


@pytest.mark.browser
def test_department_admin_gives_a_guest_two_hours(guest_world: GuestWorld, page: Page) -> None:
    before = _decide(guest_world, datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM))
    assert (before["granted"], before["reason"]) == (False, "no_right")

    page.goto(f"{guest_world.url}/access/grants")
    assert_accessible(page)
    page.get_by_label("Användarnamn").fill(guest_world.username)
    page.get_by_label("Lösenord").fill(guest_world.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    page.goto(f"{guest_world.url}/access/grants")
    expect(page.get_by_role("heading", level=1)).to_have_text("Behörigheter")
    assert_accessible(page)

    page.get_by_label("Person (anställningsnummer)").fill(GUEST_NUMBER)
    page.get_by_label("Profil").select_option(label=guest_world.profile_label)
    page.get_by_label("Från").fill("2026-11-23T09:00")
    page.get_by_label("Till").fill("2026-11-23T11:00")
    page.get_by_role("button", name="Ge behörighet").click()
    expect(page.get_by_role("status").first).to_have_text("Behörigheten är given.")
    expect(page.get_by_role("cell", name="Gäst i biblioteket")).to_be_visible()
    assert_accessible(page)

    inside = _decide(guest_world, datetime(2026, 11, 23, 10, 59, tzinfo=STOCKHOLM))
    assert (inside["granted"], inside["reason"]) == (True, "granted_by_grant")
    after = _decide(guest_world, datetime(2026, 11, 23, 11, 0, tzinfo=STOCKHOLM))
    assert (after["granted"], after["reason"]) == (False, "no_right")
