"""Operators receiving (tar emot larm): who is taking new activations, and fair offering.

An operator starts and stops receiving on the console; while receiving, their browser
sends a heartbeat every 30 s. :func:`offer_open` offers each open, unclaimed activation
of a centre to one receiving operator of that centre: the one with the fewest
activations in hand (claimed by them, or offered to them and not yet taken), ties to
the one offered least recently. An offer whose operator stopped receiving, or has not
been seen for :data:`GONE_AFTER`, is taken back and offered to another. An offer is a
hint ("offered to you" on the queue), never a lock: any operator may claim any open
activation.

When offering runs: :func:`tick` (holds that are due return to the queue, then
offering) runs at every heartbeat and whenever an operator starts or stops receiving.
A centre with receiving operators therefore offers a new activation within one
heartbeat interval divided by the number of operators receiving; nothing runs inside
the alarm intake, so an alarm's acknowledgement to its panel never waits for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from stadsvakt.audit.service import record
from stadsvakt.auth.scope import require
from stadsvakt.centre import feed
from stadsvakt.centre.handling import entry_time, updated_rows, wake_held
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationState
from stadsvakt.centre.tenancy import served_by
from stadsvakt.context import Actor, system_actor
from stadsvakt.db import Base, utcnow
from stadsvakt.errors import Forbidden

#: How often the console sends a heartbeat while its operator receives.
HEARTBEAT_EVERY = timedelta(seconds=30)
#: A receiving operator not heard from for this long is taken as gone: their offers move.
GONE_AFTER = timedelta(seconds=90)
#: The name activation timelines show for what the centre did by itself.
CENTRE_NAME = "stadsvakt"


class Receiver(Base):
    """One operator's receiving state (one row per user, kept when they stop)."""

    __tablename__ = "centre_receivers"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: The municipality running the centre the operator works in (their own).
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    user_name: Mapped[str] = mapped_column(String(200))
    receiving: Mapped[bool] = mapped_column(Boolean, default=False)
    receiving_since: Mapped[datetime | None] = mapped_column(default=None)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When an activation was last offered to them (ties go to the one offered longest ago).
    last_offered_at: Mapped[datetime | None] = mapped_column(default=None)


@dataclass(frozen=True, slots=True)
class ReceivingState:
    """What the console shows of its operator's receiving."""

    receiving: bool
    since: datetime | None
    offered: list[uuid.UUID]


def _staff(actor: Actor) -> uuid.UUID:
    require(actor, "centre.operate")
    if actor.id is None or actor.tenant_id is None or actor.kind != "user":
        # Only a person receives: a token or the system has no queue of its own.
        raise Forbidden("only a signed-in operator receives activations")
    return actor.id


def _row(session: Session, actor: Actor, now: datetime) -> Receiver:
    user_id = _staff(actor)
    row = session.get(Receiver, user_id, with_for_update=True)
    if row is None:
        assert actor.tenant_id is not None
        row = Receiver(
            user_id=user_id,
            tenant_id=actor.tenant_id,
            user_name=actor.name[:200],
            receiving=False,
            last_seen_at=now,
        )
        session.add(row)
    row.user_name = actor.name[:200]
    row.last_seen_at = now
    return row


def set_receiving(
    session: Session, actor: Actor, receiving: bool, *, now: datetime | None = None
) -> ReceivingState:
    """Start or stop receiving; offers are then spread again (see the module)."""
    now = now or utcnow()
    row = _row(session, actor, now)
    if row.receiving != receiving:
        before = {"receiving": row.receiving}
        row.receiving = receiving
        row.receiving_since = now if receiving else None
        record(
            session,
            action="centre.receiving.start" if receiving else "centre.receiving.stop",
            object_type="centre_receiver",
            object_id=row.user_id,
            object_text=row.user_name,
            tenant_id=row.tenant_id,
            before=before,
            after={"receiving": receiving},
        )
    session.flush()
    tick(session, now)
    return state_of(session, actor)


def heartbeat(session: Session, actor: Actor, *, now: datetime | None = None) -> ReceivingState:
    """The console is still open: note it, then run :func:`tick`."""
    now = now or utcnow()
    _row(session, actor, now)
    session.flush()
    tick(session, now)
    return state_of(session, actor)


def state_of(session: Session, actor: Actor) -> ReceivingState:
    """Whether the actor receives, since when, and the open activations offered to them."""
    require(actor, "centre.read")
    row = session.get(Receiver, actor.id) if actor.id is not None else None
    offered = (
        list(
            session.execute(
                select(Activation.id)
                .where(Activation.offered_to == actor.id)
                .where(Activation.state == ActivationState.OPEN)
                .where(Activation.claimed_by.is_(None))
                .order_by(Activation.priority, Activation.opened_at)
            ).scalars()
        )
        if actor.id is not None
        else []
    )
    if row is None:
        return ReceivingState(False, None, offered)
    return ReceivingState(row.receiving, row.receiving_since, offered)


def tick(session: Session, now: datetime | None = None) -> None:
    """The centre's periodic work: due holds return to the queue, then offering."""
    now = now or utcnow()
    wake_held(session, now)
    offer_open(session, now)


def receiving_now(session: Session, centre: uuid.UUID, now: datetime) -> list[Receiver]:
    """The operators of a centre receiving and heard from within :data:`GONE_AFTER`."""
    return list(
        session.execute(
            select(Receiver)
            .where(Receiver.tenant_id == centre)
            .where(Receiver.receiving.is_(True))
            .where(Receiver.last_seen_at >= now - GONE_AFTER)
            .order_by(Receiver.user_id)
        ).scalars()
    )


