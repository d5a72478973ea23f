"""A department administrator in a real browser: opens a teacher's page, issues a card,
reports it lost through the confirmation page, reads that it cannot be undone, and issues
the replacement offered; axe-core finds nothing on any page. Runs on SQLite and, when
configured, PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from stadsvakt.access.models import Credential, CredentialState
from stadsvakt.app import build_services, create_app
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings
from tests import factories as f
from tests import factories_decisions as fdec
from tests.browser import assert_accessible
from tests.live import serving

FIRST, REPLACEMENT = "04A1B2C3D4E5F6", "04A1B2C3D4E5F7"


@dataclass
class World:
    """A live server, a department administrator and a teacher in their school."""

    url: str
    username: str
    password: str
    person_id: str
    database_url: str


@pytest.fixture
def world(fresh_database_url: str) -> Iterator[World]:
    """A real server over a fresh database."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(database_url=fresh_database_url, security=security, _env_file=None)
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session, "Sundby kommun")
        schools = f.unit(session, tenant, name="Grundskoleförvaltningen")
        school = f.unit(session, tenant, parent=schools, name="Rosengårdsskolan")
        teacher = fdec.person(session, tenant, unit=school)
        teacher.given_name, teacher.family_name = "Anna", "Andersson"
        fdec.assignment(session, teacher, school, "Lärare")
        admin = f.user(session, tenant, services.passwords, role="department_admin", unit=schools)
        person_id = str(teacher.id)
    app = create_app(settings, services)
    try:
        with serving(app) as url:
            yield World(url, admin.username, admin.password, person_id, fresh_database_url)
    finally:
        services.engine.dispose()


def _states(world: World) -> dict[str, CredentialState]:
    settings = Settings(database_url=world.database_url, _env_file=None)
    services = build_services(settings)
    try:
        with unit_of_work(services.session_factory) as session:
            rows = session.execute(select(Credential.identifier, Credential.state)).all()
            return {identifier: state for identifier, state in rows}
    finally:
        services.engine.dispose()


@pytest.mark.browser
def test_issue_report_lost_and_replace_a_card(world: World, page: Page) -> None:
    page.goto(f"{world.url}/people/{world.person_id}")
    page.get_by_label("Användarnamn").fill(world.username)
    page.get_by_label("Lösenord").fill(world.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Anna Andersson")
    expect(page.get_by_text("Inga kort, PIN-koder eller mobilnycklar.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Lämna ut kort eller tagg").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lämna ut kort eller tagg")
    assert_accessible(page)
    page.get_by_label("Kortnummer (UID)").fill("04:a1:b2:c3:d4:e5:f6")
    page.get_by_label("Teknik").fill("MIFARE DESFire EV2")
    page.get_by_label("Giltig till").fill("2030-06-30 18:00")
    page.get_by_role("button", name="Lämna ut kort eller tagg").click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"Kortet {FIRST} har lämnats ut till Anna Andersson."
    )
    expect(page.get_by_role("cell", name="2030-06-30 18:00 CEST")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=f"Anmäl förlorat {FIRST}").click()
    expect(
        page.get_by_text(f"Kortet {FIRST} som tillhör Anna Andersson spärras direkt")
    ).to_be_visible()
    expect(page.get_by_text("Åtgärden kan inte ångras")).to_be_visible()
    assert_accessible(page)
    assert _states(world) == {FIRST: CredentialState.ACTIVE}  # asking changed nothing
    page.get_by_role("button", name="Ja, anmäl förlorat").click()

    notice = page.get_by_role("status").first
    expect(notice).to_contain_text("har spärrats efter förlustanmälan")
    expect(notice).to_contain_text("Åtgärden kan inte ångras.")
    expect(notice.get_by_role("button", name="Ångra")).to_have_count(0)
    assert_accessible(page)
    assert _states(world) == {FIRST: CredentialState.LOST}

    notice.get_by_role("link", name="Lämna ut ett ersättningskort").click()
    expect(page.get_by_label("Teknik")).to_have_value("MIFARE DESFire EV2")
    assert_accessible(page)
    page.get_by_label("Kortnummer (UID)").fill(FIRST)
    page.get_by_role("button", name="Lämna ut kort eller tagg").click()
    expect(page.locator("#f-identifier-error")).to_contain_text("Kortnumret används redan.")
    assert_accessible(page)
    page.get_by_label("Kortnummer (UID)").fill(REPLACEMENT)
    page.get_by_role("button", name="Lämna ut kort eller tagg").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Kortet {REPLACEMENT} har lämnats ut")
    assert_accessible(page)
    assert _states(world) == {FIRST: CredentialState.LOST, REPLACEMENT: CredentialState.ACTIVE}

    page.goto(f"{world.url}/access/credentials?q=andersson&sort=-identifier")
    expect(page.get_by_role("status").first).to_contain_text("Visar 1–2 av 2")
    assert_accessible(page)


@pytest.mark.browser
def test_generate_a_pin_then_suspend_and_undo_a_card(world: World, page: Page) -> None:
    page.goto(f"{world.url}/people/{world.person_id}/credentials/new?kind=pin")
    page.get_by_label("Användarnamn").fill(world.username)
    page.get_by_label("Lösenord").fill(world.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lägg till PIN-kod")
    expect(page.get_by_label("Skapa en PIN-kod (visas en gång, när du har sparat)")).to_be_checked()
    assert_accessible(page)
    page.get_by_role("button", name="Lägg till PIN-kod").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Den nya PIN-koden")
    pin = page.locator(".secret code").inner_text()
    assert pin.isdigit() and len(pin) == 6
    assert_accessible(page)
    page.get_by_role("link", name="Tillbaka till personen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Anna Andersson")
    assert pin not in page.content()

    page.get_by_role("link", name="Lämna ut kort eller tagg").click()
    page.get_by_label("Kortnummer (UID)").fill(FIRST)
    page.get_by_role("button", name="Lämna ut kort eller tagg").click()
    page.get_by_role("link", name=f"Spärra tillfälligt {FIRST}").click()
    expect(
        page.get_by_text(
            f"Kortet {FIRST} som tillhör Anna Andersson spärras direkt och öppnar inga dörrar."
        )
    ).to_be_visible()
    expect(page.get_by_text("Åtgärden kan ångras med Återaktivera.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Ja, spärra tillfälligt").click()
    notice = page.get_by_role("status").first
    expect(notice).to_contain_text("har spärrats tillfälligt")
    assert_accessible(page)
    assert _states(world)[FIRST] is CredentialState.SUSPENDED
    notice.get_by_role("button", name="Ångra").click()
    expect(page.get_by_role("status").first).to_contain_text("Åtgärden har ångrats.")
    assert_accessible(page)
    assert _states(world)[FIRST] is CredentialState.ACTIVE

    page.get_by_role("link", name=f"Ändra {FIRST}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ändra passerbärare")
    assert_accessible(page)
