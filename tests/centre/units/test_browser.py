"""In chromium: the unit's phone page at 360x740 (accept, arrive, clear) and the map with
its tiles blocked; both checked with axe-core. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import select

from stadsvakt.app import build_services, create_app
from stadsvakt.centre import dispatch as dispatching
from stadsvakt.centre.units.models import Dispatch
from stadsvakt.context import acting_as
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings
from tests import factories as f
from tests.browser import assert_accessible
from tests.centre.units.conftest import SITE, town, unit
from tests.live import serving


@dataclass
class World:
    """A live server with a guard's phone login and an owner, and the guard dispatched."""

    url: str
    guard: f.TestUser
    owner: f.TestUser
    dispatch_id: str
    database_url: str


@pytest.fixture
def world(fresh_database_url: str) -> Iterator[World]:
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(database_url=fresh_database_url, security=security, _env_file=None)
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        here = town(session)
        guard = f.user(session, here.tenant, services.passwords, role="field_unit")
        owner = f.user(session, here.tenant, services.passwords)
        row = unit(session, here.tenant, "Väktare 12", at=(55.61, 13.0), user_id=guard.id)
        unit(session, here.tenant, "Väktare 14", at=SITE)
        operator = f.system(here.tenant.id)
        with acting_as(operator):
            sent = dispatching.dispatch(session, operator, here.activation.id, row.id)
        dispatch_id = str(sent.id)
    try:
        with serving(create_app(settings, services)) as url:
            yield World(url, guard, owner, dispatch_id, fresh_database_url)
    finally:
        services.engine.dispose()


def _log_in(page: Page, world: World, who: f.TestUser, path: str) -> None:
    page.goto(f"{world.url}/login?next={path}")
    page.get_by_label("Användarnamn").fill(who.username)
    page.get_by_label("Lösenord").fill(who.password)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{world.url}{path}")


@pytest.mark.browser
def test_the_guard_accepts_arrives_and_clears_on_a_phone(world: World, page: Page) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    _log_in(page, world, world.guard, "/centre/unit")
    expect(page.get_by_role("heading", name="Uppdrag")).to_be_visible()
    expect(page.get_by_text("Storgatan", exact=False)).to_be_visible()
    assert_accessible(page)
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= 360, f"the page is {wide} px wide on a 360 px screen"

    page.get_by_role("button", name="Acceptera").click()
    expect(page.get_by_role("status").filter(has_text="Accepterat")).to_be_visible()
    page.get_by_role("button", name="Jag är framme").click()
    expect(page.get_by_role("status").filter(has_text="Ankomst rapporterad")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Avsluta").click()
    expect(page.get_by_text("Inget uppdrag just nu")).to_be_visible()
    assert_accessible(page)

    settings = Settings(database_url=world.database_url, _env_file=None)
    services = build_services(settings)
    try:
        with unit_of_work(services.session_factory) as session:
            row = session.execute(select(Dispatch)).scalar_one()
            assert row.step == "cleared"
            assert row.response_s is not None and row.response_s >= 0
    finally:
        services.engine.dispose()


@pytest.mark.browser
def test_the_map_works_without_tiles(world: World, page: Page) -> None:
    asked: list[str] = []

    def refuse(route: Route) -> None:
        asked.append(route.request.url)
        route.abort()

    page.route("**/tile.openstreetmap.org/**", refuse)
    _log_in(page, world, world.owner, "/centre/map")
    expect(page.get_by_role("heading", name="Karta")).to_be_visible()
    # Markers on the plain background: both units and the site.
    expect(page.locator("#centre-map .leaflet-marker-icon")).to_have_count(3)
    expect(page.locator("#centre-map[data-loaded='1']")).to_have_count(1)
    # The same as tables under the map.
    expect(page.locator("#map-units").get_by_text("Väktare 12")).to_be_visible()
    expect(page.locator("#map-sites").get_by_role("link", name="Burglary alarm")).to_be_visible()
    assert asked, "the map asked for tiles (and got none)"
    assert_accessible(page)
