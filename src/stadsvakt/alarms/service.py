"""Rules and queries for the transmitter registry and the alarm list. Callers commit.

Reads go through :func:`~stadsvakt.auth.scope.restrict`: a transmitter or alarm is
in the scope of its site's unit. Keys are sealed with the installation's
:class:`~stadsvakt.auth.secrets.SecretBox` before they reach the database and
never leave the service in clear except to the receiver's key cache. Every change to
a transmitter also appends a row to the registry's change feed (:func:`note_change`),
which receivers follow.
"""

from __future__ import annotations

import string
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import (
    Alarm,
    Bearer,
    Transmitter,
    TransmitterChange,
    TransmitterProtocol,
)
from stadsvakt.alarms.protocols.events import Category
from stadsvakt.alarms.schemas import KeyFormat, TransmitterCreate, TransmitterUpdate
from stadsvakt.audit.service import record, snapshot
from stadsvakt.auth.scope import restrict
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.context import Actor
from stadsvakt.errors import Conflict, InvalidInput, NotFound
from stadsvakt.org.models import Site
from stadsvakt.paging import Order, sorted_by
from stadsvakt.textsearch import contains, like_prefix

_KEY_BYTES = (16, 24, 32)
_ASCII_KEY = frozenset(string.printable) - frozenset("\t\n\r\x0b\x0c")


def normalise_hex(value: str | None) -> str:
    """A receiver or line field as stored: upper-case hex, no leading zeros, ``"0"`` if empty."""
    digits = (value or "").strip().upper().lstrip("0")
    return digits or "0"


def parse_key(key: str | None, key_format: KeyFormat, *, field: str = "key") -> bytes | None:
    """The AES key bytes from its written form; ``None`` for no key (unencrypted)."""
    if key is None or not key.strip():
        return None
    text = key.strip()
    if key_format is KeyFormat.HEX:
        if len(text) not in (32, 48, 64) or any(c not in string.hexdigits for c in text):
            raise InvalidInput(
                f"{field}: a hex key has 32, 48 or 64 hex digits (AES-128/192/256)",
                field=field,
                rule="key_hex",
            )
        return bytes.fromhex(text)
    if len(text) not in _KEY_BYTES or any(c not in _ASCII_KEY for c in text):
        raise InvalidInput(
            f"{field}: an ASCII key has 16, 24 or 32 printable characters (AES-128/192/256)",
            field=field,
            rule="key_ascii",
        )
    return text.encode("ascii")


def seal_key(box: SecretBox, key: bytes) -> str:
    """The stored form of a key."""
    return box.seal(key.hex())


def open_key(box: SecretBox, sealed: str) -> bytes:
    """The key bytes of a stored key."""
    return bytes.fromhex(box.open(sealed))


def _tenant(actor: Actor) -> uuid.UUID:
    if actor.tenant_id is None:
        raise InvalidInput("act within a municipality", field="tenant", rule="required")
    return actor.tenant_id


def _site_in_scope(session: Session, actor: Actor, site_id: uuid.UUID) -> Site:
    stmt = restrict(select(Site).where(Site.id == site_id), Site, actor, "transmitter.write")
    site = session.execute(stmt).scalar_one_or_none()
    if site is None:
        raise NotFound(f"site_id: no site {site_id} in your scope", field="site_id")
    return site


def _address_free(
    session: Session, account: str, receiver: str, line: str, own: uuid.UUID | None
) -> None:
    existing = session.execute(
        select(Transmitter.id).where(
            Transmitter.account == account,
            Transmitter.receiver == receiver,
            Transmitter.line == line,
        )
    ).scalar_one_or_none()
    if existing is not None and existing != own:
        raise Conflict(
            f"account: account {account} on receiver {receiver} line {line} is already registered",
            field="account",
        )


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("the transmitter clashes with an existing one", field="account") from exc


def _audit(session: Session, action: str, row: Transmitter, before: dict[str, Any] | None) -> None:
    record(
        session,
        action=f"transmitter.{action}",
        object_type="transmitter",
        object_id=row.id,
        object_text=f"{row.account} R{row.receiver} L{row.line}",
        tenant_id=row.tenant_id,
        before=before,
        after=None
        if action == "delete"
        else {**snapshot(row), "has_key": row.key_bits is not None},
    )


