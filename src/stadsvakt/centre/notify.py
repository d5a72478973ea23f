"""Notifiers: how an action plan's notify steps reach people, by e-mail or SMS.

A :class:`Notifier` sends e-mail and SMS. E-mail goes over SMTP with the standard
library (:class:`SmtpEmail`, settings ``centre.notify_smtp_*``). SMS goes through a
pluggable sender chosen by ``centre.notify_sms``: ``demo`` (:class:`DemoSms`) keeps each
message in the ``sent_sms`` table, shown on ``/centre/sms``, so the demo and the tests
see what would have been sent; ``none`` refuses; an installation adds a real gateway
with :func:`register_sms`. Every failure is a :class:`NotifyError` with a code the UI
translates and a technical detail; the caller logs it on the activation's timeline and
never lets it break a page.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

from sqlalchemy.orm import Session

from stadsvakt.centre.plans.models import SentSms
from stadsvakt.db import utcnow
from stadsvakt.settings import CentreSettings

#: Failure codes (the UI shows each in the operator's language).
NOT_CONFIGURED = "not_configured"
NO_RECIPIENTS = "no_recipients"
SEND_FAILED = "send_failed"


class NotifyError(Exception):
    """A notice could not be sent: ``code`` says why, ``detail`` is the technical reason."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail[:500]


@dataclass(frozen=True, slots=True)
class About:
    """What a notice is about and who sends it (kept with the demo's messages)."""

    tenant_id: uuid.UUID
    activation_id: uuid.UUID | None = None
    sender_name: str = ""


class EmailSender(Protocol):
    """Sends one e-mail, or raises :class:`NotifyError`."""

    def send_email(self, to: Sequence[str], subject: str, body: str) -> None: ...


class SmsSender(Protocol):
    """Sends one SMS, or raises :class:`NotifyError`."""

    def send_sms(self, to: str, text: str, about: About) -> None: ...


class Notifier(Protocol):
    """Sends the notices of an action plan's steps."""

    def send_email(self, to: Sequence[str], subject: str, body: str) -> None: ...

    def send_sms(self, to: str, text: str, about: About) -> None: ...


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


class SmtpEmail:
    """E-mail over SMTP (``smtplib``), with STARTTLS and a login when configured."""

    def __init__(self, settings: CentreSettings) -> None:
        self.settings = settings

    def send_email(self, to: Sequence[str], subject: str, body: str) -> None:
        """Send one message to every address in ``to``."""
        s = self.settings
        if not s.notify_smtp_host:
            raise NotifyError(NOT_CONFIGURED, "centre.notify_smtp_host is empty")
        if not to:
            raise NotifyError(NO_RECIPIENTS)
        message = EmailMessage()
        message["From"] = s.notify_smtp_from
        message["To"] = ", ".join(_one_line(address) for address in to)
        message["Subject"] = _one_line(subject)
        message["Message-ID"] = make_msgid(domain="stadsvakt")
        message.set_content(body)
        try:
            with smtplib.SMTP(
                s.notify_smtp_host, s.notify_smtp_port, timeout=s.notify_smtp_timeout_s
            ) as smtp:
                if s.notify_smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.notify_smtp_username:
                    smtp.login(s.notify_smtp_username, s.notify_smtp_password.get_secret_value())
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            raise NotifyError(SEND_FAILED, f"{type(exc).__name__}: {exc}") from exc


class DemoSms:
    """Keeps each SMS in the ``sent_sms`` table instead of sending it (demo and tests)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def send_sms(self, to: str, text: str, about: About) -> None:
        """Store the message, in the caller's transaction."""
        if not to.strip():
            raise NotifyError(NO_RECIPIENTS)
        self.session.add(
            SentSms(
                id=uuid.uuid4(),
                tenant_id=about.tenant_id,
                recipient=to.strip()[:40],
                text=text[:1000],
                sent_at=utcnow(),
                activation_id=about.activation_id,
                sender_name=about.sender_name[:200],
            )
        )
        self.session.flush()


class NoSms:
    """Refuses every SMS: none is configured."""

    def send_sms(self, to: str, text: str, about: About) -> None:
        """Always fails."""
        raise NotifyError(NOT_CONFIGURED, "centre.notify_sms is none")


SmsFactory = Callable[[CentreSettings, Session], SmsSender]
_sms: dict[str, SmsFactory] = {
    "demo": lambda _settings, session: DemoSms(session),
    "none": lambda _settings, _session: NoSms(),
}


def register_sms(name: str, factory: SmsFactory) -> None:
    """Offer another SMS sender (a gateway) under ``name`` for ``centre.notify_sms``."""
    _sms[name] = factory


@dataclass(frozen=True, slots=True)
class Notifiers:
    """A :class:`Notifier` of one e-mail and one SMS sender."""

    email: EmailSender
    sms: SmsSender

    def send_email(self, to: Sequence[str], subject: str, body: str) -> None:
        """Send an e-mail."""
        self.email.send_email(to, subject, body)

    def send_sms(self, to: str, text: str, about: About) -> None:
        """Send an SMS."""
        self.sms.send_sms(to, text, about)


def notifier_for(settings: CentreSettings, session: Session) -> Notifier:
    """The configured notifier for one unit of work (the demo SMS writes to ``session``)."""
    factory = _sms.get(settings.notify_sms)
    sms: SmsSender = NoSms() if factory is None else factory(settings, session)
    return Notifiers(SmtpEmail(settings), sms)
