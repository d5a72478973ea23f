"""In a real chromium: an operator opens a site's escape routes from the site's page after
a confirmation page, a stranger's card then opens the escape-route door, and ending it
shuts the door again; the door and schedule pages with the new fields; axe-core finds
nothing on any page touched."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from stadsvakt.access.schemas.places import DoorUpdate
from stadsvakt.access.services import places
from stadsvakt.app import build_services, create_app
from stadsvakt.context import acting_as
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings
from tests import factories as f
from tests import factories_decisions as fd
from tests.browser import assert_accessible
from tests.live import serving

pytestmark = [pytest.mark.browser]


@dataclass(frozen=True)
class World:
    url: str
    username: str
    password: str
    device_token: str
    door_id: str
    site_id: str
    schedule_id: str


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A real server over a fresh SQLite file: a site with an escape-route door."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'rules.db'}", security=security, _env_file=None
    )
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session, "Sundby kommun")
        unit = f.unit(session, tenant, name="Skolförvaltningen")
        site = f.site(session, tenant, unit=unit)
        door = fd.door(session, fd.zone(session, site))
        actor = f.system(tenant.id)
        with acting_as(actor):
            places.update_door(session, actor, door.id, DoorUpdate(escape_route=True))
        schedule = fd.schedule(session, tenant, [{"day": "eve", "start": "07:00", "end": "14:00"}])
        owner = f.user(session, tenant, services.passwords)
        device = f.token(session, tenant, "access.decide")
        ids = (str(door.id), str(site.id), str(schedule.id))
    app = create_app(settings, services)
    try:
        with serving(app) as url:
            yield World(url, owner.username, owner.password, device, *ids)
    finally:
        services.engine.dispose()


def _decide(world: World) -> tuple[object, object]:
    response = httpx.post(
        f"{world.url}/api/v1/access/decisions",
        headers={"Authorization": f"Bearer {world.device_token}"},
        json={"door_id": world.door_id, "credential": "DEADBEEF"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return body["granted"], body["reason"]


def test_an_operator_opens_and_ends_the_escape_routes(world: World, page: Page) -> None:
    assert _decide(world) == (False, "unknown_credential")
    page.goto(f"{world.url}/login")
    page.get_by_label("Användarnamn").fill(world.username)
    page.get_by_label("Lösenord").fill(world.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()

    page.goto(f"{world.url}/sites/{world.site_id}")
    expect(page.get_by_role("heading", name="Nödöppning")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Öppna utrymningsvägarna…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Öppna utrymningsvägarna på")
    assert_accessible(page)
    page.get_by_role("button", name="Öppna utrymningsvägarna").click()
    expect(page.get_by_role("status").first).to_be_visible()
    expect(page.locator("#main")).to_contain_text("Objektets utrymningsvägar är öppna för alla.")
    assert_accessible(page)
    assert _decide(world) == (True, "door_emergency_open")

    page.get_by_role("link", name="Avsluta nödöppning…").click()
    assert_accessible(page)
    page.get_by_role("button", name="Avsluta nödöppning").click()
    expect(page.locator("#main")).to_contain_text("Ingen nödöppning pågår.")
    assert _decide(world) == (False, "unknown_credential")

    page.goto(f"{world.url}/access/places?site={world.site_id}")
    expect(page.get_by_label("Kort och kod")).to_be_visible()
    expect(page.get_by_label("Utrymningsväg")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{world.url}/access/schedules/{world.schedule_id}")
    expect(page.get_by_role("rowheader", name="Afton (kortare öppettid)")).to_be_visible()
    assert_accessible(page)