def _check_encryption(key_bits: int | None, encrypted_only: bool) -> None:
    if encrypted_only and key_bits is None:
        raise InvalidInput(
            "encrypted_only: needs a key", field="encrypted_only", rule="requires_key"
        )


#: The keys the transmitter list may be sorted by.
TRANSMITTER_SORTS: dict[str, Any] = {
    "account": (Transmitter.account, Transmitter.receiver, Transmitter.line),
    "name": Transmitter.name,
    "protocol": Transmitter.protocol,
    "bearer": Transmitter.bearer,
    "last_seen": Transmitter.last_seen_at,
}
BY_ACCOUNT = Order("account")


def list_transmitters(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    site_id: uuid.UUID | None = None,
    protocol: TransmitterProtocol | None = None,
    bearer: Bearer | None = None,
    q: str | None = None,
    order: Order = BY_ACCOUNT,
    silent: bool = False,
) -> tuple[list[Transmitter], int]:
    """Transmitters the actor may see, sorted by ``order`` (a key of
    :data:`TRANSMITTER_SORTS`; by account unless asked); ``q`` looks in account and name;
    ``silent`` keeps those in path failure now (supervision raised a failure and no frame
    has come since)."""
    stmt = sorted_by(
        restrict(select(Transmitter), Transmitter, actor, "transmitter.read"),
        TRANSMITTER_SORTS,
        order,
        tiebreak=Transmitter.id,
    )
    if site_id is not None:
        stmt = stmt.where(Transmitter.site_id == site_id)
    if protocol is not None:
        stmt = stmt.where(Transmitter.protocol == protocol)
    if bearer is not None:
        stmt = stmt.where(Transmitter.bearer == bearer)
    if silent:
        stmt = stmt.where(Transmitter.path_failed_at.is_not(None))
    if q:
        stmt = stmt.where(contains(q, Transmitter.account, Transmitter.name))
    return _page(session, stmt, limit, offset)


def _page(session: Session, stmt: Select[Any], limit: int, offset: int) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return list(session.scalars(stmt.limit(limit).offset(offset))), total


def get_transmitter(
    session: Session, actor: Actor, transmitter_id: uuid.UUID, permission: str = "transmitter.read"
) -> Transmitter:
    """One transmitter in the actor's scope."""
    stmt = restrict(
        select(Transmitter).where(Transmitter.id == transmitter_id), Transmitter, actor, permission
    )
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no transmitter {transmitter_id}")
    return found


def create_transmitter(
    session: Session, actor: Actor, box: SecretBox, data: TransmitterCreate
) -> Transmitter:
    """Register a transmitter on a site in the actor's scope."""
    tenant = _tenant(actor)
    _site_in_scope(session, actor, data.site_id)
    account = data.account.upper()
    receiver, line = normalise_hex(data.receiver), normalise_hex(data.line)
    _address_free(session, account, receiver, line, None)
    key = parse_key(data.key, data.key_format)
    _check_encryption(len(key) * 8 if key else None, data.encrypted_only)
    row = Transmitter(
        tenant_id=tenant,
        site_id=data.site_id,
        account=account,
        receiver=receiver,
        line=line,
        protocol=data.protocol,
        name=data.name,
        bearer=data.bearer,
        interval_s=data.interval_s,
        key_sealed=seal_key(box, key) if key else None,
        key_bits=len(key) * 8 if key else None,
        encrypted_only=data.encrypted_only,
    )
    session.add(row)
    _flush(session)
    note_change(session, row.id)
    _audit(session, "create", row, None)
    return row


