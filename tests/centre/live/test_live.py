"""The live queue end to end, against a real server over a committed database: an alarm
stored by a panel reaches an SSE client and an operator's browser without a reload."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Transmitter
from stadsvakt.app import create_app
from stadsvakt.centre import feed
from stadsvakt.centre.models import Activation, ActivationState
from stadsvakt.db import unit_of_work
from tests import factories_alarms as fa
from tests.browser import assert_accessible, shot
from tests.centre.live.helpers import change, parse, until
from tests.centre.live.world import World, committed_database, world
from tests.live import serving

STREAM = "/api/v1/centre/stream"


@dataclass
class Served:
    """A committed world and the URL of a real server over it."""

    world: World
    url: str


@pytest.fixture(scope="module")
def served(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server per module and backend, with its lifespan (so the follower runs)."""
    directory = tmp_path_factory.mktemp("live")
    with committed_database(backend, directory) as url, world(url) as made:
        app = create_app(made.settings, made.services)
        with serving(app, lifespan=True) as base:
            yield Served(made, base)


_sequences = iter(range(100, 100_000))


def _panel_alarm(live: World, events: str) -> None:
    """A panel's alarm stored and committed as the DC-09 receiver stores it."""
    with unit_of_work(live.services.session_factory) as session:
        fa.alarm(
            session,
            session.get_one(Transmitter, live.transmitter_id),
            events,
            sequence=next(_sequences),
        )


def _empty_queue(live: World) -> None:
    """Close whatever an earlier test of the module left open."""
    with unit_of_work(live.services.session_factory) as session:
        left = session.scalars(select(Activation).where(Activation.state != "closed")).all()
        for activation in left:
            change(session, activation, feed.CLOSED, state=ActivationState.CLOSED)


def test_an_alarm_reaches_a_connected_stream(served: Served) -> None:
    live = served.world
    with httpx.Client(base_url=served.url, headers=live.operator, timeout=30) as client:
        with client.stream("GET", STREAM) as response:
            assert response.status_code == 200
            events = parse(response.iter_lines())
            [ready] = until(events, "ready")
            _panel_alarm(live, "Nri1/FA01")
            [new] = until(events, "new")
    assert new.seq == ready.seq + 1
    assert new.json["category"] == "fire"
    assert new.json["priority"] == 1
    assert new.json["site"]["id"] == str(live.site_id)


def _open_fire(session: Session) -> Activation:
    query = select(Activation).where(Activation.category == "fire", Activation.state != "closed")
    return session.scalars(query).one()


@pytest.mark.browser
def test_the_console_shows_a_new_alarm_without_a_reload(served: Served, page: Page) -> None:
    live = served.world
    _empty_queue(live)
    page.goto(f"{served.url}/centre")
    page.get_by_label("Användarnamn").fill(live.username)
    page.get_by_label("Lösenord").fill(live.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kö")
    expect(page.locator("#queue")).to_have_attribute("data-live", "true")
    expect(page.locator("#queue-connection")).to_have_text("Direktuppdaterad")
    assert_accessible(page)

    _panel_alarm(live, "Nri1/BA02")  # intrusion: priority 4
    _panel_alarm(live, "Nri1/FA01")  # fire: priority 1, above it
    rows = page.locator("#queue-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Brandlarm")
    expect(rows.nth(1)).to_contain_text("Inbrottslarm")
    expect(page.locator("#queue-count")).to_have_text("2")
    expect(page.locator("#queue-empty")).to_be_hidden()
    # The fire is announced to a screen reader; times are Swedish time with the zone.
    expect(page.locator("#queue-announcer")).to_contain_text("prioritet 1")
    expect(rows.nth(0).locator("time")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T$")
    )
    # Only what applies is shown: the fire is neither confirmed nor restored.
    expect(rows.nth(0).get_by_text("Bekräftat larm")).to_be_hidden()

    # Keyboard: j moves to the first row, j again to the second, k back.
    page.locator("body").press("j")
    expect(rows.nth(0).locator("a")).to_be_focused()
    page.keyboard.press("j")
    expect(rows.nth(1).locator("a")).to_be_focused()
    page.keyboard.press("k")
    expect(rows.nth(0).locator("a")).to_be_focused()
    # m mutes, remembered; ? shows the shortcuts.
    mute = page.get_by_role("button", name="Stäng av ljud")
    expect(mute).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("m")
    expect(mute).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("localStorage.getItem('stadsvakt.console.muted')") == "1"
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-dialog")).to_be_visible()
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts-dialog")).to_be_hidden()

    # Claimed elsewhere: the row shows who holds it; closed: it leaves the queue.
    with unit_of_work(live.services.session_factory) as session:
        fire = _open_fire(session)
        change(session, fire, feed.CLAIMED, state=ActivationState.CLAIMED, claimed_by="Ada L")
    expect(rows.nth(0)).to_contain_text("Hanteras av Ada L")
    with unit_of_work(live.services.session_factory) as session:
        fire = _open_fire(session)
        change(session, fire, feed.CLOSED, state=ActivationState.CLOSED)
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Inbrott")
    shot(page, "centre-queue")
    assert_accessible(page)
    # Hang up the stream before the server stops (it waits for open responses).
    page.goto("about:blank")