def offer_open(session: Session, now: datetime | None = None) -> int:
    """Offer every open, unoffered activation (or one offered to an operator who left) to
    a receiving operator of its centre; returns how many offers were made or taken back.
    """
    now = now or utcnow()
    centres = session.execute(
        select(Receiver.tenant_id).where(Receiver.receiving.is_(True)).distinct()
    ).scalars()
    changed: list[tuple[Activation, str]] = []
    for centre in sorted(set(centres)):
        changed += _offer_for(session, centre, now)
    changed += _withdraw_orphans(session, now)
    feed.publish(session, changed)
    return len(changed)


def _in_hand(session: Session, users: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    counts = {user: 0 for user in users}
    claimed = session.execute(
        select(Activation.claimed_by, func.count())
        .where(Activation.claimed_by.in_(list(users)))
        .where(Activation.state == ActivationState.CLAIMED)
        .group_by(Activation.claimed_by)
    ).all()
    offered = session.execute(
        select(Activation.offered_to, func.count())
        .where(Activation.offered_to.in_(list(users)))
        .where(Activation.state == ActivationState.OPEN)
        .where(Activation.claimed_by.is_(None))
        .group_by(Activation.offered_to)
    ).all()
    for user, count in [*claimed, *offered]:
        if user is not None:
            counts[user] = counts.get(user, 0) + int(count)
    return counts


def _offer_for(session: Session, centre: uuid.UUID, now: datetime) -> list[tuple[Activation, str]]:
    receivers = receiving_now(session, centre, now)
    if not receivers:
        return []
    present = {row.user_id for row in receivers}
    tenants = sorted(served_by(session, centre))
    waiting = [
        activation
        for activation in session.execute(
            select(Activation)
            .where(Activation.tenant_id.in_(tenants))
            .where(Activation.state == ActivationState.OPEN)
            .where(Activation.claimed_by.is_(None))
            .order_by(Activation.priority, Activation.opened_at)
        ).scalars()
        if activation.offered_to not in present
    ]
    if not waiting:
        return []
    in_hand = _in_hand(session, sorted(present))
    by_id = {row.user_id: row for row in receivers}
    changed: list[tuple[Activation, str]] = []
    for activation in waiting:
        chosen = min(
            receivers,
            key=lambda row: (
                in_hand[row.user_id],
                row.last_offered_at is not None,
                row.last_offered_at or now,
                str(row.user_id),
            ),
        )
        if _offer(session, activation, chosen, now):
            in_hand[chosen.user_id] += 1
            by_id[chosen.user_id].last_offered_at = now
            changed.append((activation, feed.UPDATED))
    return changed


def _offer(session: Session, activation: Activation, to: Receiver, now: datetime) -> bool:
    seen = activation.version
    previous = activation.offered_to
    # Conditional on the version read: a claim (or another process's offer) in between
    # wins, and this offer is simply not made.
    done = updated_rows(
        session.execute(
            update(Activation)
            .where(Activation.id == activation.id)
            .where(Activation.version == seen)
            .where(Activation.claimed_by.is_(None))
            .values(offered_to=to.user_id, offered_at=now, version=seen + 1)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(activation)
    if not done:
        return False
    session.add(
        ActivationEntry(
            activation_id=activation.id,
            at=entry_time(session, activation.id, now),
            kind="offered",
            actor_name=CENTRE_NAME,
            data={
                "to_id": str(to.user_id),
                "to": to.user_name,
                "previous_id": None if previous is None else str(previous),
            },
        )
    )
    record(
        session,
        action="activation.offer",
        object_type="activation",
        object_id=activation.id,
        object_text=activation.title,
        tenant_id=activation.tenant_id,
        before={"offered_to": None if previous is None else str(previous)},
        after={"offered_to": str(to.user_id), "version": seen + 1},
        actor=system_actor(CENTRE_NAME, activation.tenant_id),
    )
    return True


def _withdraw_orphans(session: Session, now: datetime) -> list[tuple[Activation, str]]:
    """Offers to operators who stopped or went away, where nobody is left to take them
    over: the offer is taken back so nobody's queue says "offered to you" falsely."""
    gone = (
        select(Receiver.user_id)
        .where(Receiver.receiving.is_(True))
        .where(Receiver.last_seen_at >= now - GONE_AFTER)
    )
    rows = session.execute(
        select(Activation)
        .where(Activation.offered_to.is_not(None))
        .where(Activation.offered_to.not_in(gone))
        .where(Activation.state == ActivationState.OPEN)
        .where(Activation.claimed_by.is_(None))
    ).scalars()
    changed: list[tuple[Activation, str]] = []
    for activation in list(rows):
        seen, previous = activation.version, activation.offered_to
        done = updated_rows(
            session.execute(
                update(Activation)
                .where(Activation.id == activation.id)
                .where(Activation.version == seen)
                .values(offered_to=None, offered_at=None, version=seen + 1)
                .execution_options(synchronize_session=False)
            )
        )
        session.refresh(activation)
        if not done:
            continue
        session.add(
            ActivationEntry(
                activation_id=activation.id,
                at=entry_time(session, activation.id, now),
                kind="offer_withdrawn",
                actor_name=CENTRE_NAME,
                data={"previous_id": str(previous)},
            )
        )
        changed.append((activation, feed.UPDATED))
    return changed
