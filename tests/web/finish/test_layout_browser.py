"""Fit and finish in a real chromium over the demo city (issue 11, point 12): checkboxes
and radio buttons beside their labels, a 60-character e-mail address inside its card on a
phone and a desktop, sub-navigation drawn as navigation with the current tab marked, and
the favicon; axe-core finds nothing on any page touched."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from stadsvakt.app import create_app
from stadsvakt.centre.models import Activation, ActivationState
from stadsvakt.db import unit_of_work
from stadsvakt.directory.models import Person
from tests.browser import assert_accessible
from tests.live import serving
from tests.web.finish.conftest import Demo

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: 60 characters: longer than a phone's card is wide, with no place to break but the dots.
LONG_EMAIL = "anna-karin.lindqvist-johansson.forvaltning@sundbykommun.se"[:60]


@pytest.fixture(scope="module")
def served(demo: Demo) -> Iterator[tuple[str, str]]:
    """The demo served over HTTP; yields (URL, id of a person with a long e-mail)."""
    with unit_of_work(demo.services.session_factory) as session:
        example = demo.result.example
        person = session.scalars(
            select(Person)
            .where(Person.active.is_(True), Person.employee_number.is_not(None))
            .where(Person.id != (example.person_id if example else None))
            .order_by(Person.employee_number)
        ).first()
        assert person is not None
        person.email = LONG_EMAIL
        person_id = str(person.id)
    app = create_app(demo.settings, demo.services)
    with serving(app) as url:
        yield url, person_id


def _log_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    expect(
        page.get_by_role("link", name="Logga ut")
        .or_(page.get_by_role("button", name="Logga ut"))
        .first
    ).to_be_visible()


def _login_of(demo: Demo, role: str) -> tuple[str, str]:
    found = next(c for c in demo.result.credentials if c.role == role)
    return found.username, found.password


def _box(locator: Locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, locator
    return {"x": box["x"], "y": box["y"], "width": box["width"], "height": box["height"]}


def _beside(control: Locator, label: Locator) -> None:
    """The control is left of its label, on the label's first line."""
    mark, text = _box(control), _box(label)
    assert mark["x"] + mark["width"] <= text["x"] + 1, (mark, text)
    middle = mark["y"] + mark["height"] / 2
    assert text["y"] <= middle <= text["y"] + min(text["height"], 2 * mark["height"]), (mark, text)


def test_a_checkbox_sits_beside_its_label(demo: Demo, served: tuple[str, str], page: Page) -> None:
    url, person_id = served
    _log_in(page, url, *_login_of(demo, "system_owner"))
    page.goto(f"{url}/people/{person_id}")
    box = page.locator("#f-extended_unlock")
    expect(box).to_be_visible()
    _beside(box, page.locator("label[for='f-extended_unlock']"))
    # The hint is under the label, not under the box.
    hint, label = (
        _box(page.locator("#f-extended_unlock-hint")),
        _box(page.locator("label[for='f-extended_unlock']")),
    )
    assert abs(hint["x"] - label["x"]) <= 1 and hint["y"] >= label["y"] + label["height"] - 1
    assert_accessible(page)


def test_radio_buttons_sit_beside_their_labels(
    demo: Demo, served: tuple[str, str], page: Page
) -> None:
    url, _ = served
    with unit_of_work(demo.services.session_factory) as session:
        activation = session.scalars(
            select(Activation).where(Activation.state == ActivationState.OPEN)
        ).first()
        assert activation is not None, "the demo has activations going on now"
        activation_id = activation.id
    _log_in(page, url, *_login_of(demo, "operator"))
    page.goto(f"{url}/centre/activations/{activation_id}")
    page.locator("#action-claim").click()
    radios = page.locator("input[type='radio'][name='cause']")
    expect(radios.first).to_be_visible()
    assert radios.count() >= 3
    for index in range(radios.count()):
        radio = radios.nth(index)
        _beside(radio, page.locator(f"label[for='{radio.get_attribute('id')}']"))
    assert_accessible(page)


def _overflowing(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(
        """() => [...document.querySelectorAll('.card, .details dd')]
            .filter((el) => el.scrollWidth > el.clientWidth + 1)
            .map((el) => ({cls: el.className, scroll: el.scrollWidth, client: el.clientWidth}))"""
    )
    return found


def _wider_than(page: Page, width: int) -> list[str]:
    """The outermost elements whose right edge passes ``width`` (ignoring what scrolls
    inside a scrolling region, such as a wide table)."""
    found: list[str] = page.evaluate(
        """(width) => [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > width + 1)
            .filter((el) => !el.closest('.table-wrap, [tabindex][role=region]')
                || el.matches('.table-wrap, [tabindex][role=region]'))
            .filter((el) => !el.parentElement
                || el.parentElement.getBoundingClientRect().right <= width + 1)
            .map((el) => `${el.tagName.toLowerCase()}.${el.className}`
                + ` ${Math.round(el.getBoundingClientRect().right)}`)""",
        width,
    )
    return found


@pytest.mark.parametrize("width", [360, 1280])
def test_a_long_email_stays_inside_its_card(
    demo: Demo, served: tuple[str, str], page: Page, width: int
) -> None:
    url, person_id = served
    page.set_viewport_size({"width": width, "height": 800})
    _log_in(page, url, *_login_of(demo, "system_owner"))
    page.goto(f"{url}/people/{person_id}")
    link = page.get_by_role("link", name=LONG_EMAIL)
    expect(link).to_be_visible()
    assert _overflowing(page) == []
    card = _box(page.locator("section.card", has=link))
    for line in link.evaluate("(a) => [...a.getClientRects()].map((r) => [r.left, r.right])"):
        assert card["x"] <= line[0] and line[1] <= card["x"] + card["width"], (line, card)
    # Nothing on the page reaches past the window's right edge: it never scrolls sideways.
    assert _wider_than(page, width) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert_accessible(page)


@pytest.mark.parametrize(
    ("path", "current"),
    [("/access/places", "Zoner och dörrar"), ("/access/schedules", "Scheman"), ("/reports", None)],
)
def test_sub_navigation_is_a_row_of_tabs_with_the_current_one_marked(
    demo: Demo, served: tuple[str, str], page: Page, path: str, current: str | None
) -> None:
    url, _ = served
    _log_in(page, url, *_login_of(demo, "system_owner"))
    page.goto(f"{url}{path}")
    nav = page.locator("nav.subnav").first
    expect(nav).to_be_visible()
    style = nav.locator("ul").evaluate(
        "(ul) => { const s = getComputedStyle(ul); return [s.display, s.listStyleType]; }"
    )
    assert style == ["flex", "none"]
    tabs = nav.locator("a")
    assert tabs.count() >= 3
    first, second = _box(tabs.nth(0)), _box(tabs.nth(1))
    assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"]  # one row
    marked = nav.locator("a[aria-current='page']")
    assert marked.count() == 1
    if current is not None:
        expect(marked).to_have_text(current)
    assert marked.evaluate("(a) => getComputedStyle(a).boxShadow") != "none"
    assert_accessible(page)


def test_the_favicon_is_linked_and_served(demo: Demo, served: tuple[str, str], page: Page) -> None:
    url, _ = served
    page.goto(f"{url}/login")
    href = page.locator("link[rel='icon']").get_attribute("href")
    assert href is not None and href.endswith(".svg")
    icon = httpx.get(urljoin(f"{url}/", href))
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in icon.content
    ico = httpx.get(f"{url}/favicon.ico")
    assert ico.status_code == 200 and ico.content[:4] == b"\x00\x00\x01\x00"
    assert_accessible(page)
