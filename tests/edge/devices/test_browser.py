"""A department administrator makes an enrolment code in a real browser (site and door
chosen by typing in the pickers), a device enrols with it over the API, and the device
list shows it; axe-core finds no WCAG violation on any of the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from stadsvakt.app import build_services, create_app
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings
from tests import factories as f
from tests import factories_access as fa
from tests.browser import assert_accessible
from tests.edge.devices.conftest import device_key
from tests.live import serving


@dataclass
class EdgeWorld:
    """A live server with a department administrator, a site and a door of theirs."""

    url: str
    username: str
    password: str


@pytest.fixture
def edge_world(tmp_path: Path) -> Iterator[EdgeWorld]:
    """A real server over a fresh SQLite file."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'edge.db'}", security=security, _env_file=None
    )
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session, "Sundby kommun")
        department = f.unit(session, tenant, name="Skolförvaltningen")
        site = f.site(session, tenant, unit=department)
        site.name = "Solbackens skola"
        door = fa.door(session, fa.zone(session, site))
        door.name = "Huvudentré"
        admin = f.user(
            session, tenant, services.passwords, role="department_admin", unit=department
        )
    try:
        with serving(create_app(settings, services)) as url:
            yield EdgeWorld(url, admin.username, admin.password)
    finally:
        services.engine.dispose()


def _pick(page: Page, label: str, typed: str, option: str) -> None:
    search = page.get_by_role("combobox", name=label)
    search.focus()
    search.press_sequentially(typed)
    choice = page.locator(".ts-dropdown .option", has_text=option)
    expect(choice).to_have_count(1)
    choice.click()
    expect(page.locator(".ts-control .item", has_text=option)).to_have_count(1)
    # A multi-choice picker stays open for the next choice; close it as a user moving on.
    search.press("Escape")


@pytest.mark.browser
def test_an_admin_makes_a_code_a_device_enrols_and_is_listed(
    edge_world: EdgeWorld, page: Page
) -> None:
    world = edge_world
    page.goto(f"{world.url}/login")
    page.get_by_label("Användarnamn").fill(world.username)
    page.get_by_label("Lösenord").fill(world.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name="Lokala enheter"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lokala enheter")
    expect(page.locator("#main")).to_contain_text("Inga lokala enheter matchar.")
    assert_accessible(page)

    page.get_by_role("link", name="Registreringskoder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registreringskoder")
    assert_accessible(page)
    page.get_by_role("button", name="Skapa en kod").click()
    expect(page.locator(".error-summary")).to_contain_text("Fastighet")
    assert_accessible(page)

    page.get_by_label("Enhetens namn").fill("Agent Solbacken")
    _pick(page, "Fastighet", "Solback", "Solbackens skola")
    _pick(page, "Dörrar som betjänas", "Huvud", "Huvudentré")
    assert_accessible(page)
    page.get_by_role("button", name="Skapa en kod").click()
    code = page.locator("#enrolment-code")
    expect(code).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    expect(page.get_by_role("rowheader", name="Agent Solbacken")).to_be_visible()
    assert_accessible(page)

    enrolled = httpx.post(
        f"{world.url}/api/v1/edge/enrol",
        json={"code": code.inner_text(), "public_key": device_key()[1], "software_version": "1.4"},
        timeout=10,
    )
    assert enrolled.status_code == 201, enrolled.text

    page.goto(f"{world.url}/edge/devices")
    row = page.get_by_role("row", name=re.compile("Agent Solbacken"))
    expect(row).to_contain_text("Aldrig ansluten")
    expect(row).to_contain_text("1.4")
    assert_accessible(page)
    row.get_by_role("link", name="Agent Solbacken").click()
    expect(page.locator("#main")).to_contain_text("Huvudentré")
    assert_accessible(page)
