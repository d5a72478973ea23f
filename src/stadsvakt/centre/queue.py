"""The live queue (kö): the open activations an actor sees, in the order they are handled.

Open means waiting (``open``), being handled (``claimed``) or parked (``on_hold``); the
queue orders them by priority (1 first), then by age (oldest first). A
:class:`QueueRow` is one activation with its site and municipality, read once and
shown to many readers: :func:`activation_view` makes it a JSON-able dict in one reader's
language, with times in UTC (ISO 8601) and in Swedish time for display. An
:class:`Audience` says which rows one reader may see, so the live stream can filter
changes read once per process without asking the database per reader.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Transmitter
from stadsvakt.auth.scope import require, subtree_ids
from stadsvakt.centre import feed, texts
from stadsvakt.centre.models import Activation, ActivationKind, ActivationState
from stadsvakt.centre.tenancy import restrict, visible_tenants
from stadsvakt.context import Actor
from stadsvakt.org.models import Municipality, Site

#: The states of an activation that is still in the queue.
OPEN_STATES = (ActivationState.OPEN, ActivationState.CLAIMED, ActivationState.ON_HOLD)
#: The most rows one queue read returns (a storm is grouped, so a real queue is short).
QUEUE_LIMIT = 500
PERMISSION = "centre.read"
#: Where the activation page lives (another part of the centre builds it).
ACTIVATION_URL = "/centre/activations/{id}"
_STOCKHOLM = ZoneInfo("Europe/Stockholm")

Gettext = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One activation as the queue shows it, before it is put in a reader's language."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    municipality_name: str
    #: The organisation unit of its site (a unit-scoped reader sees only their units').
    unit_id: uuid.UUID | None
    kind: str
    category: str
    code: str
    title: str
    priority: int
    state: str
    opened_at: datetime
    last_event_at: datetime
    event_count: int
    confirmed: bool
    restored: bool
    claimed_by_name: str | None
    held_until: datetime | None
    hold_reason: str | None
    version: int
    site_id: uuid.UUID | None
    site_name: str | None
    site_address: str | None
    #: What its transmitter speaks (which code table names its event), if it has one.
    protocol: str | None = None
    #: The operator it is offered to (fair distribution among those receiving).
    offered_to: uuid.UUID | None = None
    #: Escalated to the shift leader (unclaimed too long, an unanswered dispatch, asked).
    escalated: bool = False

    @property
    def is_open(self) -> bool:
        """Whether it is still in the queue."""
        return self.state in OPEN_STATES


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The queue as one reader sees it, and the feed number it is current to."""

    rows: list[QueueRow]
    seq: int
    total: int


@dataclass(frozen=True, slots=True)
class Audience:
    """Which activations one reader sees: ``tenants`` (``None``: all) and, for a reader
    limited to units, the units (with their subtrees) whose sites they see."""

    tenants: frozenset[uuid.UUID] | None
    units: frozenset[uuid.UUID] | None

    def knows(self, tenant_id: uuid.UUID) -> bool:
        """Whether the reader sees the municipality at all."""
        return self.tenants is None or tenant_id in self.tenants

    def sees(self, row: QueueRow) -> bool:
        """Whether the reader sees this activation (as :func:`restrict` would decide)."""
        if not self.knows(row.tenant_id):
            return False
        return self.units is None or (row.unit_id is not None and row.unit_id in self.units)


def audience_of(session: Session, actor: Actor) -> Audience:
    """What the actor sees of the queue (refused without ``centre.read``)."""
    require(actor, PERMISSION)
    units = actor.scope(PERMISSION)
    expanded: frozenset[uuid.UUID] | None = None
    if units is not None:
        found = session.scalars(subtree_ids(units))
        expanded = frozenset(cast("Iterable[uuid.UUID]", found))
    return Audience(visible_tenants(session, actor), expanded)


_Text = str | None
_RowSelect = Select[Activation, str, _Text, _Text, _Text, _Text, uuid.UUID | None, _Text]


def _rows_select() -> _RowSelect:
    return (
        select(
            Activation,
            Municipality.name,
            Site.name,
            Site.street,
            Site.postal_code,
            Site.city,
            Site.org_unit_id,
            Transmitter.protocol,
        )
        .join(Municipality, Municipality.id == Activation.tenant_id)
        .outerjoin(Site, Site.id == Activation.site_id)
        .outerjoin(Transmitter, Transmitter.id == Activation.transmitter_id)
    )


def _address(street: str | None, postal_code: str | None, city: str | None) -> str | None:
    if street is None:
        return None
    place = " ".join(part for part in (postal_code, city) if part)
    return ", ".join(part for part in (street, place) if part)


def _row(found: Sequence[Any]) -> QueueRow:
    activation, municipality, site_name, street, postal_code, city, unit_id, protocol = found
    assert isinstance(activation, Activation)
    return QueueRow(
        id=activation.id,
        tenant_id=activation.tenant_id,
        municipality_name=municipality,
        unit_id=unit_id,
        kind=str(activation.kind),
        category=activation.category,
        code=activation.code,
        title=activation.title,
        priority=activation.priority,
        state=str(activation.state),
        opened_at=activation.opened_at,
        last_event_at=activation.last_event_at,
        event_count=activation.event_count,
        confirmed=activation.confirmed,
        restored=activation.restored,
        claimed_by_name=activation.claimed_by_name,
        held_until=activation.held_until,
        hold_reason=activation.hold_reason,
        version=activation.version,
        site_id=activation.site_id,
        site_name=site_name,
        site_address=_address(street, postal_code, city),
        protocol=None if protocol is None else str(protocol),
        offered_to=activation.offered_to,
        escalated=activation.escalated_at is not None,
    )


