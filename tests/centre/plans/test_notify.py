"""Notify steps: e-mail really sent to a local SMTP server (aiosmtpd), SMS kept by the
demo notifier and shown on /centre/sms, the manager notified at once when an operator
first opens the activation, and a failure shown on the step, never a broken page."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.centre import contacts
from stadsvakt.centre.models import Activation, ActivationEntry
from stadsvakt.centre.notify import NOT_CONFIGURED, SEND_FAILED, notifier_for
from stadsvakt.centre.plans import service
from stadsvakt.centre.plans.models import SentSms
from stadsvakt.centre.plans.schemas import ContactIn
from stadsvakt.centre.plans.steps import ContactRole
from stadsvakt.context import acting_as
from stadsvakt.settings import CentreSettings
from tests import factories_alarms as fa
from tests.centre.plans.conftest import Centre, activation, logged_in, plan
from tests.web.conftest import csrf_of


class _Inbox:
    """An aiosmtpd handler that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    """A local SMTP server on a free port, and what it received."""
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _contacts(session: Session, centre: Centre) -> None:
    actor = centre.admin.actor
    with acting_as(actor):
        for data in (
            ContactIn(name="Karin Ek", role=ContactRole.KEYHOLDER, email="karin@example.se"),
            ContactIn(
                name="Maria Chef",
                role=ContactRole.MANAGER,
                phone="070-333 33 33",
                email="maria@example.se",
            ),
        ):
            contacts.create_contact(session, actor, centre.site.id, data)


def test_an_email_step_is_sent_over_smtp(
    session: Session, centre: Centre, smtp: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp
    _contacts(session, centre)
    plan(
        session,
        centre.admin.actor,
        {"kind": "notify", "instruction": "Mejla nyckelhållaren", "roles": ["keyholder"]},
    )
    row = activation(session, centre.tenant, centre.site, title="Inbrottslarm zon 3")
    settings = CentreSettings(notify_smtp_host="127.0.0.1", notify_smtp_port=port)
    operator = centre.operator.actor
    with acting_as(operator):
        sent = service.send_step(session, operator, row.id, 0, notifier_for(settings, session))
    assert sent.ok and sent.entry.kind == "step_done"
    assert sent.entry.data["outcome"] == "sent" and sent.entry.data["to"] == ["karin@example.se"]
    assert len(inbox.messages) == 1
    recipients, raw = inbox.messages[0]
    assert recipients == ["karin@example.se"]
    message = message_from_bytes(raw)
    assert str(make_header(decode_header(message["Subject"]))) == "Alarm: Inbrottslarm zon 3"
    assert centre.site.name in message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert row.version == 2


def test_a_failed_send_is_logged_and_shown_not_raised(
    client: TestClient, session: Session, centre: Centre
) -> None:
    _contacts(session, centre)
    plan(session, centre.admin.actor, {"kind": "notify", "instruction": "Mejla", "mandatory": True})
    row = activation(session, centre.tenant, centre.site)
    operator = centre.operator.actor
    closed_port = CentreSettings(notify_smtp_host="127.0.0.1", notify_smtp_port=_free_port())
    with acting_as(operator):
        down = service.send_step(session, operator, row.id, 0, notifier_for(closed_port, session))
        nowhere = service.send_step(
            session, operator, row.id, 0, notifier_for(CentreSettings(), session)
        )
    assert not down.ok and down.entry.kind == "step_failed"
    assert down.entry.data["code"] == SEND_FAILED and down.entry.data["detail"]
    assert nowhere.entry.data["code"] == NOT_CONFIGURED
    assert service.close_guard(session, row) == ["Mejla"]  # a failed send is not done
    page = logged_in(client, centre.operator).get(f"/centre/activations/{row.id}/plan")
    assert page.status_code == 200
    assert "Misslyckades" in page.text and "Utskick är inte konfigurerat." in page.text
    assert "Skicka igen" in page.text


def test_sms_demo_notifier_shows_the_message_on_the_sms_page(
    client: TestClient, session: Session, centre: Centre
) -> None:
    plan(
        session,
        centre.admin.actor,
        {
            "kind": "notify",
            "instruction": "SMS till jouren",
            "channel": "sms",
            "recipients": "070-123 45 67",
            "message": "Brandlarm på Storgatan, kom direkt",
        },
    )
    row = activation(session, centre.tenant, centre.site)
    browser = logged_in(client, centre.operator)
    url = f"/centre/activations/{row.id}/plan"
    page = browser.get(url)
    sent = browser.post(
        f"{url}/steps/1/send",
        data={"csrf_token": csrf_of(page.text), "next": url},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert "Skickat" in browser.get(url).text
    sms = browser.get("/centre/sms")
    assert sms.status_code == 200
    assert "070-123 45 67" in sms.text and "Brandlarm på Storgatan, kom direkt" in sms.text
    outsider = logged_in(TestClient(client.app, base_url="https://testserver"), centre.other_admin)
    assert "Brandlarm på Storgatan" not in outsider.get("/centre/sms").text


def test_the_manager_is_notified_at_once_when_an_operator_opens_the_activation(
    client: TestClient, session: Session, centre: Centre
) -> None:
    _contacts(session, centre)
    plan(
        session,
        centre.admin.actor,
        {"kind": "notify_manager_parallel", "instruction": "Chefen får SMS", "channel": "sms"},
        {"kind": "call", "instruction": "Ring brukaren", "mandatory": True},
        category="social",
    )
    row = activation(session, centre.tenant, centre.site, category="social", title="Trygghetslarm")
    browser = logged_in(client, centre.operator)
    url = f"/centre/activations/{row.id}/plan"
    first = browser.get(url)
    assert first.status_code == 200
    browser.get(url)  # a second look sends nothing more
    messages = session.execute(select(SentSms).where(SentSms.activation_id == row.id)).scalars()
    assert [(m.recipient, m.sender_name) for m in messages] == [("070-333 33 33", "stadsvakt")]
    entries = session.execute(
        select(ActivationEntry).where(
            ActivationEntry.activation_id == row.id, ActivationEntry.kind == "step_done"
        )
    ).scalars()
    assert [e.data["step"] for e in entries] == [0]


def test_a_notice_names_the_event_in_swedish_from_the_code_tables(
    client: TestClient, session: Session, services: Services, centre: Centre
) -> None:
    _contacts(session, centre)
    plan(
        session,
        centre.admin.actor,
        {"kind": "notify_manager_parallel", "instruction": "Chefen får SMS", "channel": "sms"},
        category="intrusion",
    )
    panel = fa.transmitter(session, services.box, centre.tenant, centre.site)
    fa.alarm(session, panel, "Nri1/BA01")  # stored as "Burglary alarm", code BA
    made = session.scalars(select(Activation).where(Activation.site_id == centre.site.id)).one()
    browser = logged_in(client, centre.operator)
    assert browser.get(f"/centre/activations/{made.id}/plan").status_code == 200
    sms = session.scalars(select(SentSms).where(SentSms.activation_id == made.id)).one()
    assert sms.text.startswith("Larm: Inbrottslarm") and "Burglary" not in sms.text
