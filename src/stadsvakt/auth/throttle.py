"""Login throttling: exponential backoff per client address, per account and per pair.

Recent failed logins (within ``login_window_minutes``) are counted three ways, and
each count that passes its free allowance makes the next attempt wait:

* **the pair**, one account from one address: after ``login_max_failures``, growing to
  ``login_backoff_max_seconds`` (someone guessing one account's password);
* **the address**, any accounts: after ``login_address_max_failures``, to the same cap
  (password spraying: a few guesses at each of many accounts);
* **the account**, from any addresses: after ``login_account_max_failures``, but only
  up to the short ``login_account_backoff_max_seconds``, and not at all from an address
  the account completed a login from within ``login_known_address_days``. A guesser
  elsewhere slows the account down; they cannot keep its owner out.

The wait after n failures beyond the allowance is 1 s × 2ⁿ (capped), counted from the
latest failure. An attempt made during a wait is refused (429 with ``Retry-After``)
without checking its password, and is not counted: only checked passwords count.

Counts live in ``login_attempts`` so every process agrees. An attempt is stored as a
failure *before* its password is checked, and removed when the password proves right,
so a burst of parallel guesses counts in full; on PostgreSQL the check and that insert
take turns per address and account (:mod:`stadsvakt.auth.locks`).

The address is the connection's (uvicorn replaces it with ``X-Forwarded-For`` only for
connections from a trusted proxy, by default 127.0.0.1 and ::1). An IPv6 address is
counted by its /64 network, the block one subscriber gets, so rotating addresses
inside it does not reset the count.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, false, func, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.auth.locks import take_turns
from stadsvakt.auth.models import LoginAttempt
from stadsvakt.db import utcnow
from stadsvakt.errors import N_, TooManyAttempts
from stadsvakt.settings import SecuritySettings

#: The first wait once a count passes its allowance; each further failure doubles it.
BACKOFF_BASE_SECONDS = 1.0
#: Stale rows removed per recorded failure (the table stays about a window's worth).
PURGE_BATCH = 500
#: Longest username and client key stored (the columns' lengths).
MAX_USERNAME, MAX_CLIENT = 80, 64


def client_key(host: str | None) -> str:
    """The address throttling counts by: IPv4 as is, IPv6 by its /64 network."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:MAX_CLIENT]  # not an IP address (a test client, a Unix socket)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def backoff_seconds(failures: int, allowed: int, cap: float) -> float:
    """The wait after ``failures`` failures when ``allowed`` of them cost none."""
    if failures < allowed:
        return 0.0
    beyond = min(failures - allowed, 40)  # 2**40 s is far past any cap
    return min(cap, BACKOFF_BASE_SECONDS * 2.0**beyond)


@dataclass(frozen=True, slots=True)
class _Count:
    """Recent failures of one kind: how many, and the latest."""

    failures: int
    latest: datetime | None


