"""Handling an activation: claim, release, hold, hand over, escalate, note, close.

Every service takes the ``version`` of the activation the operator last saw and refuses
a stale one (:class:`StaleVersion`, 409): a browser that reconnects after a while never
applies an action over a newer state it has not shown. Each action appends a line to
the activation's timeline (:class:`~stadsvakt.centre.models.ActivationEntry`), bumps
its version, numbers the change on the queue feed and writes an audit row, all in the
caller's transaction (services never commit).

Claiming is a conditional ``UPDATE … WHERE claimed_by IS NULL AND state IN (open,
on_hold)``: of two operators claiming at once exactly one changes a row, and the other
is told who holds it (:class:`HeldByOther`). The other actions lock the row
(``SELECT … FOR UPDATE``; SQLite serialises writers anyway) before checking it.

Who may do what: any operator (``centre.operate``) claims an open or parked activation,
adds a note or escalates; the one holding it (or a shift leader, ``centre.lead``)
releases, parks, hands over or closes it. A parked (on hold) activation leaves the
queue until ``held_until``; :func:`wake_held` returns it as open (called by the
centre's periodic tick, :func:`stadsvakt.centre.receiving.tick`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Result, func, select, update
from sqlalchemy.orm import Session

from stadsvakt.audit.service import record
from stadsvakt.auth.models import User
from stadsvakt.auth.scope import require
from stadsvakt.centre import feed, guards
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationState, Cause
from stadsvakt.centre.tenancy import STAFF, visible_activation
from stadsvakt.context import Actor, system_actor
from stadsvakt.db import utcnow
from stadsvakt.errors import Conflict, InvalidInput

#: The longest an activation may be parked.
MAX_HOLD = timedelta(days=7)
#: Causes whose closing needs a note saying why (a false alarm's cause is followed up
#: with the site; a cancellation names who cancelled).
NOTE_REQUIRED = frozenset({Cause.FALSE, Cause.CANCELLED})
#: The name activation timelines show for what the centre did by itself.
CENTRE_NAME = "stadsvakt"
NOTE_MAX = 2000
REASON_MAX = 500


class HeldByOther(Conflict):
    """Someone else holds the activation (their name is in ``held_by``)."""

    code = "activation_held"
    title = "Held by another operator"

    def __init__(self, activation: Activation) -> None:
        super().__init__(
            f"{activation.claimed_by_name or 'another operator'} holds this activation",
            held_by=activation.claimed_by_name,
            held_by_id=None if activation.claimed_by is None else str(activation.claimed_by),
            version=activation.version,
        )


class StaleVersion(Conflict):
    """The client acted on an older version than the current one: it must reload."""

    code = "stale_version"
    title = "The activation has changed"

    def __init__(self, activation: Activation, seen: int) -> None:
        super().__init__(
            f"the activation has changed since version {seen} (now {activation.version}); "
            "reload it and try again",
            field="version",
            rule="current_version",
            version=activation.version,
        )


class NotClosable(Conflict):
    """Something must be done before the activation may be closed (``objections``)."""

    code = "close_refused"
    title = "Cannot close yet"

    def __init__(self, activation: Activation, objections: list[str]) -> None:
        super().__init__(
            "cannot close yet: " + "; ".join(objections),
            objections=objections,
            version=activation.version,
        )


class WrongState(Conflict):
    """The action does not fit the activation's state (``rule`` says why)."""

    code = "activation_state"
    title = "Not possible in this state"

    def __init__(self, activation: Activation, detail: str, rule: str) -> None:
        super().__init__(
            detail, rule=rule, state=activation.state.value, version=activation.version
        )


@dataclass(frozen=True, slots=True)
class StaffMember:
    """An operator or shift leader of a centre, as a hand-over choice."""

    id: uuid.UUID
    name: str


def updated_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE changed."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def entry_time(session: Session, activation_id: uuid.UUID, now: datetime) -> datetime:
    """``now``, or just after the activation's latest timeline line if that is not earlier:
    lines written in one tick (returned, then offered) keep their order when read back."""
    latest = session.execute(
        select(func.max(ActivationEntry.at)).where(ActivationEntry.activation_id == activation_id)
    ).scalar_one_or_none()
    if latest is not None and latest >= now:
        return latest + timedelta(microseconds=1)
    return now


