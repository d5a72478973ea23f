"""Security headers on every response, and API docs that need nothing from outside.

Every kind of answer (pages, API, problems, a 500, static files, metrics, health,
SCIM, the docs) carries the Content-Security-Policy and its companions; /docs and
/redoc load only files stadsvakt serves; no template carries inline script or style;
and in a real browser neither the docs nor the web UI trip the policy (and the web UI's
pages pass axe-core's WCAG 2.1 A/AA rules on the way).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import ConsoleMessage, Page, Request, expect
from rich.console import Console

from stadsvakt.app import create_app
from stadsvakt.app.security_headers import CONTENT_SECURITY_POLICY, SecurityHeadersMiddleware
from stadsvakt.demo.run import build_demo, demo_settings
from stadsvakt.settings import SecuritySettings, Settings
from tests.browser import accessibility_violations
from tests.conftest import fast_security
from tests.live import serving

ONE_YEAR = 365 * 86_400


def directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as {directive: sources}."""
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        out[name] = sources
    return out


def assert_secured(headers: Mapping[str, str], *, hsts: bool = True) -> None:
    """The headers every response must carry (names in lower case, as both httpx and
    Playwright look them up)."""
    policy = directives(headers.get("content-security-policy", ""))
    assert policy.get("frame-ancestors") == ["'none'"]
    assert policy.get("script-src") == ["'self'"], "scripts only from stadsvakt, never inline"
    assert policy.get("object-src") == ["'none'"]
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("referrer-policy") == "same-origin"
    assert headers.get("strict-transport-security") == (f"max-age={ONE_YEAR}" if hsts else None)


# --- every kind of response -------------------------------------------------------------

ANSWERS = {
    "web page": ("GET", "/login", {}, 200),
    "web page, not logged in": ("GET", "/sites", {"accept": "text/html"}, None),
    "API answer": ("GET", "/healthz", {}, 200),
    "readiness": ("GET", "/readyz", {}, None),
    "metrics": ("GET", "/metrics", {}, 200),
    "OpenAPI document": ("GET", "/openapi.json", {}, 200),
    "401 problem": ("GET", "/api/v1/users", {}, 401),
    "404 problem": ("GET", "/api/v1/no-such-thing", {}, 404),
    "404 page": ("GET", "/no-such-page", {"accept": "text/html"}, 404),
    "405 problem": ("DELETE", "/healthz", {}, 405),
    "SCIM": ("GET", "/scim/v2/Users", {}, 401),
    "static file": ("GET", "/static/stadsvakt.css", {}, 200),
    "static file, HEAD": ("HEAD", "/static/stadsvakt.css", {}, 200),
    "missing static file": ("GET", "/static/nothing.css", {}, 404),
    "Swagger UI": ("GET", "/docs", {}, 200),
    "ReDoc": ("GET", "/redoc", {}, 200),
    "docs asset": ("GET", "/docs-assets/swagger-ui-bundle.js", {}, 200),
}


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_every_kind_of_answer_carries_the_security_headers(
    client: TestClient, answer: tuple[str, str, dict[str, str], int | None]
) -> None:
    method, path, headers, status = answer
    response = client.request(method, path, headers=headers)
    if status is not None:
        assert response.status_code == status
    assert_secured(response.headers)


