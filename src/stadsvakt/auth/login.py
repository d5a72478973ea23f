"""Logging in: password check with throttling, the TOTP step, and web sessions.

Local accounts are one :class:`IdentityProvider`; an OpenID Connect provider
will be another, handing :func:`start_session` a user it has verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from stadsvakt.audit.service import record
from stadsvakt.auth.models import LoginAttempt, User, WebSession
from stadsvakt.auth.passwords import Passwords
from stadsvakt.auth.secrets import (
    SecretBox,
    hash_token,
    new_totp_secret,
    random_key,
    totp_step,
    totp_uri,
)
from stadsvakt.auth.service import actor_for_user, needs_totp
from stadsvakt.db import utcnow
from stadsvakt.errors import InvalidInput, TooManyAttempts, Unauthenticated
from stadsvakt.settings import SecuritySettings


class IdentityProvider(Protocol):
    """Something that turns credentials into a verified stadsvakt user."""

    def authenticate(self, session: Session, username: str, password: str, client: str) -> User:
        """Return the user, or raise Unauthenticated / TooManyAttempts."""
        ...


@dataclass(frozen=True, slots=True)
class LocalPasswordProvider:
    """Username and argon2id password stored in stadsvakt, with throttling per username."""

    passwords: Passwords
    settings: SecuritySettings

    def authenticate(self, session: Session, username: str, password: str, client: str) -> User:
        """Check the password; count failures; refuse while too many are recent."""
        since = utcnow() - timedelta(minutes=self.settings.login_window_minutes)
        failures = session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.username == username, LoginAttempt.at >= since)
        )
        if (failures or 0) >= self.settings.login_max_failures:
            raise TooManyAttempts(
                f"too many failed logins for this account; try again in "
                f"{self.settings.login_window_minutes} minutes"
            )
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        ok = self.passwords.verify(user.password_hash if user else None, password)
        if user is None or not ok or not user.active:
            session.add(LoginAttempt(username=username[:80], client=client[:64]))
            session.flush()
            raise Unauthenticated("wrong username or password")
        if user.password_hash and self.passwords.needs_rehash(user.password_hash):
            user.password_hash = self.passwords.hash(password)
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
        return user


@dataclass(frozen=True, slots=True)
class StartedSession:
    """A new web session: the cookie value (shown once) and the stored row."""

    cookie: str
    row: WebSession
    next_step: str  # "ok", "totp_required", "totp_enrollment_required"


def start_session(session: Session, user: User, settings: SecuritySettings) -> StartedSession:
    """Open a web session for a verified user; it is complete unless a second factor is due."""
    cookie = random_key()
    if user.totp_enabled:
        step = "totp_required"
    elif needs_totp(user):
        step = "totp_enrollment_required"
    else:
        step = "ok"
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
    settings: SecuritySettings,
) -> None:
    """Complete a session with a TOTP code; failures count towards throttling."""
    secret = _pending_or_enabled_secret(row, user, box)
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    failures = session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.username == user.username, LoginAttempt.at >= since)
    )
    if (failures or 0) >= settings.login_max_failures:
        raise TooManyAttempts("too many failed codes; try again later")
    step = totp_step(secret, code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        session.add(LoginAttempt(username=user.username, client="totp"))
        session.flush()
        raise InvalidInput(
            "the code is wrong, too old or already used", field="code", rule="totp_valid"
        )
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
        raise InvalidInput("no second factor is being set up", field="code", rule="totp_pending")
    return box.open(str(pending))


def begin_enrollment(
    session: Session, row: WebSession, user: User, box: SecretBox
) -> tuple[str, str]:
    """Start TOTP set-up: a new secret kept (sealed) in the session until a code confirms it."""
    secret = new_totp_secret()
    row.data = {**row.data, "pending_totp": box.seal(secret)}
    session.flush()
    return secret, totp_uri(secret, user.username)
