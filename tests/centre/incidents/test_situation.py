"""The situation picture and the officer on duty's log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page as BrowserPage
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.app import build_services, create_app
from stadsvakt.centre import feed
from stadsvakt.centre.incidents import IncidentIn, log_incident
from stadsvakt.centre.models import Activation, ActivationEntry
from stadsvakt.centre.situation import OfficerNoticeIn, acknowledge, inform_officer, situation
from stadsvakt.db import unit_of_work, utcnow
from stadsvakt.errors import Conflict
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings
from tests import factories as f
from tests.browser import assert_accessible
from tests.centre.incidents.conftest import Centre
from tests.live import serving


def _log(session: Session, centre: Centre, **extra: object) -> Activation:
    data = IncidentIn.model_validate(
        {"tenant_id": str(centre.home.id), "type": "other", "description": "Händelse", **extra}
    )
    return log_incident(session, centre.operator, data, now=utcnow())


def test_most_serious_first_per_municipality_and_area(session: Session, centre: Centre) -> None:
    low = _log(session, centre, site_id=str(centre.home_site.id), priority=8)
    free = _log(session, centre, address="Torget", priority=5)
    served = _log(session, centre, tenant_id=str(centre.served.id),
                  site_id=str(centre.served_site.id), category="fire")  # fmt: skip
    picture = situation(session, centre.operator)
    assert [r.tenant_id for r in picture.regions] == [centre.served.id, centre.home.id]
    home = picture.regions[1]
    assert [a.name for a in home.areas] == ["", "Distrikt Centrum"]  # priority 5 before 8
    assert home.areas[0].activations == [free] and home.areas[1].activations == [low]
    assert picture.regions[0].areas[0].by_category == {"fire": 1}
    assert picture.by_category == {"other": 2, "fire": 1} and picture.total == 3
    assert served.priority == 1


def test_informing_the_officer_is_logged_on_the_timeline(session: Session, centre: Centre) -> None:
    activation = _log(session, centre, address="Skolan")
    before, version = feed.head(session), activation.version
    now = utcnow()
    data = OfficerNoticeIn(officer_name="Tove TiB", officer_phone="070-1", message="Brand i skola")
    notice = inform_officer(session, centre.operator, activation.id, data, now=now)
    assert (notice.told_by_name, notice.told_at) == ("Olle Operatör", now)
    assert activation.version == version + 1
    assert [c.kind for c in feed.changes_since(session, before)] == ["updated"]
    entry = session.scalars(
        select(ActivationEntry).where(ActivationEntry.kind == "officer_informed")
    ).one()
    assert entry.text == "Brand i skola" and entry.data["officer_name"] == "Tove TiB"
    acknowledge(session, centre.operator, notice.id, now=now + timedelta(minutes=2))
    assert notice.acknowledged_at == now + timedelta(minutes=2)
    with pytest.raises(Conflict):
        acknowledge(session, centre.operator, notice.id, now=now + timedelta(minutes=3))


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, f.TestUser]]:
    """A real server over a fresh, migrated SQLite file (plain http) and an operator."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'centre.db'}", security=security, _env_file=None
    )
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session, "Hässleby kommun")
        f.site(session, tenant, unit=f.unit(session, tenant, name="Distrikt Centrum"))
        operator = f.user(session, tenant, services.passwords, role="operator")
    try:
        with serving(create_app(settings, services)) as url:
            yield url, operator
    finally:
        services.engine.dispose()


@pytest.mark.browser
def test_incident_form_and_situation_page_in_chromium(
    page: BrowserPage, live: tuple[str, f.TestUser]
) -> None:
    url, operator = live
    page.goto(f"{url}/login")
    page.get_by_label("Användarnamn").fill(operator.username)
    page.get_by_label("Lösenord").fill(operator.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{url}/")
    page.goto(f"{url}/centre/incidents/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga en händelse")
    assert_accessible(page)
    page.get_by_label("Beskrivning").fill("Hot mot personal i receptionen")
    page.get_by_role("button", name="Logga händelsen").click()
    expect(page.get_by_text("Rätta följande")).to_be_visible()
    assert_accessible(page)  # with the error summary
    page.get_by_label("Adress").fill("Stadshuset")
    page.get_by_role("button", name="Logga händelsen").click()
    page.wait_for_url(f"{url}/centre/activations/**")
    page.goto(f"{url}/centre/situation")
    expect(page.get_by_text("Stadshuset: Hot mot personal i receptionen")).to_be_visible()
    assert_accessible(page)
