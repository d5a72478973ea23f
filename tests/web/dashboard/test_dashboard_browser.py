"""The dashboard in a real browser, as a department administrator and as an operator: the
panels each role gets, the charts drawn with their tables, a figure followed to its list,
and axe-core finding nothing on either page."""

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
from tests.browser import assert_accessible
from tests.live import serving
from tests.web.dashboard.conftest import add_denials
from tests.web.roles.world import build


@dataclass
class Live:
    """A served world and its logins by role."""

    url: str
    logins: dict[str, tuple[str, str]]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """The role tests' world committed to a fresh SQLite file, served over TCP."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'dashboard.db'}", security=security, _env_file=None
    )
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        world = build(session, services)
        add_denials(session, world)
        logins = {role: (u.username, u.password) for role, u in world.users.items()}
    try:
        with serving(create_app(settings, services)) as url:
            yield Live(url, logins)
    finally:
        services.engine.dispose()


def _log_in(page: Page, live: Live, role: str) -> None:
    username, password = live.logins[role]
    page.goto(f"{live.url}/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rollby kommun")


@pytest.mark.browser
def test_a_department_administrator_sees_what_to_act_on(live: Live, page: Page) -> None:
    _log_in(page, live, "department_admin")
    main = page.locator("#main")
    expect(main.get_by_role("heading", name="Behörighetsadministration")).to_be_visible()
    expect(main.get_by_role("link", name="Föräldralösa kort och taggar")).to_be_visible()
    expect(main.get_by_role("link", name="Behörigheter som upphör inom en vecka")).to_be_visible()
    expect(main.get_by_role("heading", name="Nekade passager per dag")).to_be_visible()
    expect(main.get_by_role("heading", name="Larm per dag")).to_have_count(0)
    expect(main.get_by_role("link", name="Tysta larmsändare")).to_have_count(0)
    expect(page.locator("canvas#denials-chart")).to_have_attribute("data-drawn", "true")
    assert_accessible(page)

    main.get_by_role("link", name="Fastigheter under sin servicenivå").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Brister mot servicenivå")
    assert_accessible(page)


@pytest.mark.browser
def test_an_operator_sees_the_queue_and_the_alarms(live: Live, page: Page) -> None:
    _log_in(page, live, "operator")
    main = page.locator("#main")
    expect(main.get_by_role("heading", name="Trygghetscentral och larm")).to_be_visible()
    expect(main.get_by_role("link", name="Öppna larmärenden")).to_be_visible()
    expect(main.get_by_role("link", name="Tysta larmsändare")).to_be_visible()
    expect(main.get_by_role("link", name="Larm i dag")).to_be_visible()
    expect(main.get_by_role("link", name="Behörigheter som upphör inom en vecka")).to_have_count(0)
    expect(page.locator("canvas#alarms-chart")).to_have_attribute("data-drawn", "true")
    assert_accessible(page)

    main.get_by_role("link", name="Larm i dag").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Larm")
    assert_accessible(page)


@pytest.mark.browser
def test_a_read_only_role_meets_the_forbidden_page_in_swedish(live: Live, page: Page) -> None:
    """Point 8 in a browser: no write control on the sites list, and the form's address
    typed anyway gives the UI's own 403 page saying what is needed and who has it."""
    _log_in(page, live, "read_only")
    page.goto(f"{live.url}/sites")
    expect(page.locator("#main").get_by_role("link", name="Ny fastighet")).to_have_count(0)
    page.goto(f"{live.url}/sites/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Det här får du inte göra")
    expect(page.locator("#main")).to_contain_text("site.write")
    expect(page.locator("#main")).to_contain_text("Förvaltningsadministratör")
    assert_accessible(page)
