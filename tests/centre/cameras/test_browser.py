"""In chromium: the activation page draws at once, the camera panel fetches by itself,
shows the site's picture and a hanging camera's reason; checked with axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from stadsvakt.app import build_services, create_app
from stadsvakt.centre.camera_sim import create_app as simulator
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import CentreSettings, SecuritySettings, Settings
from tests import factories as f
from tests.browser import assert_accessible
from tests.centre.cameras.conftest import activation, camera
from tests.live import serving


@dataclass
class Live:
    """A live server with an operator and an activation whose site has two cameras."""

    url: str
    operator: f.TestUser
    activation_id: str


@pytest.fixture
def live(fresh_database_url: str) -> Iterator[Live]:
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    settings = Settings(
        database_url=fresh_database_url,
        security=security,
        centre=CentreSettings(camera_timeout_s=1.0),
        _env_file=None,
    )
    services = build_services(settings)
    upgrade(settings, services.engine)
    sim_app = FastAPI()
    sim_app.mount("/", simulator())
    try:
        with serving(sim_app) as sim:
            with unit_of_work(services.session_factory) as session:
                tenant = f.municipality(session)
                site = f.site(session, tenant, unit=f.unit(session, tenant))
                operator = f.user(session, tenant, services.passwords, role="operator")
                row = activation(session, tenant, site)
                camera(
                    session, tenant, f"{sim}/cameras/entre/snapshot.png", name="Entré", site=site
                )
                camera(session, tenant, f"{sim}/cameras/gard/hang", name="Gården", north_m=120)
                activation_id = str(row.id)
            with serving(create_app(settings, services)) as url:
                yield Live(url, operator, activation_id)
    finally:
        services.engine.dispose()


@pytest.mark.browser
def test_the_camera_panel_fetches_by_itself_and_explains_a_hanging_camera(
    live: Live, page: Page
) -> None:
    path = f"/centre/activations/{live.activation_id}"
    page.goto(f"{live.url}/login?next={path}")
    page.get_by_label("Användarnamn").fill(live.operator.username)
    page.get_by_label("Lösenord").fill(live.operator.password)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{live.url}{path}")

    panel = page.locator("#cameras")
    expect(panel.get_by_role("heading", name="Kameror")).to_be_visible()
    picture = panel.get_by_role("img", name="Bild från Entré", exact=False)
    expect(picture).to_be_visible()
    expect(panel.get_by_text("Kameran svarade inte i tid")).to_be_visible()
    expect(panel.get_by_text("Bilderna är hämtade.")).to_be_attached()
    assert page.evaluate("(img) => img.naturalWidth", picture.element_handle()) == 320
    assert_accessible(page)

    panel.get_by_role("link", name="Bevis", exact=False).click()
    expect(page.get_by_role("heading", name="Kamerabilder (bevis)")).to_be_visible()
    # Fetched by the operator (both rows), and the picture viewed by them in the panel.
    expect(page.locator("td", has_text="Användare")).to_have_count(3)
    assert_accessible(page)