def _entry(
    session: Session,
    activation: Activation,
    kind: str,
    actor: Actor,
    now: datetime,
    text: str = "",
    **data: Any,
) -> None:
    session.add(
        ActivationEntry(
            activation_id=activation.id,
            at=entry_time(session, activation.id, now),
            kind=kind,
            actor_id=actor.id,
            actor_name=actor.name[:200] if actor.kind != "system" else CENTRE_NAME,
            text=text[:NOTE_MAX],
            data=data,
        )
    )


def _state(activation: Activation) -> dict[str, Any]:
    return {
        "state": activation.state.value,
        "claimed_by": None if activation.claimed_by is None else str(activation.claimed_by),
        "claimed_by_name": activation.claimed_by_name,
        "held_until": None if activation.held_until is None else activation.held_until.isoformat(),
        "cause": None if activation.cause is None else activation.cause.value,
        "version": activation.version,
    }


def _done(
    session: Session,
    activation: Activation,
    action: str,
    before: dict[str, Any],
    change: str,
    actor: Actor | None = None,
) -> Activation:
    """Bump the version, publish on the feed and audit: the end of every action."""
    activation.version += 1
    session.flush()
    feed.publish(session, [(activation, change)])
    record(
        session,
        action=f"activation.{action}",
        object_type="activation",
        object_id=activation.id,
        object_text=activation.title,
        tenant_id=activation.tenant_id,
        before=before,
        after=_state(activation),
        actor=actor,
    )
    return activation


def _load(session: Session, actor: Actor, activation_id: uuid.UUID, version: int) -> Activation:
    """The activation, locked, if the actor may operate on it and saw its current version."""
    activation = visible_activation(
        session, actor, activation_id, "centre.operate", for_update=True
    )
    if activation.state is ActivationState.CLOSED:
        raise WrongState(activation, "the activation is already closed", "closed")
    if activation.version != version:
        raise StaleVersion(activation, version)
    return activation


def _holder_or_lead(activation: Activation, actor: Actor) -> None:
    """Refuse unless the actor holds the activation or leads the shift."""
    if activation.claimed_by == actor.id and activation.state is ActivationState.CLAIMED:
        return
    if actor.can("centre.lead"):
        return
    if activation.claimed_by is not None:
        raise HeldByOther(activation)
    raise WrongState(activation, "claim the activation first", "not_claimed")