def test_an_invalid_body_gets_a_422_problem_with_the_headers(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert_secured(response.headers)


def test_an_unexpected_error_gets_a_500_problem_with_the_headers(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("a bug")

    monkeypatch.setattr("stadsvakt.app.routes.is_current", broken)
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    response = client.get("/readyz")
    assert response.status_code == 500
    assert "a bug" not in response.text
    assert_secured(response.headers)


def test_the_headers_wrap_every_other_layer(app: FastAPI) -> None:
    """Layers that answer by themselves (the decision fast path, the request id's 500)
    are inside the one that adds the headers."""
    outermost: object = app.user_middleware[0].cls
    assert outermost is SecurityHeadersMiddleware


def test_the_policy_allows_nothing_inline_nor_from_elsewhere() -> None:
    policy = directives(CONTENT_SECURITY_POLICY)
    for name, sources in policy.items():
        assert "'unsafe-inline'" not in sources, name
        assert "'unsafe-eval'" not in sources, name
        assert not any(s.startswith(("http:", "https:", "*")) for s in sources), name
    assert policy["default-src"] == ["'self'"]
    assert policy["base-uri"] == ["'none'"]


def test_no_hsts_while_cookies_may_go_over_plain_http(tmp_path: Path) -> None:
    """An installation on plain HTTP (the demo, a laboratory) must not tell browsers to
    refuse it for a year; everything else is still sent."""
    plain = Settings(
        database_url=f"sqlite:///{tmp_path / 'plain.db'}",
        security=SecuritySettings(cookie_secure=False),
        _env_file=None,
    )
    none = Settings(
        database_url=f"sqlite:///{tmp_path / 'none.db'}",
        security=SecuritySettings(hsts_max_age_days=0),
        _env_file=None,
    )
    for settings in (plain, none):
        response = TestClient(create_app(settings)).get("/healthz")
        assert_secured(response.headers, hsts=False)


def test_a_shorter_hsts_max_age_is_sent_as_set(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'short.db'}",
        security=SecuritySettings(hsts_max_age_days=1),
        _env_file=None,
    )
    response = TestClient(create_app(settings)).get("/healthz")
    assert response.headers["strict-transport-security"] == "max-age=86400"


# --- the API docs -----------------------------------------------------------------------


class _References(HTMLParser):
    """The URLs a page loads (src and href) and the bodies of its script elements."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href", "spec-url", "data-openapi-url"):
            if found.get(name):
                self.urls.append(str(found[name]))
        self._in_script = tag == "script"
        if tag == "script" and not found.get("src"):
            self.inline_scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def references(html: str) -> _References:
    """What an HTML page loads."""
    parser = _References()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_load_only_files_stadsvakt_serves(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    found = references(page.text)
    assert found.inline_scripts == [], "the CSP forbids inline script"
    assert found.urls, "the page loads its viewer"
    for url in found.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{url} is on another host"
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert_secured(asset.headers)
    scripts = [u for u in found.urls if urlsplit(u).path.endswith(".js")]
    assert scripts, "the viewer's script is served here"


def test_swagger_ui_runs_under_the_strict_policy_and_redoc_under_its_own(
    client: TestClient,
) -> None:
    assert client.get("/docs").headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    redoc = directives(client.get("/redoc").headers["content-security-policy"])
    # ReDoc injects its styles; its scripts still come only from here.
    assert redoc["script-src"] == ["'self'"]
    assert redoc["frame-ancestors"] == ["'none'"]


def test_no_page_with_an_inline_script_is_left_from_fastapi(client: TestClient) -> None:
    """FastAPI's OAuth2 redirect page for Swagger UI is an inline script; it is not served."""
    assert client.get("/docs/oauth2-redirect").status_code == 404


# --- templates --------------------------------------------------------------------------

TEMPLATES = Path(str(files("stadsvakt") / "web" / "templates"))
#: What a strict CSP blocks in a page: inline script, inline style, event handlers.
INLINE = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc\s*=)", re.IGNORECASE),
    "<style> element": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"'{]", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_has_inline_script_or_style() -> None:
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 10
    found = [
        f"{path.relative_to(TEMPLATES)}:{text[: m.start()].count(chr(10)) + 1}: {what}"
        for path in templates
        for text in [path.read_text(encoding="utf-8")]
        for what, pattern in INLINE.items()
        for m in pattern.finditer(text)
    ]
    assert found == [], "the CSP blocks these; use a class or a file under web/static"


# --- in a real browser ------------------------------------------------------------------


@dataclass
class Watch:
    """What a page told its console about the policy, and where it sent requests."""

    violations: list[str]
    foreign: list[str]


