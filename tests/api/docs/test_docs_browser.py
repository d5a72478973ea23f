"""``/docs`` and ``/redoc`` in a real chromium, offline (issue 11, point 11): Swagger UI's
Authorize offers the bearer token and the session cookie, and a call made after
authorising with a token is answered as that token's; ReDoc renders the operations, the
SCIM section and which scheme each operation takes; nothing is loaded from another host.

axe-core is not run here: Swagger UI and ReDoc are third-party pages (their own colours
and nested controls fail it); the web UI's pages are held to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect

from stadsvakt.app import build_services, create_app
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import Settings
from tests import factories as f
from tests.conftest import fast_security
from tests.live import serving

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Served:
    """A live server over a fresh database with one municipality and an owner's token."""

    url: str
    token: str
    municipality: str


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A real server (the docs load their files over HTTP)."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'docs.db'}", security=fast_security(), _env_file=None
    )
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session, "Docsby kommun")
        header = f.owner_bearer(session, tenant)
        name = tenant.name
    token = header["Authorization"].removeprefix("Bearer ")
    app = create_app(settings, services)
    try:
        with serving(app) as url:
            yield Served(url, token, name)
    finally:
        services.engine.dispose()


@dataclass
class Seen:
    """Policy violations the console reported and requests to other hosts."""

    violations: list[str]
    foreign: list[str]


def _watch(page: Page, origin: str) -> Seen:
    seen = Seen([], [])

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            seen.violations.append(message.text)

    def on_request(request: Request) -> None:
        if not request.url.startswith((origin, "data:", "blob:")):
            seen.foreign.append(request.url)

    page.on("console", on_console)
    page.on("request", on_request)
    return seen


def test_authorize_in_swagger_ui_with_a_token_and_call_the_api(served: Served, page: Page) -> None:
    seen = _watch(page, served.url)
    page.goto(f"{served.url}/docs")
    expect(page.locator(".opblock-tag", has_text="SCIM 2.0")).to_be_visible()
    page.locator(".scheme-container button.authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    expect(dialog).to_be_visible()
    bearer = dialog.locator(".auth-container", has_text="bearerToken")
    cookie = dialog.locator(".auth-container", has_text="sessionCookie")
    expect(bearer).to_contain_text("Bearer")
    expect(cookie).to_contain_text("stadsvakt_session")
    expect(cookie).to_contain_text("cookie")
    bearer.locator("input").fill(served.token)
    bearer.locator("button.authorize").click()
    expect(bearer.locator("button", has_text="Logout")).to_be_visible()
    dialog.locator("button.btn-done").first.click()
    expect(dialog).to_be_hidden()

    me = page.locator("#operations-auth-me_api_v1_me_get")
    me.locator(".opblock-summary-control").click(no_wait_after=True)
    # The operation shows it is protected, and the lock is closed once authorised.
    lock = me.locator("button.authorization__btn")
    expect(lock).to_have_attribute("aria-label", "authorization button locked")
    me.get_by_role("button", name="Try it out").click()
    me.get_by_role("button", name="Execute").click()
    status = me.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_have_text("200")
    expect(me.locator(".live-responses-table .microlight").first).to_contain_text('"kind": "token"')
    assert seen.violations == []
    assert seen.foreign == []


def test_without_authorizing_swagger_ui_gets_the_401(served: Served, page: Page) -> None:
    page.goto(f"{served.url}/docs")
    me = page.locator("#operations-auth-me_api_v1_me_get")
    expect(me).to_be_visible()
    me.locator(".opblock-summary-control").click(no_wait_after=True)
    lock = me.locator("button.authorization__btn")
    expect(lock).to_have_attribute("aria-label", "authorization button unlocked")
    me.get_by_role("button", name="Try it out").click()
    me.get_by_role("button", name="Execute").click()
    expect(me.locator(".live-responses-table tbody .response-col_status").first).to_have_text("401")


def test_redoc_shows_the_scim_section_and_how_to_authenticate(served: Served, page: Page) -> None:
    seen = _watch(page, served.url)
    page.goto(f"{served.url}/redoc")
    expect(page.get_by_role("heading", name="Healthz").first).to_be_visible()
    expect(page.locator("[data-section-id='tag/SCIM-2.0']").first).to_be_attached()
    me = page.locator("[data-section-id='tag/auth/operation/me_api_v1_me_get']")
    expect(me).to_contain_text("Authorizations:")
    expect(me).to_contain_text("bearerToken")
    expect(me).to_contain_text("sessionCookie")
    health = page.locator("[data-section-id='tag/health/operation/healthz_healthz_get']")
    expect(health).to_contain_text("Healthz")
    assert "Authorizations" not in health.inner_text()
    # ReDoc's footer logo is the only thing it asks of another host; the policy blocks it.
    assert [v for v in seen.violations if "cdn.redoc.ly" not in v] == []
    assert [u for u in seen.foreign if "cdn.redoc.ly" not in u] == []
