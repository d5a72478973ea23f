"""A night's burglary alarm end to end, in Debian's chromium (issue 10, point 15).

A simulated panel sends a burglary alarm over TCP to a real DC-09 receiver; it appears
in two operators' live queues; Ada opens and claims it and Bo sees it claimed; Ada does
the plan's steps and dispatches the guard, who accepts and reports arrival on the phone
page; Ada closes it as a real alarm and the statistics show it. Once with one server
(each backend), once with the operators on two ``stadsvakt serve`` processes over one
PostgreSQL database.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect
from sqlalchemy import select

from stadsvakt.app import create_app
from stadsvakt.centre.models import Activation, ActivationState, Cause
from stadsvakt.centre.units.models import Dispatch
from tests.browser import assert_accessible, shot
from tests.centre.e2e.world import (
    CALL_STEP,
    DISPATCH_STEP,
    GUARD_CALL_SIGN,
    KEYHOLDER,
    Login,
    Night,
    night,
    panel_receiver,
    send_burglary,
)
from tests.centre.live.test_processes import _serving
from tests.centre.live.world import committed_database
from tests.live import serving

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PHONE: ViewportSize = {"width": 360, "height": 740}
DESK: ViewportSize = {"width": 1280, "height": 900}
CLOSE_NOTE = "Krossad ruta på baksidan; väktaren säkrade fastigheten."


@dataclass(frozen=True)
class Servers:
    """Where each browser goes: operator Ada's and the guard's server, and Bo's."""

    ada: str
    bo: str


@contextmanager
def _context(chromium: Browser, viewport: ViewportSize) -> Iterator[BrowserContext]:
    """A context of its own preferring Swedish, with the limits of ``tests.browser.page``."""
    context = chromium.new_context(locale="sv-SE", viewport=viewport)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(30_000)
    try:
        yield context
    finally:
        context.close()


def _log_in(page: Page, base: str, who: Login, path: str) -> None:
    page.goto(f"{base}/login?next={path}")
    page.get_by_label("Användarnamn").fill(who.username)
    page.get_by_label("Lösenord").fill(who.password)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{base}{path}")


def _open_queue(page: Page, base: str, who: Login) -> None:
    _log_in(page, base, who, "/centre")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kö")
    expect(page.locator("#queue-connection")).to_have_text("Direktuppdaterad")
    expect(page.get_by_text("Inga öppna aktiveringar.")).to_be_visible()


def _mark_done(page: Page, step: int, outcome: str, note: str) -> None:
    """Record a step of the plan panel as done, as an operator fills its form."""
    page.get_by_label(f"Utfall för steg {step}").select_option(outcome)
    page.get_by_label(f"Anteckning till steg {step}").fill(note)
    page.get_by_role("button", name=f"Markera som utfört (steg {step})").click()
    expect(page.locator(f"#plan-step-{step}")).to_contain_text("Utfört")
    expect(page.locator(f"#plan-step-{step}")).to_contain_text(note)


