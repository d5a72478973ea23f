"""An auditor in a real browser: filters the trail by actor with the picker, opens an
entry and reads its diff, exports the view as CSV and checks the chain; axe-core finds
nothing on any page. Runs on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from stadsvakt.app import build_services, create_app
from stadsvakt.audit.service import record
from stadsvakt.context import Actor, acting_as
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings
from tests import factories as f
from tests.browser import assert_accessible
from tests.live import serving


@dataclass
class World:
    """A live server; an auditor; a colleague whose changes are in the trail."""

    url: str
    username: str
    password: str
    colleague: str


@pytest.fixture
def world(fresh_database_url: str) -> Iterator[World]:
    """A real server over a fresh database with a few audit rows."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(database_url=fresh_database_url, security=security, _env_file=None)
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session, "Sundby kommun")
        auditor = f.user(session, tenant, services.passwords, role="auditor")
        colleague = f.user(session, tenant, services.passwords, role="system_owner")
        name = f"Användare {colleague.username.removeprefix('user')}"
        actor = Actor(kind="user", id=colleague.id, name=name, tenant_id=tenant.id)
        with acting_as(actor):
            for i in range(3):
                record(
                    session,
                    action="person.update",
                    object_type="person",
                    object_id=uuid.uuid4(),
                    object_text=f"Åsa Öberg {i}",
                    tenant_id=tenant.id,
                    before={"family_name": "Öberg", "given_name": "Åsa", "active": True},
                    after={"family_name": f"Öberg-Ek {i}", "given_name": "Åsa", "active": True},
                )
    app = create_app(settings, services)
    try:
        with serving(app) as url:
            yield World(url, auditor.username, auditor.password, name)
    finally:
        services.engine.dispose()


@pytest.mark.browser
def test_an_auditor_filters_reads_a_diff_exports_and_checks(world: World, page: Page) -> None:
    page.goto(f"{world.url}/audit")
    page.get_by_label("Användarnamn").fill(world.username)
    page.get_by_label("Lösenord").fill(world.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Granskningslogg")
    expect(page.locator(".ts-wrapper").first).to_be_visible()
    assert_accessible(page)

    # The actor picker asks the server as the auditor types.
    search = page.locator("#f-actor-ts-control")
    expect(search).to_have_accessible_name("Utförare")
    search.focus()
    search.press_sequentially(world.colleague)
    option = page.locator(".ts-dropdown .option", has_text=world.colleague)
    expect(option).to_have_count(1)
    option.click()
    page.get_by_role("button", name="Filtrera").click()
    expect(page.get_by_role("status").first).to_contain_text("Visar 1–3 av 3 poster")
    assert "actor=" in page.url
    rows = page.locator("table.audit-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Åsa Öberg 2")
    assert_accessible(page)

    # One entry: the changed field in a table, the unchanged ones folded away.
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Person: Ändrad")
    changed = page.get_by_role("table", name="Ändrade fält")
    expect(changed.get_by_role("row", name="Efternamn")).to_contain_text("Öberg-Ek 2")
    expect(page.get_by_role("table", name="Oförändrade fält")).to_be_hidden()
    page.get_by_text("Visa 2 oförändrade fält").click()
    expect(page.get_by_role("table", name="Oförändrade fält")).to_be_visible()
    assert_accessible(page)

    # The export holds exactly the filtered rows, for Swedish Excel.
    page.go_back()
    with page.expect_download() as download:
        page.get_by_role("link", name="Exportera som CSV").click()
    content = download.value.path().read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert [row[8] for row in table[1:]] == ["Åsa Öberg 2", "Åsa Öberg 1", "Åsa Öberg 0"]

    # The chain check runs after the answer; the page shows the outcome when it is done.
    page.get_by_role("link", name="Kontrollera loggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kontrollera granskningsloggen")
    assert_accessible(page)
    page.get_by_role("button", name="Kontrollera nu").click()
    expect(page.get_by_role("heading", name="Resultat: Oförändrad")).to_be_visible()
    expect(page.locator(".verify-verdict")).to_contain_text("Loggen är oförändrad")
    assert_accessible(page)
