"""The plan editor, the contacts page and an activation's plan in a real browser, by
keyboard where it matters, with axe-core's WCAG 2.1 A/AA check on every page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from stadsvakt.app import build_services, create_app
from stadsvakt.centre.models import Activation, ActivationKind, ActivationState
from stadsvakt.db import unit_of_work, utcnow
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings
from tests import factories as f
from tests.browser import assert_accessible
from tests.live import serving


@dataclass
class Live:
    """A server, the owner's login, a site and an open activation on it."""

    url: str
    username: str
    password: str
    site_id: uuid.UUID
    activation_id: uuid.UUID


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """A real server over a fresh SQLite file (plain http)."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'plans.db'}", security=security, _env_file=None
    )
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session, "Sundby kommun")
        site = f.site(session, tenant, unit=f.unit(session, tenant))
        owner = f.user(session, tenant, services.passwords)
        at = utcnow() - timedelta(minutes=1)
        activation = Activation(
            id=uuid.uuid4(),
            tenant_id=tenant.id,
            site_id=site.id,
            kind=ActivationKind.ALARM,
            category="intrusion",
            code="BA",
            priority=4,
            title="Inbrottslarm",
            group_key=f"site|{site.id}|intrusion",
            state=ActivationState.OPEN,
            opened_at=at,
            last_event_at=at,
            version=1,
        )
        session.add(activation)
    try:
        with serving(create_app(settings, services)) as url:
            yield Live(url, owner.username, owner.password, site.id, activation.id)
    finally:
        services.engine.dispose()


@pytest.mark.browser
def test_edit_a_plan_add_contacts_and_follow_it(live: Live, page: Page) -> None:
    page.goto(f"{live.url}/centre/plans")
    page.get_by_label("Användarnamn").fill(live.username)
    page.get_by_label("Lösenord").fill(live.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Åtgärdsplaner")
    assert_accessible(page)

    page.get_by_label("Fastighet").select_option(str(live.site_id))
    page.get_by_label("Kategori").select_option("intrusion")
    page.get_by_role("button", name="Skapa plan").click()
    expect(page.get_by_role("status")).to_have_text("Planen är skapad. Lägg till dess steg.")
    assert_accessible(page)

    # An empty instruction is refused with a summary linking to the field.
    page.get_by_role("button", name="Lägg till steg").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Instruktion till operatören").fill("Ring nyckelhållare")
    page.get_by_label("Obligatoriskt: ärendet kan inte stängas").check()
    page.get_by_label("Nyckelhållare").check()
    page.get_by_role("button", name="Lägg till steg").click()
    expect(page.get_by_role("status")).to_have_text("Sparat som en ny version.")
    page.get_by_label("Typ av steg").select_option("police")
    page.get_by_label("Instruktion till operatören").fill("Ring 112 vid bekräftat larm")
    page.get_by_role("button", name="Lägg till steg").click()
    # Move the police step up by keyboard alone.
    page.get_by_role("button", name="Flytta upp steg 2").focus()
    page.keyboard.press("Enter")
    steps = page.locator("#main ol > li")
    expect(steps.first).to_contain_text("Ring 112 vid bekräftat larm")
    expect(page.locator("#main table")).to_contain_text("Flyttade upp steg 2")
    assert_accessible(page)

    page.get_by_role("link", name="Kontaktpersoner och nyckelhållare").click()
    page.get_by_label("Namn", exact=True).fill("Karin Ek")
    page.get_by_label("Roll").select_option("keyholder")
    page.get_by_label("Telefon").fill("070-111 11 11")
    page.get_by_label("Får ringas (svensk tid)").fill("mån-sön 00-00")
    page.get_by_role("button", name="Lägg till kontaktperson").click()
    expect(page.get_by_role("status")).to_have_text("Kontaktpersonen är sparad.")
    expect(page.locator("#main table")).to_contain_text("Karin Ek")
    assert_accessible(page)

    page.goto(f"{live.url}/centre/activations/{live.activation_id}/plan")
    expect(page.get_by_role("heading", name="Åtgärdsplan", exact=True)).to_be_visible()
    expect(page.locator("#plan-step-2")).to_contain_text("Karin Ek")
    assert_accessible(page)
    page.get_by_label("Utfall för steg 2").select_option("reached")
    page.get_by_label("Anteckning till steg 2").fill("Kommer om 20 minuter")
    page.get_by_label("Anteckning till steg 2").press("Enter")
    expect(page.locator("#plan-step-2")).to_contain_text("Kommer om 20 minuter")
    expect(page.locator("#plan-step-2")).to_contain_text("Nådd")
    assert_accessible(page)