def _operator_flow(chromium: Browser, ada_page: Page, made: Night, servers: Servers) -> None:
    """The whole flow, from the panel's frame to the statistics (both tests)."""
    with (
        panel_receiver(made) as receiver,
        _context(chromium, DESK) as bo_context,
        _context(chromium, PHONE) as phone_context,
    ):
        ada, bo, phone = ada_page, bo_context.new_page(), phone_context.new_page()

        # Both operators watch the queue; the guard's phone has nothing to do yet.
        _open_queue(ada, servers.ada, made.ada)
        _open_queue(bo, servers.bo, made.bo)
        assert_accessible(ada)
        _log_in(phone, servers.ada, made.guard, "/centre/unit")
        expect(phone.get_by_role("heading", level=1)).to_contain_text(GUARD_CALL_SIGN)
        expect(phone.get_by_text("Inget uppdrag just nu.")).to_be_visible()
        assert_accessible(phone)

        # The panel's burglary alarm is acknowledged only once it is stored and queued ...
        reply = send_burglary(receiver, made.account)
        assert re.search(rb'"ACK"', reply), reply
        # ... and reaches both queues without a reload.
        for page in (ada, bo):
            rows = page.locator("#queue-rows tr")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text("Inbrottslarm")
            expect(rows.first).to_contain_text(made.site_name)
            expect(page.locator("#queue-count")).to_have_text("1")
            expect(page.get_by_text("Inga öppna aktiveringar.")).to_be_hidden()
        assert_accessible(bo)

        # Ada opens it from the keyboard and claims it with c.
        ada.locator("body").press("j")
        expect(ada.locator("#queue-rows tr").first.get_by_role("link")).to_be_focused()
        ada.keyboard.press("Enter")
        ada.wait_for_url(re.compile(r"/centre/activations/[0-9a-f-]{36}$"))
        activation_url = ada.url
        expect(ada.get_by_role("heading", name="Händelseförlopp")).to_be_visible()
        expect(ada.locator("#activation-state")).to_contain_text("Väntar")
        assert_accessible(ada)
        ada.locator("body").click(position={"x": 1, "y": 1})  # nothing focused
        ada.keyboard.press("c")
        expect(ada.locator("#done")).to_have_text("Du har tagit larmet.")
        expect(ada.locator("#activation-holder")).to_contain_text(f"{made.ada.name} (du)")

        # Bo's queue shows who has it, live.
        expect(bo.locator("#queue-rows tr").first).to_contain_text(f"Hanteras av {made.ada.name}")

        # The plan: call the keyholder (mandatory), then send a guard.
        plan = ada.get_by_role("region", name="Åtgärdsplan")
        expect(plan.locator("#plan-step-1")).to_contain_text(CALL_STEP)
        expect(plan.locator("#plan-step-1")).to_contain_text(KEYHOLDER)  # callable now
        expect(plan.locator("#plan-step-2")).to_contain_text(DISPATCH_STEP)
        _mark_done(ada, 1, "reached", "Karin kommer med nycklarna")

        dispatch = ada.get_by_role("region", name="Fältenheter")
        dispatch.get_by_role("button", name=f"Larma ut {GUARD_CALL_SIGN}").click()
        expect(ada.get_by_role("status").filter(has_text="Enheten är utlarmad.")).to_be_visible()
        dispatched = ada.get_by_role("table", name="Utlarmningar för larmet")
        expect(dispatched).to_contain_text(GUARD_CALL_SIGN)
        assert_accessible(ada)
        _mark_done(ada, 2, "done", f"{GUARD_CALL_SIGN} utlarmad")

        # The guard's phone shows the assignment by itself: accept, then arrive.
        expect(phone.get_by_role("heading", name="Uppdrag")).to_be_visible()
        expect(phone.get_by_text(made.site_street)).to_be_visible()
        expect(phone.locator(".job-what")).to_have_text("Inbrottslarm")  # not the raw code text
        assert_accessible(phone)
        phone.get_by_role("button", name="Acceptera").click()
        expect(phone.get_by_role("status").filter(has_text="Accepterat.")).to_be_visible()
        phone.get_by_role("button", name="Jag är framme").click()
        expect(phone.get_by_role("status").filter(has_text="Ankomst rapporterad.")).to_be_visible()
        expect(phone.get_by_role("button", name="Avsluta")).to_be_visible()
        assert_accessible(phone)
        wide = phone.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= PHONE["width"], f"the phone page is {wide} px wide"

        # Ada's page says the activation changed (the guard acted); she shows the latest,
        # sees the guard on site with the response time, and closes it as real.
        expect(ada.locator("#activation-changed")).to_be_visible()
        ada.get_by_role("link", name="Visa det senaste").click()
        row = dispatched.get_by_role("row").filter(has_text=GUARD_CALL_SIGN)
        expect(row).to_contain_text("På plats")
        expect(row).to_contain_text(re.compile(r"\d+ min \d+ s"))
        close = ada.get_by_role("form", name="Avsluta med orsak")
        close.get_by_label("Verkligt larm").check()
        close.get_by_label("Anteckning").fill(CLOSE_NOTE)
        close.get_by_role("button", name="Avsluta larmet").click()
        expect(ada.locator("#done")).to_contain_text("Larmet är avslutat.")
        expect(ada.locator("#activation-state")).to_contain_text("Avslutat")
        expect(ada.locator("#activation-state")).to_contain_text("Verkligt larm")
        assert_accessible(ada)
        shot(ada, "e2e-closed")

        # It leaves Bo's queue, live.
        expect(bo.locator("#queue-rows tr")).to_have_count(0)
        expect(bo.get_by_text("Inga öppna aktiveringar.")).to_be_visible()

        # The statistics count it: one intrusion activation, one guard's response time.
        ada.goto(f"{servers.ada}/centre/statistics")
        expect(ada.get_by_role("heading", level=1)).to_have_text("Statistik")
        expect(ada.get_by_role("status").first).to_contain_text(": 1 aktivering.")
        per_day = "Aktiveringar per kategori och dag"
        ada.get_by_text(f"Visa som tabell: {per_day}").click()
        days = ada.get_by_role("table", name=per_day)
        expect(days.get_by_role("columnheader")).to_have_text(["Dag", "Inbrottslarm", "Totalt"])
        today = datetime.now(STOCKHOLM).date().isoformat()
        expect(days.get_by_role("row", name=today).get_by_role("cell")).to_have_text(["1", "1"])
        response = "Inställelsetider per enhetstyp"
        ada.get_by_text(f"Visa som tabell: {response}").click()
        times = ada.get_by_role("table", name=response)
        expect(times.locator("tbody tr")).to_have_count(1)
        expect(times.locator("tbody tr th")).to_have_text("Väktare")
        expect(times.locator("tbody tr td").nth(0)).to_have_text("1")  # dispatched
        expect(times.locator("tbody tr td").nth(1)).to_have_text("1")  # arrived
        assert_accessible(ada)
        shot(ada, "e2e-statistics")

    _check_stored(made, uuid.UUID(activation_url.rsplit("/", 1)[1]))