@dataclass(frozen=True, slots=True)
class Throttle:
    """The backoff rules over ``login_attempts``; services take it with the session."""

    settings: SecuritySettings
    clock: Callable[[], datetime] = field(default=utcnow)

    def take_turns(self, session: Session, username: str, client: str) -> None:
        """Serialise checks and records for this address and account (PostgreSQL)."""
        take_turns(session, f"login-address:{client}", f"login-account:{username}")

    def check(self, session: Session, username: str, client: str) -> None:
        """Raise :class:`TooManyAttempts` while any backoff of this attempt is in force."""
        now = self.clock()
        wait = max(self._waits(session, username[:MAX_USERNAME], client, now))
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise TooManyAttempts(
                f"too many failed logins; try again in {seconds} seconds", retry_after=seconds
            ).said(N_("Too many failed logins. Try again in %(seconds)s seconds."), seconds=seconds)

    def failed(self, session: Session, username: str, client: str) -> LoginAttempt:
        """Count a failed attempt (and clear out attempts too old to count)."""
        row = LoginAttempt(username=username[:MAX_USERNAME], client=client, at=self.clock())
        session.add(row)
        session.flush()
        self._purge(session)
        return row

    def forget(self, session: Session, attempt_id: int) -> None:
        """Take back an attempt recorded as a failure: its password proved right, or it
        was never checked."""
        _delete_unlocked(session, LoginAttempt.id == attempt_id)

    def succeeded(self, session: Session, username: str, client: str) -> None:
        """A login completed: this address's failures on the account are forgiven, and
        the address becomes one the account is known to log in from."""
        name = username[:MAX_USERNAME]
        pair = and_(LoginAttempt.username == name, LoginAttempt.client == client)
        _delete_unlocked(session, pair)
        if self.settings.login_known_address_days > 0:
            session.add(LoginAttempt(username=name, client=client, at=self.clock(), succeeded=True))
            session.flush()

    def _waits(self, session: Session, username: str, client: str, now: datetime) -> list[float]:
        s = self.settings
        pair = _count(
            session, now, s, LoginAttempt.username == username, LoginAttempt.client == client
        )
        address = _count(session, now, s, LoginAttempt.client == client)
        waits = [
            _remaining(pair, s.login_max_failures, s.login_backoff_max_seconds, now),
            _remaining(address, s.login_address_max_failures, s.login_backoff_max_seconds, now),
        ]
        if not self._known(session, username, client, now):
            account = _count(session, now, s, LoginAttempt.username == username)
            cap = s.login_account_backoff_max_seconds
            waits.append(_remaining(account, s.login_account_max_failures, cap, now))
        return waits

    def _known(self, session: Session, username: str, client: str, now: datetime) -> bool:
        days = self.settings.login_known_address_days
        if days <= 0:
            return False
        stmt = select(LoginAttempt.id).where(
            LoginAttempt.username == username,
            LoginAttempt.client == client,
            LoginAttempt.succeeded == true(),
            LoginAttempt.at >= now - timedelta(days=days),
        )
        return session.execute(stmt.limit(1)).first() is not None

    def _purge(self, session: Session) -> None:
        now = self.clock()
        failures_since = now - timedelta(minutes=self.settings.login_window_minutes)
        known_since = now - timedelta(days=self.settings.login_known_address_days)
        stale = or_(
            and_(LoginAttempt.succeeded == false(), LoginAttempt.at < failures_since),
            and_(LoginAttempt.succeeded == true(), LoginAttempt.at < known_since),
        )
        _delete_unlocked(session, stale, limit=PURGE_BATCH)


def _count(
    session: Session, now: datetime, settings: SecuritySettings, *where: ColumnElement[bool]
) -> _Count:
    since = now - timedelta(minutes=settings.login_window_minutes)
    stmt = select(func.count(), func.max(LoginAttempt.at)).where(
        LoginAttempt.succeeded == false(), LoginAttempt.at >= since, *where
    )
    failures, latest = session.execute(stmt).one()
    return _Count(int(failures or 0), latest)


def _remaining(count: _Count, allowed: int, cap: float, now: datetime) -> float:
    delay = backoff_seconds(count.failures, allowed, cap)
    if delay <= 0 or count.latest is None:
        return 0.0
    return max(0.0, (count.latest + timedelta(seconds=delay) - now).total_seconds())


def _delete_unlocked(
    session: Session, where: ColumnElement[bool], *, limit: int | None = None
) -> None:
    """Delete matching rows, skipping any another transaction is deleting right now.

    Every delete of login attempts goes through here, so none ever waits for a row
    another holds: two logins cannot deadlock over old rows (PostgreSQL; SQLite
    serialises writers anyway and ignores the row locks)."""
    ids = select(LoginAttempt.id).where(where).with_for_update(skip_locked=True)
    if limit is not None:
        ids = ids.limit(limit)
    stmt = delete(LoginAttempt).where(LoginAttempt.id.in_(ids))
    session.execute(stmt.execution_options(synchronize_session=False))
