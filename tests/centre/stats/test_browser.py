"""The statistics page in Debian's chromium: charts drawn by Chart.js, every chart readable
as a table, the period picker, and no axe-core violation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from stadsvakt.app import build_services, create_app
from stadsvakt.centre.escalation import escalate_unclaimed
from stadsvakt.centre.models import Cause
from stadsvakt.centre.units.models import UnitType
from stadsvakt.db import unit_of_work, utcnow
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings
from tests import factories as f
from tests.browser import assert_accessible, shot
from tests.centre.stats.helpers import activation, dispatch
from tests.live import serving


@dataclass
class Live:
    url: str
    username: str
    password: str
    site_name: str


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """A server over a fresh SQLite file with a week of handled activations."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'stats.db'}", security=security, _env_file=None
    )
    services = build_services(settings)
    upgrade(settings, services.engine)
    now = utcnow()
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session, "Sundby kommun")
        unit = f.unit(session, tenant, name="Skolförvaltningen")
        school, library = f.site(session, tenant, unit=unit), f.site(session, tenant, unit=unit)
        for day in range(1, 6):
            opened = now - timedelta(days=day, hours=2)
            activation(
                session,
                school,
                opened,
                category="intrusion",
                ack_s=12 * day,
                close_s=900,
                cause=Cause.FALSE if day % 2 else Cause.REAL,
                claimed_by="Anna Operatör",
            )
            fire = activation(
                session,
                library,
                opened + timedelta(minutes=5),
                category="fire",
                ack_s=8,
                close_s=600,
                cause=Cause.REAL,
                claimed_by="Bo Operatör",
            )
            dispatch(session, fire, UnitType.GUARD, 6 + day)
        activation(session, library, now - timedelta(minutes=10), priority=1)
        escalate_unclaimed(session, now)
        owner = f.user(session, tenant, services.passwords)
        site_name = school.name
    try:
        with serving(create_app(settings, services)) as url:
            yield Live(url, owner.username, owner.password, site_name)
    finally:
        services.engine.dispose()


@pytest.mark.browser
def test_statistics_page_draws_its_charts_with_tables(live: Live, page: Page) -> None:
    page.goto(f"{live.url}/centre/statistics")
    page.get_by_label("Användarnamn").fill(live.username)
    page.get_by_label("Lösenord").fill(live.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Statistik")
    expect(page.get_by_role("status").first).to_contain_text("11 aktiveringar")
    # Every chart drawn by Chart.js from its data attribute.
    expect(page.locator("canvas[data-drawn='true']")).to_have_count(6)
    # The service-level targets as a table, with the outcome in words.
    targets = page.get_by_role("table", name="Servicenivåmål (enligt EN 50518)")
    expect(targets).to_contain_text("7 / 11")  # the one still waiting counts against it
    expect(targets).to_contain_text("Ej uppfyllt")
    # Each chart's table opens from its summary.
    page.get_by_text("Visa som tabell: Falsklarm per fastighet").click()
    sites = page.get_by_role("table", name="Falsklarm per fastighet")
    expect(sites).to_be_visible()
    expect(sites).to_contain_text(live.site_name)
    expect(sites).to_contain_text("60,0")  # 3 of 5 false, in Swedish
    expect(page.get_by_role("link", name="Se eskaleringarna")).to_be_visible()
    assert_accessible(page)
    shot(page, "statistics")

    # A shorter period through the date inputs (keyboard only).
    first = page.get_by_label("Första dag")
    first.fill((utcnow() - timedelta(days=2)).date().isoformat())
    first.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("aktiveringar")
    expect(page.locator("canvas[data-drawn='true']")).to_have_count(6)
    assert_accessible(page)

    page.get_by_role("link", name="Se eskaleringarna").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eskaleringar")
    expect(page.get_by_role("table")).to_contain_text("Inte tagen i tid")
    assert_accessible(page)
    shot(page, "escalations")
