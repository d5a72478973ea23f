"""Escalation of activations nobody claimed in time: the shift leader (jourledare) is alerted.

An *open* activation (waiting, not claimed, not on hold) older than its priority's
unclaimed limit (:class:`~stadsvakt.centre.service_levels.ServiceLevels`) and not yet
escalated is escalated: ``escalated_at`` is set, its timeline gets an ``escalated``
line (``data``: ``reason`` ``"unclaimed"``, ``limit_s``, ``waited_s``), its version
grows, the change goes out on the queue feed as ``updated`` and the audit trail records
it. Shift leaders list escalated activations (:func:`escalated`) in the API and on
``/centre/escalations``.

Every serving process runs :func:`run_escalation`. It does no harm that they all do:
one conditional ``UPDATE ... WHERE escalated_at IS NULL AND state = 'open'`` marks each
activation, so only the process whose update changed a row writes its timeline line
(on PostgreSQL a second process's update waits for the first's row lock, then finds the
condition false; on SQLite writers are serialised). Between escalations a process only
reads (a cheap query over the queue's index), so it takes no write lock while nothing
is overdue.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.audit.service import record
from stadsvakt.centre import feed
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationState
from stadsvakt.centre.service_levels import ServiceLevels, from_settings
from stadsvakt.centre.tenancy import restrict
from stadsvakt.context import Actor, acting_as, system_actor
from stadsvakt.db import lock_was_busy, read_only_session, unit_of_work, utcnow
from stadsvakt.settings import CentreSettings

log = logging.getLogger(__name__)

#: The timeline entry's kind, and the reason an unclaimed activation gives.
ESCALATED = "escalated"
UNCLAIMED = "unclaimed"
#: The reason shown for an escalation an operator asked for (its line carries no reason).
OPERATOR = "operator"
#: At most this many escalated activations are listed (the oldest first by priority).
LIST_LIMIT = 200


def _overdue(now: datetime, levels: ServiceLevels) -> ColumnElement[bool]:
    listed = sorted(levels.unclaimed)
    waited_too_long = [
        and_(
            Activation.priority == priority,
            Activation.opened_at <= now - levels.limit_for(priority),
        )
        for priority in listed
    ]
    waited_too_long.append(
        and_(
            Activation.priority.not_in(listed),
            Activation.opened_at <= now - levels.unclaimed_default,
        )
    )
    return and_(
        Activation.state == ActivationState.OPEN,
        Activation.escalated_at.is_(None),
        or_(*waited_too_long),
    )


def overdue_count(session: Session, now: datetime, levels: ServiceLevels | None = None) -> int:
    """How many open activations wait past their limit without having been escalated."""
    stmt = (
        select(func.count()).select_from(Activation).where(_overdue(now, levels or ServiceLevels()))
    )
    return int(session.execute(stmt).scalar_one())


def escalate_unclaimed(
    session: Session, now: datetime, levels: ServiceLevels | None = None
) -> list[Activation]:
    """Escalate every open activation waiting past its priority's limit (once each);
    returns those this call escalated. The caller commits."""
    levels = levels or ServiceLevels()
    marked = (
        session.execute(
            update(Activation)
            .where(_overdue(now, levels))
            .values(escalated_at=now, version=Activation.version + 1)
            .returning(Activation.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    if not marked:
        return []
    escalated = list(
        session.execute(
            select(Activation)
            .where(Activation.id.in_(marked))
            .order_by(Activation.priority, Activation.opened_at)
            .execution_options(populate_existing=True)
        ).scalars()
    )
    for activation in escalated:
        limit_s = int(levels.limit_for(activation.priority).total_seconds())
        details = {
            "reason": UNCLAIMED,
            "limit_s": limit_s,
            "waited_s": int((now - activation.opened_at).total_seconds()),
        }
        session.add(
            ActivationEntry(
                activation_id=activation.id, at=now, kind=ESCALATED, actor_name="", data=details
            )
        )
        record(
            session,
            action="centre.activation.escalate",
            object_type="activation",
            object_id=activation.id,
            object_text=activation.title,
            tenant_id=activation.tenant_id,
            before={"escalated_at": None, "version": activation.version - 1},
            after={"escalated_at": now, "version": activation.version, **details},
        )
    feed.publish(session, [(activation, feed.UPDATED) for activation in escalated])
    return escalated


@dataclass(frozen=True, slots=True)
class Escalation:
    """An escalated activation that is not closed, with why it was escalated."""

    activation: Activation
    #: ``unclaimed``, ``unanswered`` (a dispatch nobody accepted) or ``operator`` (asked
    #: for by the operator handling it, with a note).
    reason: str
    limit_s: int | None
    actor_name: str
    note: str


def escalated(session: Session, actor: Actor, *, limit: int = LIST_LIMIT) -> list[Escalation]:
    """The escalated activations not yet closed that the actor (a shift leader, with
    ``centre.lead``) sees: highest priority first, then the longest waiting."""
    rows = list(
        session.execute(
            restrict(
                select(Activation)
                .where(Activation.escalated_at.is_not(None))
                .where(Activation.state != ActivationState.CLOSED)
                .order_by(Activation.priority, Activation.opened_at)
                .limit(limit),
                session,
                actor,
                "centre.lead",
            )
        ).scalars()
    )
    latest = _latest_entries(session, [row.id for row in rows])
    found = []
    for row in rows:
        entry = latest.get(row.id)
        data = entry.data if entry is not None else {}
        limit_s = data.get("limit_s")
        found.append(
            Escalation(
                activation=row,
                reason=str(data.get("reason") or (OPERATOR if entry is not None else UNCLAIMED)),
                limit_s=int(limit_s) if isinstance(limit_s, int) else None,
                actor_name=entry.actor_name if entry is not None else "",
                note=entry.text if entry is not None else "",
            )
        )
    return found


def _latest_entries(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ActivationEntry]:
    if not ids:
        return {}
    entries = session.execute(
        select(ActivationEntry)
        .where(ActivationEntry.activation_id.in_(ids))
        .where(ActivationEntry.kind == ESCALATED)
        .order_by(ActivationEntry.at)
    ).scalars()
    return {entry.activation_id: entry for entry in entries}  # the latest one wins


def escalate_once(factory: sessionmaker[Session], levels: ServiceLevels) -> int:
    """One round: look (read only), and escalate in a transaction of its own if anything
    is overdue; returns how many this process escalated."""
    now = utcnow()
    with read_only_session(factory) as session:
        if overdue_count(session, now, levels) == 0:
            return 0
    with acting_as(system_actor("centre-escalation")):
        try:
            with unit_of_work(factory, wait=False) as session:
                return len(escalate_unclaimed(session, now, levels))
        except OperationalError as exc:
            if lock_was_busy(exc):  # another process is writing: the next round retries
                return 0
            raise


@asynccontextmanager
async def running(factory: sessionmaker[Session], settings: CentreSettings) -> AsyncIterator[None]:
    """Run :func:`run_escalation` while the block runs (a serving process's lifespan)."""
    task = asyncio.create_task(run_escalation(factory, settings), name="centre-escalation")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def run_escalation(factory: sessionmaker[Session], settings: CentreSettings) -> None:
    """Escalate overdue activations every ``escalation_poll_s`` seconds until cancelled
    (nothing when it is 0). ``factory`` must make sessions of their own, never a request's."""
    interval = settings.escalation_poll_s
    if interval <= 0:
        return
    levels = from_settings(settings)
    while True:
        await asyncio.sleep(interval)
        try:
            escalated_now = await asyncio.to_thread(escalate_once, factory, levels)
        except Exception:  # a failed round is retried at the next interval
            log.exception("centre escalation failed")
            continue
        if escalated_now:
            log.info("escalated %d unclaimed activation(s) to the shift leader", escalated_now)
