"""The activation page in Debian's chromium: an operator claims and closes an activation
by keyboard alone (shortcuts, Tab, arrows, Enter), and axe-core finds nothing to fault."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from stadsvakt.app import build_services, create_app
from stadsvakt.centre.models import Activation, ActivationState, Cause
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings
from tests import factories as f
from tests.browser import assert_accessible, shot
from tests.centre.handling.conftest import activation
from tests.live import serving


@dataclass
class Live:
    """A server, the operator's login and the activation waiting for them."""

    url: str
    username: str
    password: str
    activation_id: uuid.UUID
    settings: Settings


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """A real server over a fresh SQLite file with one open activation."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'handling.db'}", security=security, _env_file=None
    )
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session, "Sundby kommun")
        site = f.site(session, tenant, unit=f.unit(session, tenant))
        who = f.user(session, tenant, services.passwords, role="operator")
        row = activation(session, tenant, site, priority=1, title="Burglary")
    try:
        with serving(create_app(settings, services)) as url:
            yield Live(url, who.username, who.password, row.id, settings)
    finally:
        with unit_of_work(services.session_factory) as session:
            found = session.get(Activation, row.id)
            assert found is not None
            live_state = (found.state, found.cause, found.close_note)
        services.engine.dispose()
        assert live_state == (ActivationState.CLOSED, Cause.REAL, "Väktare på plats")


@pytest.mark.browser
def test_claim_and_close_by_keyboard_alone(live: Live, page: Page) -> None:
    page.goto(f"{live.url}/centre/activations/{live.activation_id}")
    page.get_by_label("Användarnamn").fill(live.username)
    page.get_by_label("Lösenord").fill(live.password)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Händelseförlopp")).to_be_visible()
    expect(page.locator("#activation-state")).to_contain_text("Väntar")
    assert_accessible(page)
    page.locator("body").click(position={"x": 1, "y": 1})  # nothing focused: as on arrival

    page.keyboard.press("c")
    expect(page.locator("#done")).to_have_text("Du har tagit larmet.")
    expect(page.locator("#activation-holder")).to_contain_text("(du)")
    assert_accessible(page)
    shot(page, "activation-claimed")

    page.keyboard.press("x")
    expect(page.get_by_label("Verkligt larm")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_label("Verkligt larm")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Anteckning", exact=True).first).to_be_focused()
    page.keyboard.type("Väktare på plats")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Avsluta larmet")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#done")).to_contain_text("Larmet är avslutat.")
    expect(page.locator("#activation-state")).to_contain_text("Avslutat")
    assert_accessible(page)
    shot(page, "activation-closed")


@pytest.mark.browser
def test_escape_goes_back_to_the_queue_and_shortcuts_can_be_switched_off(
    live: Live, page: Page
) -> None:
    page.goto(f"{live.url}/centre/activations/{live.activation_id}")
    page.get_by_label("Användarnamn").fill(live.username)
    page.get_by_label("Lösenord").fill(live.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Händelseförlopp")).to_be_visible()

    page.get_by_label("Använd kortkommandon med en tangent").uncheck()
    page.locator("body").click(position={"x": 1, "y": 1})
    page.keyboard.press("c")
    expect(page.locator("#activation-state")).to_contain_text("Väntar")

    page.get_by_label("Använd kortkommandon med en tangent").check()
    page.keyboard.press("n")
    expect(page.locator("#f-text")).to_be_focused()
    page.keyboard.press("Escape")  # leaves the field
    expect(page.locator("#f-text")).not_to_be_focused()
    page.keyboard.press("Escape")
    page.wait_for_url(f"{live.url}/centre")

    # The fixture checks the activation was closed; close it here by the buttons.
    page.goto(f"{live.url}/centre/activations/{live.activation_id}")
    page.get_by_role("button", name="Ta larmet").click()
    page.get_by_label("Verkligt larm").check()
    page.locator("#f-note").fill("Väktare på plats")
    page.get_by_role("button", name="Avsluta larmet").click()
    expect(page.locator("#activation-state")).to_contain_text("Avslutat")
