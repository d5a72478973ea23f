"""A system owner edits a profile in a real browser: the zones picker asks the server as
they type part of a site's name, two zones are picked by keyboard only, the profile is
saved and shows them; axe-core finds no violation on the list pages and the form."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from stadsvakt.app import build_services, create_app
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings
from tests import factories as f
from tests import factories_decisions as fd
from tests.browser import assert_accessible
from tests.live import serving


@dataclass
class World:
    """A live server with a system owner, three sites with zones and doors, a profile."""

    url: str
    username: str
    password: str
    profile_id: str
    site_name: str
    zone_names: list[str]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A real server over a fresh SQLite file (as ``test_browser`` does)."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'lists.db'}", security=security, _env_file=None
    )
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session, "Sjöby kommun")
        department = f.unit(session, tenant, name="Utbildningsförvaltningen")
        school = f.site(session, tenant, unit=department)
        school.name = "Sjöbo skola"
        other = f.site(session, tenant, unit=department)
        zones = [fd.zone(session, school) for _ in range(3)]
        for index, zone in enumerate(zones):
            zone.name = ("Entré", "Kök", "Idrottshall")[index]
            fd.door(session, zone)
        fd.door(session, fd.zone(session, other))
        schedule = fd.schedule(session, tenant)
        profile = fd.profile(session, tenant, [], schedule)
        owner = f.user(session, tenant, services.passwords)
        found = World(
            "",
            owner.username,
            owner.password,
            str(profile.id),
            school.name,
            [z.name for z in zones],
        )
    app = create_app(settings, services)
    try:
        with serving(app) as url:
            found.url = url
            yield found
    finally:
        services.engine.dispose()


def _log_in(page: Page, world: World, path: str) -> None:
    page.goto(f"{world.url}{path}")
    page.get_by_label("Användarnamn").fill(world.username)
    page.get_by_label("Lösenord").fill(world.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    page.goto(f"{world.url}{path}")


@pytest.mark.browser
def test_sites_pages_pass_axe(world: World, page: Page) -> None:
    _log_in(page, world, "/sites/new")
    expect(page.locator(".ts-wrapper").first).to_be_visible()
    assert_accessible(page)
    page.goto(f"{world.url}/sites")
    assert_accessible(page)


@pytest.mark.browser
def test_profile_zones_picked_by_keyboard_after_typing_a_site_name(
    world: World, page: Page
) -> None:
    _log_in(page, world, "/access/profiles")
    expect(page.get_by_role("heading", level=1)).to_have_text("Profiler")
    assert_accessible(page)
    page.goto(f"{world.url}/access/profiles/{world.profile_id}")
    expect(page.get_by_role("heading", name="Ändra profil")).to_be_visible()
    assert_accessible(page)

    search = page.get_by_role("combobox", name="Zoner")
    search.focus()
    search.press_sequentially("Sjöbo")
    options = page.locator(".ts-dropdown .option")
    expect(options).to_have_count(3)
    assert_accessible(page)  # with the list of options open
    for _ in range(2):
        search.press("ArrowDown")
        search.press("Enter")
    chosen = page.locator(".ts-wrapper.multi .ts-control .item")
    expect(chosen).to_have_count(2)
    picked = [text.split(" (")[0] for text in chosen.all_inner_texts()]
    assert all(world.site_name in text for text in chosen.all_inner_texts())
    assert set(picked) <= set(world.zone_names) and len(set(picked)) == 2

    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("status")).to_have_text("Sparat.")
    listed = page.locator("ul.profile-zones li")
    expect(listed).to_have_count(2)
    names = [text.split(" (")[0] for text in listed.all_inner_texts()]
    assert sorted(names) == sorted(picked)
    assert all(world.site_name in text for text in listed.all_inner_texts())
    assert_accessible(page)
