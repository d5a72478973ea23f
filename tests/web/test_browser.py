"""The web UI in a real browser (Debian's chromium via Playwright) against a real server.

Logs in, lists sites, creates one, finds it in the list, opens an alarm, and switches
from Swedish to English; axe-core checks each page on the way (WCAG 2.1 A/AA). A missing
chromium fails the test: it is part of the suite.
"""

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
from tests import factories_alarms as fa
from tests.browser import assert_accessible, shot
from tests.live import serving


@dataclass
class LiveServer:
    """A stadsvakt server on localhost and the account to log in with."""

    url: str
    username: str
    password: str


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real server over a fresh, migrated SQLite file (plain http, so cookies are not
    marked Secure)."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'browser.db'}", security=security, _env_file=None
    )
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session, "Sundby kommun")
        department = f.unit(session, tenant, name="Skolförvaltningen")
        sites = [f.site(session, tenant, unit=department) for _ in range(3)]
        fa.alarm(session, fa.transmitter(session, services.box, tenant, sites[0]), "Nri1/FA01")
        owner = f.user(session, tenant, services.passwords)
    try:
        with serving(create_app(settings, services)) as url:
            yield LiveServer(url, owner.username, owner.password)
    finally:
        services.engine.dispose()


@pytest.mark.browser
def test_log_in_list_create_a_site_and_switch_language(live_server: LiveServer, page: Page) -> None:
    page.goto(f"{live_server.url}/sites")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    assert_accessible(page)
    page.get_by_label("Användarnamn").fill(live_server.username)
    page.get_by_label("Lösenord").fill(live_server.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Fastigheter")
    expect(page.get_by_text("3 fastigheter")).to_be_visible()
    assert_accessible(page)
    shot(page, "sites")

    page.get_by_role("link", name="Ny fastighet").click()
    # Sent empty first: the error summary and the fields it links to are checked too.
    page.get_by_role("button", name="Skapa fastighet").click()
    expect(page.get_by_role("alert")).to_contain_text("Namn")
    assert_accessible(page)
    page.get_by_label("Namn", exact=True).fill("Backaskolan")
    page.get_by_label("Kod", exact=True).fill("SKO-77")
    # The unit is a searchable picker asking the server: type, then Enter takes the first.
    unit = page.get_by_role("combobox", name="Enhet")
    unit.press_sequentially("Skolför")
    expect(page.locator(".ts-dropdown .option").first).to_contain_text("Skolförvaltningen")
    unit.press("Enter")
    page.get_by_label("Gatuadress").fill("Backavägen 7")
    page.get_by_label("Postnummer").fill("212 22")
    page.get_by_label("Ort").fill("Sundby")
    page.get_by_label("Latitud").fill("55,61")
    page.get_by_label("Longitud").fill("13,01")
    page.get_by_role("button", name="Skapa fastighet").click()
    expect(page.get_by_role("status")).to_have_text("Fastigheten har sparats.")
    assert_accessible(page)

    menu = page.get_by_role("navigation", name="Huvudmeny")
    menu.get_by_role("link", name="Larm", exact=True).click()
    expect(page.get_by_text("1 larm")).to_be_visible()
    assert_accessible(page)
    page.locator("#main table tbody").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("FA")
    assert_accessible(page)

    menu.get_by_role("link", name="Fastigheter").click()
    expect(page.get_by_text("4 fastigheter")).to_be_visible()
    page.get_by_role("searchbox", name="Sök").fill("Backa")
    page.get_by_role("button", name="Filtrera").click()
    expect(page.get_by_role("link", name="Backaskolan")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sites")
    expect(page.get_by_role("link", name="Overview")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Address")).to_be_visible()
    expect(page.get_by_role("link", name="Backaskolan")).to_be_visible()
    assert_accessible(page)
    shot(page, "sites-en")