def update_transmitter(
    session: Session,
    actor: Actor,
    box: SecretBox,
    transmitter_id: uuid.UUID,
    data: TransmitterUpdate,
) -> Transmitter:
    """Change a transmitter; its key only when ``key`` is given (empty removes it)."""
    row = get_transmitter(session, actor, transmitter_id, "transmitter.write")
    before = {**snapshot(row), "has_key": row.key_bits is not None}
    changes = data.model_dump(exclude_unset=True, exclude={"key", "key_format"})
    for name in ("site_id", "account", "protocol", "encrypted_only"):
        if name in changes and changes[name] is None:
            raise InvalidInput(f"{name}: cannot be emptied", field=name, rule="required")
    if changes.get("site_id") is not None:
        _site_in_scope(session, actor, changes["site_id"])
    if "account" in changes:
        changes["account"] = changes["account"].upper()
    for name in ("receiver", "line"):
        if name in changes:
            changes[name] = normalise_hex(changes[name])
    for name, value in changes.items():
        setattr(row, name, value)
    if "key" in data.model_fields_set:
        key = parse_key(data.key, data.key_format)
        row.key_sealed = seal_key(box, key) if key else None
        row.key_bits = len(key) * 8 if key else None
    _check_encryption(row.key_bits, row.encrypted_only)
    _address_free(session, row.account, row.receiver, row.line, row.id)
    _flush(session)
    note_change(session, row.id)
    _audit(session, "update", row, before)
    return row


def delete_transmitter(session: Session, actor: Actor, transmitter_id: uuid.UUID) -> None:
    """Remove a transmitter; its alarms stay, with site and account."""
    row = get_transmitter(session, actor, transmitter_id, "transmitter.write")
    before = {**snapshot(row), "has_key": row.key_bits is not None}
    session.delete(row)
    _flush(session)
    note_change(session, row.id)
    _audit(session, "delete", row, before)


def note_change(session: Session, transmitter_id: uuid.UUID) -> None:
    """Append a transmitter's change to the registry's change feed, which receivers
    follow (see :mod:`stadsvakt.alarms.lookup`); in the change's own transaction."""
    session.add(TransmitterChange(transmitter_id=transmitter_id))


# --- alarms -------------------------------------------------------------------------------


#: The keys the alarm list may be sorted by (the newest first within a priority).
ALARM_SORTS: dict[str, Any] = {
    "received": Alarm.received_at,
    "priority": (Alarm.priority, Alarm.received_at),
}
NEWEST = Order("received", descending=True)


def list_alarms(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    site_id: uuid.UUID | None = None,
    category: Category | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    transmitter_id: uuid.UUID | None = None,
    account: str | None = None,
    order: Order = NEWEST,
    count_cap: int | None = None,
) -> tuple[list[Alarm], int]:
    """Alarms the actor may see, newest first unless ``order`` says otherwise (a key of
    :data:`ALARM_SORTS`), filtered by site, category, time (``since`` included, ``until``
    not), transmitter and account (its beginning); and how many match.

    With ``count_cap`` the count stops at ``count_cap + 1`` (a list of millions says
    "more than ..." instead of counting them all on every page).
    """
    stmt = sorted_by(
        restrict(select(Alarm), Alarm, actor, "alarm.read"), ALARM_SORTS, order, tiebreak=Alarm.id
    )
    if site_id is not None:
        stmt = stmt.where(Alarm.site_id == site_id)
    if category is not None:
        stmt = stmt.where(Alarm.category == category.value)
    if since is not None:
        stmt = stmt.where(Alarm.received_at >= since)
    if until is not None:
        stmt = stmt.where(Alarm.received_at < until)
    if transmitter_id is not None:
        stmt = stmt.where(Alarm.transmitter_id == transmitter_id)
    if account:
        stmt = stmt.where(Alarm.account.like(like_prefix(account), escape="\\"))
    if count_cap is None:
        return _page(session, stmt, limit, offset)
    counted = stmt.order_by(None).with_only_columns(Alarm.id).limit(count_cap + 1).subquery()
    total = session.scalar(select(func.count()).select_from(counted)) or 0
    return list(session.scalars(stmt.limit(limit).offset(offset))), total


def get_alarm(session: Session, actor: Actor, alarm_id: uuid.UUID) -> Alarm:
    """One alarm in the actor's scope."""
    stmt = restrict(select(Alarm).where(Alarm.id == alarm_id), Alarm, actor, "alarm.read")
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no alarm {alarm_id}")
    return found


def raw_text(raw: bytes) -> str:
    """A frame as readable text: printable ASCII kept, LF/CR and other bytes as ``<0A>``."""
    return "".join(chr(b) if 0x20 <= b < 0x7F else f"<{b:02X}>" for b in raw)
