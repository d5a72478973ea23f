"""Logging in: password check with throttling, the TOTP step, and web sessions.

Local accounts are one :class:`IdentityProvider`; an OpenID Connect provider
will be another, handing :func:`start_session` a user it has verified.

A password login runs in three steps (:meth:`LocalPasswordProvider.begin`, ``check``
and ``conclude``) so that the route can commit between them: the attempt counts at
once in every process, and no database lock (SQLite's write lock above all, which the
alarm receivers need) is held while argon2 works. Throttling is in
:mod:`stadsvakt.auth.throttle`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from stadsvakt.audit.service import record
from stadsvakt.auth.models import User, WebSession
from stadsvakt.auth.passwords import HashingBusy, PasswordCheck, Passwords
from stadsvakt.auth.secrets import (
    SecretBox,
    hash_token,
    new_totp_secret,
    random_key,
    totp_step,
    totp_uri,
)
from stadsvakt.auth.service import actor_for_user, needs_totp
from stadsvakt.auth.throttle import Throttle, client_key
from stadsvakt.db import utcnow
from stadsvakt.errors import N_, InvalidInput, Unauthenticated
from stadsvakt.settings import SecuritySettings

#: What a refused login says, whichever check refused it (no hint which one).
_WRONG = N_("Wrong username or password.")


class IdentityProvider(Protocol):
    """Something that turns credentials into a verified stadsvakt user."""

    def authenticate(self, session: Session, username: str, password: str, client: str) -> User:
        """Return the user, or raise Unauthenticated / TooManyAttempts."""
        ...


def next_step(user: User) -> str:
    """What a verified user must still do: ``ok``, ``totp_required`` or
    ``totp_enrollment_required``."""
    if user.totp_enabled:
        return "totp_required"
    if needs_totp(user):
        return "totp_enrollment_required"
    return "ok"


@dataclass(frozen=True, slots=True)
class Attempt:
    """A password login under way; it counts as a failure until its password proves right."""

    username: str
    #: The client address as throttling counts it.
    client: str
    #: The failure row that stands for this attempt until it concludes.
    row_id: int
    user_id: uuid.UUID | None
    #: The hash to check the password against (None: no such account).
    stored: str | None


@dataclass(frozen=True, slots=True)
class LocalPasswordProvider:
    """Username and argon2id password stored in stadsvakt, throttled by
    :class:`~stadsvakt.auth.throttle.Throttle`."""

    passwords: Passwords
    settings: SecuritySettings
    clock: Callable[[], datetime] = utcnow

    @property
    def throttle(self) -> Throttle:
        """The backoff rules this provider applies."""
        return Throttle(self.settings, self.clock)

    def screen(self, reading: Session, username: str, client: str) -> None:
        """Turn an attempt away early, reading only: a name no account can have, a
        backoff in force, or a full hashing pool. A flood of refused attempts then
        takes no write lock (on SQLite the alarm receivers need it); :meth:`begin`
        checks the backoff again under the lock before the attempt counts."""
        if "\x00" in username:
            # No account has such a name, and PostgreSQL cannot even compare one.
            raise Unauthenticated("wrong username or password").said(_WRONG)
        self.throttle.check(reading, username, client_key(client))
        self.passwords.pool.refuse_when_full()

    def begin(self, session: Session, username: str, client: str) -> Attempt:
        """Refuse while a backoff is in force; otherwise record the attempt (as a failure
        until it concludes) and find what to check the password against. No hashing."""
        if "\x00" in username:
            raise Unauthenticated("wrong username or password").said(_WRONG)
        key = client_key(client)
        self.throttle.take_turns(session, username, key)
        self.throttle.check(session, username, key)
        row = self.throttle.failed(session, username, key)
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        return Attempt(
            username=username,
            client=key,
            row_id=row.id,
            user_id=user.id if user else None,
            stored=user.password_hash if user else None,
        )

    def check(self, attempt: Attempt, password: str) -> PasswordCheck:
        """Check the password in the hashing pool (no database work): HashingBusy when full."""
        return self.passwords.check(attempt.stored, password)

    def withdraw(self, session: Session, attempt: Attempt) -> None:
        """The password was never checked (the pool was busy): the attempt does not count."""
        self.throttle.forget(session, attempt.row_id)

    def conclude(self, session: Session, attempt: Attempt, result: PasswordCheck) -> User:
        """Refuse a wrong password (its failure stays counted); otherwise take the
        attempt back and return the user, storing a stronger hash if one was made."""
        # Read afresh (the begin step's copy may be stale after the commit between them):
        # an account deactivated, or a password changed, while this one was being checked
        # does not let the old password in.
        # Read afresh, not the begin step's copy: an account deactivated, or a password
        # changed, while this one was being checked does not let the old password in.
        user = None
        if attempt.user_id is not None:
            user = session.get(User, attempt.user_id, populate_existing=True)
        if user is None or not result.ok or not user.active or user.password_hash != attempt.stored:
            raise Unauthenticated("wrong username or password").said(_WRONG)
        self.throttle.forget(session, attempt.row_id)
        if result.new_hash:
            user.password_hash = result.new_hash
        if next_step(user) == "ok":
            self.throttle.succeeded(session, attempt.username, attempt.client)
        session.flush()
        return user

    def authenticate(self, session: Session, username: str, password: str, client: str) -> User:
        """All three steps in one session (the CLI, tests); routes commit between them."""
        attempt = self.begin(session, username, client)
        try:
            result = self.check(attempt, password)
        except HashingBusy:
            self.withdraw(session, attempt)
            raise
        return self.conclude(session, attempt, result)


@dataclass(frozen=True, slots=True)
class StartedSession:
    """A new web session: the cookie value (shown once) and the stored row."""

    cookie: str
    row: WebSession
    next_step: str  # "ok", "totp_required", "totp_enrollment_required"


def start_session(session: Session, user: User, settings: SecuritySettings) -> StartedSession:
    """Open a web session for a verified user; it is complete unless a second factor is due."""
    cookie = random_key()
    step = next_step(user)
    row = WebSession(
        token_hash=hash_token(cookie),
        user_id=user.id,
        csrf_token=random_key(24),
        complete=step == "ok",
        expires_at=utcnow() + timedelta(hours=settings.session_hours),
        data={},
    )
    session.add(row)
    session.flush()
    if step == "ok":
        record(
            session,
            action="session.login",
            object_type="user",
            object_id=user.id,
            object_text=user.username,
            tenant_id=user.tenant_id,
            actor=actor_for_user(user),
        )
    return StartedSession(cookie=cookie, row=row, next_step=step)


def load_session(session: Session, cookie: str) -> tuple[WebSession, User] | None:
    """The live web session and its user for a cookie value, or None."""
    row = session.get(WebSession, hash_token(cookie))
    if row is None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return row, user


def end_session(session: Session, cookie: str) -> None:
    """Log out: the session row is removed."""
    session.execute(delete(WebSession).where(WebSession.token_hash == hash_token(cookie)))


def verify_totp_step(
    session: Session,
    row: WebSession,
    user: User,
    code: str,
    box: SecretBox,
    throttle: Throttle,
    client: str,
) -> None:
    """Complete a session with a TOTP code; a wrong code is a failed login to throttling."""
    secret = _pending_or_enabled_secret(row, user, box)
    key = client_key(client)
    throttle.take_turns(session, user.username, key)
    throttle.check(session, user.username, key)
    step = totp_step(secret, code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        throttle.failed(session, user.username, key)
        raise InvalidInput(
            "the code is wrong, too old or already used", field="code", rule="totp_valid"
        ).said(N_("The code is wrong or too old. Enter the code the app shows now."))
    throttle.succeeded(session, user.username, key)
    user.totp_last_step = step
    actor = actor_for_user(user)
    if not user.totp_enabled:
        user.totp_secret = row.data["pending_totp"]
        user.totp_enabled = True
        row.data = {}
        record(
            session,
            action="user.totp_enable",
            object_type="user",
            object_id=user.id,
            object_text=user.username,
            tenant_id=user.tenant_id,
            actor=actor,
        )
    row.complete = True
    session.flush()
    record(
        session,
        action="session.login",
        object_type="user",
        object_id=user.id,
        object_text=user.username,
        tenant_id=user.tenant_id,
        actor=actor,
    )


def _pending_or_enabled_secret(row: WebSession, user: User, box: SecretBox) -> str:
    if user.totp_enabled and user.totp_secret:
        return box.open(user.totp_secret)
    pending = row.data.get("pending_totp")
    if not pending:
        raise InvalidInput(
            "no second factor is being set up", field="code", rule="totp_pending"
        ).said(N_("No second factor is being set up. Start again from the login page."))
    return box.open(str(pending))


def begin_enrollment(
    session: Session, row: WebSession, user: User, box: SecretBox
) -> tuple[str, str]:
    """Start TOTP set-up: a new secret kept (sealed) in the session until a code confirms it."""
    secret = new_totp_secret()
    row.data = {**row.data, "pending_totp": box.seal(secret)}
    session.flush()
    return secret, totp_uri(secret, user.username)
