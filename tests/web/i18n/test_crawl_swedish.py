"""Swedish throughout: every page reachable from the menu, in Swedish, as a system owner
of a filled city, shows no English catalogue text, no raw code and no UTC time.

The crawl starts at the overview, follows every link of the site (menu, sub-navigation,
list rows to detail pages and forms) up to ``LIMIT`` pages, and reads each page's
visible text (text and the ``aria-label``, ``title``, ``placeholder`` and ``alt`` a
screen reader speaks). A text that is a catalogue msgid whose Swedish differs from it
is English that was not translated; a stored code such as ``outside_schedule`` is a
code shown without its label.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from urllib.parse import urldefrag, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.access.decide import Reason
from stadsvakt.access.models import AccessEvent, CredentialState
from stadsvakt.api.deps import Services
from stadsvakt.directory.models import PersonKind
from stadsvakt.web import labels
from stadsvakt.web.i18n import read_catalogues
from tests import factories_access as fac
from tests import factories_alarms as fal
from tests import factories_directory as fd
from tests.web.conftest import City, csrf_of

#: At most this many pages are read (the menu, its lists and a few rows of each).
LIMIT = 150
#: Pages whose owner's fix is pending (issue 11), by path prefix: found problems there
#: are checked by ``test_pending_pages_are_fixed`` (strict xfail), not the main crawl.
PENDING: dict[str, str] = {}
#: Links not to follow: downloads, logout and language switches, the API.
_SKIP = re.compile(r"^/(api|scim|static|logout|language|docs|redoc|openapi)|format=csv")
_TEXT = re.compile(r">([^<>]+)<")
_SPOKEN = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"')
_HREF = re.compile(r'\bhref="([^"]+)"')


@cache
def _english_msgids() -> tuple[frozenset[str], frozenset[str]]:
    """Catalogue msgids whose Swedish text differs: whole texts, and long ones to find
    inside a text."""
    catalogue = read_catalogues("sv")
    whole: set[str] = set()
    for message in catalogue:
        if not isinstance(message.id, str) or not message.id:
            continue
        if message.string and message.string != message.id and "%(" not in message.id:
            whole.add(message.id)
    inside = {m for m in whole if len(m) >= 25 and " " in m}
    return frozenset(whole), frozenset(inside)


@cache
def _codes() -> frozenset[str]:
    """Stored codes with an underscore (``outside_schedule``): never shown as they are."""
    return frozenset(code for group in labels.GROUPS.values() for code in group if "_" in code)


def _visible(page: str) -> list[str]:
    body = page.split("<body", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    # A technical name shown as such beside its words (the audit trail's field and action
    # codes, in class "field-code") is an identifier, not text to translate.
    body = re.sub(r'<span class="field-code[^"]*">[^<]*</span>', " ", body)
    texts = [html.unescape(t) for t in _TEXT.findall(body)] + [
        html.unescape(t) for t in _SPOKEN.findall(body)
    ]
    return [" ".join(t.split()) for t in texts if t.strip()]


def problems_of(page: str) -> list[str]:
    """What on a Swedish page is English, a raw code, or a time in UTC."""
    whole, inside = _english_msgids()
    codes = _codes()
    found = []
    for text in _visible(page):
        if text in whole:
            found.append(f"English: {text!r}")
        found += [f"English in {text[:60]!r}: {m!r}" for m in inside if m in text and m != text]
        found += [f"code {c!r} in {text[:60]!r}" for c in codes if re.search(rf"\b{c}\b", text)]
        if re.search(r"\+00:00|\bUTC\b", text):
            found.append(f"UTC time in {text[:60]!r}")
    return found


def _links(page: str) -> Iterator[str]:
    for href in _HREF.findall(page):
        target = urldefrag(html.unescape(href))[0]
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not target.startswith("/") or _SKIP.search(target):
            continue
        yield target


_SAME_TEXTS = {"sort", "size", "p", "from", "to"}


def _shape(path: str) -> str:
    parts = urlsplit(path)
    # Sorting and paging show the same template and texts: not a shape of their own.
    names = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair} - _SAME_TEXTS)
    return re.sub(r"[0-9a-f-]{36}|/[0-9]+\b", "/{id}", parts.path) + "?" + "&".join(names)


def crawl(client: TestClient, start: str = "/") -> dict[str, list[str]]:
    """Every page reachable from ``start`` (breadth first, one row per list):
    its problems, or its unexpected status."""
    seen: dict[str, list[str]] = {}
    queue: list[str] = [start]
    shapes: dict[str, int] = {}
    while queue and len(seen) < LIMIT:
        path = queue.pop(0)
        if path in seen:
            continue
        # Rows of a list share one template, and so do a list's sort and page links:
        # read one of each shape (path with ids, names of the filters), not all.
        shape = _shape(path)
        shapes[shape] = shapes.get(shape, 0) + 1
        if shapes[shape] > 1:
            continue
        response = client.get(path, headers={"Accept": "text/html"})
        if response.status_code != 200:
            seen[path] = [f"status {response.status_code}"]
            continue
        if not response.headers["content-type"].startswith("text/html"):
            continue
        seen[path] = problems_of(response.text)
        queue += [link for link in _links(response.text) if link not in seen]
    return seen


@pytest.fixture
def filled(session: Session, city: City, services: Services) -> City:
    """A city with people of each kind, their cards, grants, doors, schedules, alarms
    and access decisions, both granted and denied."""
    zone = fac.zone(session, city.city_site)
    door = fac.door(session, zone)
    fac.calendar(session, city.tenant)
    prof = fac.profile(session, city.tenant, [zone], unit=city.unit)
    host = fd.person(session, city.tenant, unit=city.unit, position="Vaktmästare")
    guest = fd.person(session, city.tenant, unit=city.unit, kind=PersonKind.GUEST)
    contractor = fd.person(session, city.tenant, unit=city.unit, kind=PersonKind.CONTRACTOR)
    for who in (host, guest, contractor):
        fac.grant(session, who, prof, host=host, reason="Studiebesök")
    card = fac.card(session, host)
    fac.pin(session, guest)
    fd.credential(session, contractor, state=CredentialState.LOST)
    now = datetime.now(UTC)
    for i, reason in enumerate(Reason):
        session.add(
            AccessEvent(
                tenant_id=city.tenant.id,
                at=now - timedelta(minutes=i),
                door_id=door.id,
                credential=card.identifier,
                credential_id=card.id,
                person_id=host.id,
                granted=reason in {Reason.GRANTED_BY_GRANT, Reason.GRANTED_BY_POSITION},
                reason=reason.value,
            )
        )
    row = fal.transmitter(session, services.box, city.tenant, city.city_site)
    fal.alarm(session, row, "Nri1/FA01", received_at=now - timedelta(hours=1))
    fal.alarm(session, row, "Nri2/BA02", sequence=2)
    session.flush()
    return city


def test_the_checker_finds_english_codes_and_utc() -> None:
    page = (
        '<body><p>Fire</p><td>outside_schedule</td><span title="Search people">x</span>'
        "<p>2026-12-05 22:05:00 UTC</p><p>Personer</p></body>"
    )
    found = problems_of(page)
    assert any("outside_schedule" in p for p in found)
    assert any("UTC" in p for p in found)
    assert problems_of("<body><p>Personer</p><p>Utanför tidsschema</p></body>") == []


def _pending(path: str) -> bool:
    return path.startswith(tuple(PENDING))


def test_every_page_from_the_menu_is_swedish(browser: TestClient, filled: City) -> None:
    pages = crawl(browser)
    assert len(pages) > 40, sorted(pages)
    assert {"/people", "/access/credentials", "/alarms", "/sites"} <= set(pages)
    bad = {path: found for path, found in pages.items() if found and not _pending(path)}
    assert bad == {}


def test_audit_entries_and_the_dashboards_filtered_lists_are_swedish(
    browser: TestClient, filled: City
) -> None:
    audit = browser.get("/audit", headers={"Accept": "text/html"}).text
    paths = [link for link in _links(audit) if re.fullmatch(r"/audit/[0-9]+", link)]
    paths += ["/people?training=missing", "/transmitters?silent=1"]
    bad = {}
    for path in paths:
        response = browser.get(path, headers={"Accept": "text/html"})
        found = problems_of(response.text) if response.status_code == 200 else ["status"]
        if found:
            bad[path] = found
    assert bad == {}


def test_error_pages_are_swedish(browser: TestClient, filled: City) -> None:
    for path, status in (("/no-such-page", 404), ("/people?p=zero", 422)):
        response = browser.get(path, headers={"Accept": "text/html"})
        assert response.status_code == status
        assert problems_of(response.text) == [], path


def test_refused_forms_are_swedish(browser: TestClient, session: Session, filled: City) -> None:
    taken = fd.person(session, filled.tenant, unit=filled.unit, employee_number="T900001")
    form = browser.get("/people/new")
    response = browser.post(
        "/people/new",
        data={
            "csrf_token": csrf_of(form.text),
            "given_name": "Test",
            "family_name": "Testsson",
            "employee_number": taken.employee_number or "",
            "kind": "employee",
            "org_unit_id": str(filled.unit.id),
        },
    )
    assert response.status_code == 422
    assert "används redan" in response.text
    assert problems_of(response.text) == []