def open_queue(session: Session, actor: Actor, *, limit: int = QUEUE_LIMIT) -> Snapshot:
    """The open activations the actor sees, by priority then age, and the feed number
    they are current to.

    The number is read *before* the list: a change committed in between is then both in
    the list and after the number, so a reader resuming from it sees it twice (harmless:
    views carry their ``version``) but never misses one.
    """
    require(actor, PERMISSION)
    seq = feed.head(session)
    stmt = restrict(
        _rows_select().where(Activation.state.in_(OPEN_STATES)), session, actor, PERMISSION
    )
    found = session.execute(
        stmt.order_by(Activation.priority, Activation.opened_at, Activation.id).limit(limit)
    ).all()
    rows = [_row(item) for item in found]
    total = len(rows)
    if total == limit:
        counted = restrict(
            select(func.count()).select_from(Activation).where(Activation.state.in_(OPEN_STATES)),
            session,
            actor,
            PERMISSION,
        )
        total = int(session.execute(counted).scalar_one())
    return Snapshot(rows, seq, total)


def load_rows(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, QueueRow]:
    """The activations with these ids, whatever their state, unfiltered: the caller
    filters by each reader's :class:`Audience`."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    found = session.execute(_rows_select().where(Activation.id.in_(wanted))).all()
    return {row.id: row for row in map(_row, found)}


def queue_order(row: QueueRow) -> tuple[int, datetime, str]:
    """The queue's sort key: priority, then age, then id (stable between readers)."""
    return (row.priority, row.opened_at, str(row.id))


def iso(moment: datetime | None) -> str | None:
    """A UTC time in ISO 8601 with its offset, for API clients."""
    return None if moment is None else moment.isoformat()


def display_time(moment: datetime | None) -> str:
    """A time as people in Sweden read it, with the zone: ``2026-12-05 23:05:00 CET``
    (the same text as the web UI's ``local_time`` filter)."""
    if moment is None:
        return ""
    return moment.astimezone(_STOCKHOLM).strftime("%Y-%m-%d %H:%M:%S %Z")


def title_of(row: QueueRow, lang: str) -> str:
    """The activation's event text in the reader's language: from the code tables for an
    alarm of a known transmitter, else the stored title (a storm's, an incident's)."""
    if row.kind == ActivationKind.ALARM and row.protocol and row.code:
        return texts.event_text(row.protocol, row.code, row.title, lang)
    return row.title


def activation_title(session: Session, activation: Activation, lang: str) -> str:
    """:func:`title_of` for an activation read on its own (a phone's job, a map marker)."""
    protocol = None
    if activation.kind == ActivationKind.ALARM and activation.transmitter_id is not None:
        protocol = session.scalar(
            select(Transmitter.protocol).where(Transmitter.id == activation.transmitter_id)
        )
    if protocol is None or not activation.code:
        return activation.title
    return texts.event_text(str(protocol), activation.code, activation.title, lang)


def activation_view(row: QueueRow, *, lang: str, gettext: Gettext) -> dict[str, Any]:
    """One activation as a JSON-able dict for one reader: ids as strings, times in UTC
    (ISO 8601) with a Swedish-time display text beside each, labels in ``lang``."""
    state_label = texts.state_label(row.state, lang)
    if row.state == ActivationState.CLAIMED and row.claimed_by_name:
        state_label = gettext("Claimed by %(name)s") % {"name": row.claimed_by_name}
    elif row.state == ActivationState.ON_HOLD and row.held_until is not None:
        state_label = gettext("On hold until %(time)s") % {"time": display_time(row.held_until)}
    return {
        "id": str(row.id),
        "url": ACTIVATION_URL.format(id=row.id),
        "tenant_id": str(row.tenant_id),
        "municipality": row.municipality_name,
        "kind": row.kind,
        "kind_label": texts.kind_label(row.kind, lang),
        "category": row.category,
        "category_label": texts.category_label(row.category, lang),
        "code": row.code,
        "title": title_of(row, lang),
        "priority": row.priority,
        "state": row.state,
        "state_label": state_label,
        "opened_at": iso(row.opened_at),
        "opened_at_display": display_time(row.opened_at),
        "last_event_at": iso(row.last_event_at),
        "last_event_at_display": display_time(row.last_event_at),
        "count": row.event_count,
        "confirmed": row.confirmed,
        "restored": row.restored,
        "claimed_by_name": row.claimed_by_name,
        "held_until": iso(row.held_until),
        "held_until_display": display_time(row.held_until),
        "hold_reason": row.hold_reason,
        "site": None
        if row.site_id is None
        else {"id": str(row.site_id), "name": row.site_name, "address": row.site_address},
        "version": row.version,
        "offered_to": None if row.offered_to is None else str(row.offered_to),
        "escalated": row.escalated,
    }