def _check_stored(made: Night, activation_id: uuid.UUID) -> None:
    """What the flow left in the database: closed as real, by Ada, the guard arrived."""
    with made.services.session_factory() as session:
        activation = session.get_one(Activation, activation_id)
        assert activation.state is ActivationState.CLOSED
        assert (activation.cause, activation.close_note) == (Cause.REAL, CLOSE_NOTE)
        assert activation.claimed_by_name == made.ada.name
        [job] = session.scalars(select(Dispatch).where(Dispatch.activation_id == activation_id))
        assert job.accepted_at is not None and job.arrived_at is not None
        assert job.response_s is not None and job.response_s >= 0


@pytest.mark.browser
def test_a_burglary_alarm_from_panel_to_statistics(
    backend: str, tmp_path: Path, chromium: Browser, page: Page
) -> None:
    with committed_database(backend, tmp_path) as url, night(url) as made:
        app = create_app(made.live.settings, made.services)
        with serving(app, lifespan=True) as base:
            _operator_flow(chromium, page, made, Servers(ada=base, bo=base))


@pytest.mark.slow
@pytest.mark.browser
def test_the_operators_on_two_serve_processes_over_postgresql(
    backend: str,
    tmp_path: Path,
    chromium: Browser,
    page: Page,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if backend != "postgresql":
        pytest.skip("several processes share a PostgreSQL database")
    # The browsers speak plain http to the processes: their cookies must not be Secure.
    monkeypatch.setenv("STADSVAKT_SECURITY__COOKIE_SECURE", "false")
    # The test's cheap hashing, as in ``live_settings``: a login then never rehashes the
    # password with production's costly parameters.
    monkeypatch.setenv("STADSVAKT_SECURITY__ARGON2_TIME_COST", "1")
    monkeypatch.setenv("STADSVAKT_SECURITY__ARGON2_MEMORY_KIB", "1024")
    with committed_database(backend, tmp_path) as url, night(url) as made:
        with _serving(made.live, tmp_path, 2) as [(_, first), (_, second)]:
            _operator_flow(chromium, page, made, Servers(ada=first, bo=second))