def watch(page: Page, origin: str) -> Watch:
    """Record CSP violations (chromium logs each one) and requests to other hosts."""
    seen = Watch([], [])

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            seen.violations.append(message.text)

    def on_request(request: Request) -> None:
        if not request.url.startswith((origin, "data:", "blob:")):
            seen.foreign.append(request.url)

    page.on("console", on_console)
    page.on("request", on_request)
    return seen


@pytest.fixture
def docs_server(tmp_path: Path) -> Iterator[str]:
    """A real server (the docs need no database rows)."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'docs.db'}", security=fast_security(), _env_file=None
    )
    app = create_app(settings)
    try:
        with serving(app) as url:
            yield url
    finally:
        app.state.services.engine.dispose()


@pytest.mark.browser
def test_swagger_ui_shows_the_operations_with_no_policy_violation(
    docs_server: str, page: Page
) -> None:
    seen = watch(page, docs_server)
    response = page.goto(f"{docs_server}/docs")
    assert response is not None
    assert_secured(response.headers)
    decisions = page.locator(".opblock-summary-path", has_text="/api/v1/access/decisions")
    expect(decisions.first).to_be_visible()
    assert page.locator(".opblock").count() > 20
    page.locator(".opblock-summary", has_text="/healthz").first.click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    assert seen.violations == []
    assert seen.foreign == []


@pytest.mark.browser
def test_redoc_shows_the_operations_from_files_served_here(docs_server: str, page: Page) -> None:
    seen = watch(page, docs_server)
    page.goto(f"{docs_server}/redoc")
    expect(page.get_by_role("heading", name="Healthz").first).to_be_visible()
    # ReDoc's footer shows its vendor's logo from their CDN; the policy blocks that
    # image, and nothing else.
    others = [v for v in seen.violations if "cdn.redoc.ly" not in v]
    assert others == []
    assert [u for u in seen.foreign if "cdn.redoc.ly" not in u] == []


_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+")
#: Not pages: leaving, files, and the docs (tested above).
_SKIP = ("/logout", "/static/", "/docs", "/redoc", "/openapi.json", "/metrics")


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """A real server over a small demo city; yields its URL and the owner's login."""
    base = Settings(_env_file=None, security=fast_security())
    settings = demo_settings(base, database=tmp_path / "demo.db", host="127.0.0.1", port=8000)
    services, result = build_demo(settings, scale=1, console=Console(quiet=True), people=20)
    try:
        with serving(create_app(settings, services)) as url:
            yield url, result.admin.username, result.admin.password
    finally:
        services.engine.dispose()


@pytest.mark.browser
def test_the_web_ui_trips_no_policy(demo_server: tuple[str, str, str], page: Page) -> None:
    """Log in and visit one page of each kind the menus and lists link to; axe-core
    checks each one (WCAG 2.1 A/AA), and the overview again in English."""
    url, username, password = demo_server
    seen = watch(page, url)
    page.goto(f"{url}/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("navigation", name="Huvudmeny")).to_be_visible()

    queue: list[str] = ["/"]
    kinds: set[str] = set()
    visited: list[str] = []
    inaccessible: list[str] = []
    while queue and len(visited) < 40:
        path = queue.pop(0)
        kind = _ID.sub("N", urlsplit(path).path)
        if kind in kinds or path.startswith(_SKIP):
            continue
        kinds.add(kind)
        probe = page.request.get(f"{url}{path}")
        if not probe.headers.get("content-type", "").startswith("text/html"):
            continue  # a download (CSV, PDF)
        response = page.goto(f"{url}{path}")
        assert response is not None
        assert_secured(response.headers, hsts=False)
        visited.append(path)
        inaccessible.extend(f"{path}: {line}" for line in accessibility_violations(page))
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        queue.extend(h for h in hrefs if h.startswith("/") and not h.startswith("//"))
    page.goto(f"{url}/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    inaccessible.extend(f"/ (English): {line}" for line in accessibility_violations(page))
    assert len(visited) >= 20, visited
    assert seen.violations == [], visited
    assert seen.foreign == []
    assert inaccessible == [], "axe-core (WCAG 2.1 A/AA):\n" + "\n".join(inaccessible)