def _text(value: str | None, field: str, maximum: int, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{field} must not be empty", field=field, rule="required")
    if len(text) > maximum:
        raise InvalidInput(
            f"{field} has at most {maximum} characters", field=field, rule="max_length"
        )
    return text


def claim(
    session: Session,
    actor: Actor,
    activation_id: uuid.UUID,
    *,
    version: int,
    now: datetime | None = None,
) -> Activation:
    """Take an open or parked activation; exactly one of two claiming at once wins."""
    now = now or utcnow()
    activation = visible_activation(session, actor, activation_id, "centre.operate")
    if activation.state is ActivationState.CLOSED:
        raise WrongState(activation, "the activation is already closed", "closed")
    if activation.claimed_by is not None and activation.claimed_by != actor.id:
        raise HeldByOther(activation)
    if activation.claimed_by == actor.id and activation.state is ActivationState.CLAIMED:
        return activation  # already theirs: a second press changes nothing
    if activation.version != version:
        raise StaleVersion(activation, version)
    before = _state(activation)
    changed = updated_rows(
        session.execute(
            update(Activation)
            .where(Activation.id == activation.id)
            .where(Activation.claimed_by.is_(None))
            .where(Activation.state.in_([ActivationState.OPEN, ActivationState.ON_HOLD]))
            .where(Activation.version == version)
            .values(
                state=ActivationState.CLAIMED,
                claimed_by=actor.id,
                claimed_by_name=actor.name[:200],
                claimed_at=now,
                held_until=None,
                hold_reason=None,
                offered_to=None,
                offered_at=None,
            )
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(activation)
    if not changed:
        # Someone else got there first (or changed it) between the read and the update.
        if activation.claimed_by is not None and activation.claimed_by != actor.id:
            raise HeldByOther(activation)
        if ActivationState(activation.state) is ActivationState.CLOSED:
            raise WrongState(activation, "the activation is already closed", "closed")
        raise StaleVersion(activation, version)
    first = activation.acknowledged_at is None
    if first:
        activation.acknowledged_at = now
    _entry(
        session,
        activation,
        "claimed",
        actor,
        now,
        resumed=before["state"] == ActivationState.ON_HOLD.value,
        first=first,
    )
    return _done(session, activation, "claim", before, feed.CLAIMED)


def release(
    session: Session,
    actor: Actor,
    activation_id: uuid.UUID,
    *,
    version: int,
    now: datetime | None = None,
) -> Activation:
    """Give a claimed activation back to the queue, open for anyone."""
    now = now or utcnow()
    activation = _load(session, actor, activation_id, version)
    if activation.state is not ActivationState.CLAIMED:
        raise WrongState(activation, "the activation is not claimed", "not_claimed")
    _holder_or_lead(activation, actor)
    before = _state(activation)
    _entry(session, activation, "released", actor, now, holder=activation.claimed_by_name)
    _unclaim(activation)
    activation.state = ActivationState.OPEN
    return _done(session, activation, "release", before, feed.UPDATED)


def _unclaim(activation: Activation) -> None:
    activation.claimed_by = None
    activation.claimed_by_name = None
    activation.claimed_at = None
    activation.offered_to = None
    activation.offered_at = None


def hold(
    session: Session,
    actor: Actor,
    activation_id: uuid.UUID,
    *,
    version: int,
    reason: str,
    until: datetime,
    now: datetime | None = None,
) -> Activation:
    """Park a claimed activation with a reason until a time; it then returns as open."""
    now = now or utcnow()
    activation = _load(session, actor, activation_id, version)
    _holder_or_lead(activation, actor)
    why = _text(reason, "reason", REASON_MAX, required=True)
    if until.tzinfo is None:
        raise InvalidInput("until needs a time zone", field="until", rule="timezone")
    if until <= now:
        raise InvalidInput("until must be in the future", field="until", rule="future")
    if until - now > MAX_HOLD:
        raise InvalidInput("until is at most 7 days ahead", field="until", rule="max_hold")
    before = _state(activation)
    _entry(
        session,
        activation,
        "held",
        actor,
        now,
        why,
        until=until.isoformat(),
        holder=activation.claimed_by_name,
    )
    _unclaim(activation)
    activation.state = ActivationState.ON_HOLD
    activation.held_until = until
    activation.hold_reason = why
    return _done(session, activation, "hold", before, feed.UPDATED)


def wake_held(session: Session, now: datetime | None = None) -> list[Activation]:
    """Return every parked activation whose time has come to the queue, open."""
    now = now or utcnow()
    due = list(
        session.execute(
            select(Activation)
            .where(Activation.state == ActivationState.ON_HOLD)
            .where(Activation.held_until <= now)
            .order_by(Activation.held_until)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    for activation in due:
        actor = system_actor(CENTRE_NAME, activation.tenant_id)
        before = _state(activation)
        _entry(
            session,
            activation,
            "returned",
            actor,
            now,
            activation.hold_reason or "",
            held_until=None if activation.held_until is None else activation.held_until.isoformat(),
        )
        activation.state = ActivationState.OPEN
        activation.held_until = None
        _done(session, activation, "return", before, feed.UPDATED, actor)
    return due


def centre_staff(session: Session, centre: uuid.UUID) -> list[StaffMember]:
    """The active operators and shift leaders of a centre (the municipality running it)."""
    users = session.execute(
        select(User).where(User.tenant_id == centre).where(User.active.is_(True))
    ).scalars()
    return sorted(
        (
            StaffMember(user.id, user.display_name)
            for user in users
            if any(
                permission in assignment.role.permissions
                for assignment in user.assignments
                for permission in STAFF
            )
        ),
        key=lambda member: member.name.casefold(),
    )


def hand_over(
    session: Session,
    actor: Actor,
    activation_id: uuid.UUID,
    *,
    version: int,
    to: uuid.UUID,
    note: str = "",
    now: datetime | None = None,
) -> Activation:
    """Give the activation to another operator of the same centre, who then holds it."""
    now = now or utcnow()
    activation = _load(session, actor, activation_id, version)
    _holder_or_lead(activation, actor)
    text = _text(note, "note", NOTE_MAX, required=False)
    assert actor.tenant_id is not None
    staff = {member.id: member for member in centre_staff(session, actor.tenant_id)}
    target = staff.get(to)
    if target is None:
        raise InvalidInput(
            "hand over to an operator of this centre", field="to", rule="centre_staff"
        )
    if target.id == activation.claimed_by:
        raise InvalidInput(
            "the activation is already with this operator", field="to", rule="other_operator"
        )
    before = _state(activation)
    _entry(
        session,
        activation,
        "handed_over",
        actor,
        now,
        text,
        from_name=activation.claimed_by_name,
        to_id=str(target.id),
        to=target.name,
    )
    activation.state = ActivationState.CLAIMED
    activation.claimed_by = target.id
    activation.claimed_by_name = target.name[:200]
    activation.claimed_at = now
    activation.held_until = None
    activation.hold_reason = None
    activation.offered_to = None
    activation.offered_at = None
    if activation.acknowledged_at is None:
        activation.acknowledged_at = now
    return _done(session, activation, "handover", before, feed.CLAIMED)


def escalate(
    session: Session,
    actor: Actor,
    activation_id: uuid.UUID,
    *,
    version: int,
    note: str,
    now: datetime | None = None,
) -> Activation:
    """Ask the shift leader to look at it (their queue marks it), with a note saying why."""
    now = now or utcnow()
    activation = _load(session, actor, activation_id, version)
    text = _text(note, "note", NOTE_MAX, required=True)
    before = _state(activation)
    _entry(session, activation, "escalated", actor, now, text)
    if activation.escalated_at is None:
        activation.escalated_at = now
    return _done(session, activation, "escalate", before, feed.UPDATED)


def add_note(
    session: Session,
    actor: Actor,
    activation_id: uuid.UUID,
    *,
    version: int,
    text: str,
    now: datetime | None = None,
) -> Activation:
    """Write a line in the activation's timeline (what was said on a call, say)."""
    now = now or utcnow()
    activation = _load(session, actor, activation_id, version)
    written = _text(text, "text", NOTE_MAX, required=True)
    before = _state(activation)
    _entry(session, activation, "note", actor, now, written)
    return _done(session, activation, "note", before, feed.UPDATED)


def close(
    session: Session,
    actor: Actor,
    activation_id: uuid.UUID,
    *,
    version: int,
    cause: Cause,
    note: str = "",
    now: datetime | None = None,
) -> Activation:
    """Close with a cause and a note, once every guard (mandatory plan steps) agrees."""
    now = now or utcnow()
    activation = _load(session, actor, activation_id, version)
    _holder_or_lead(activation, actor)
    text = _text(note, "note", NOTE_MAX, required=cause in NOTE_REQUIRED)
    objections = guards.objections(session, activation)
    if objections:
        raise NotClosable(activation, objections)
    before = _state(activation)
    _entry(session, activation, "closed", actor, now, text, cause=cause.value)
    activation.state = ActivationState.CLOSED
    activation.cause = cause
    activation.close_note = text or None
    activation.closed_at = now
    activation.closed_by_name = actor.name[:200]
    activation.held_until = None
    activation.offered_to = None
    activation.offered_at = None
    if activation.acknowledged_at is None:
        activation.acknowledged_at = now
    return _done(session, activation, "close", before, feed.CLOSED)


def timeline(session: Session, activation: Activation) -> list[ActivationEntry]:
    """Every line of an activation's timeline, oldest first."""
    return list(
        session.execute(
            select(ActivationEntry)
            .where(ActivationEntry.activation_id == activation.id)
            .order_by(ActivationEntry.at, ActivationEntry.id)
        ).scalars()
    )


def detail(session: Session, actor: Actor, activation_id: uuid.UUID) -> Activation:
    """An activation the actor may read (another tenant's is not found)."""
    require(actor, "centre.read")
    return visible_activation(session, actor, activation_id)
