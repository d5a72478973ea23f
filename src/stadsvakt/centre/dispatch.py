"""Dispatch: sending a field unit to an activation's site, and the unit's steps there.

An operator asks for suggestions (:func:`suggest`: the *available* units of the type the
plan's dispatch step names, nearest first by the haversine distance from the site to
each unit's last position) and dispatches one (:func:`dispatch`); a unit that is off
duty, busy or already dispatched is refused with a 409 naming its status. The unit then
accepts, reports arrival and clears on its phone (:func:`accept`, :func:`arrive`,
:func:`clear`); the centre may call it off (:func:`cancel`). Each step is timestamped on
the :class:`~stadsvakt.centre.units.models.Dispatch`, written on the activation's timeline
(kinds ``dispatched``, ``accepted``, ``arrived``, ``cleared``, ``dispatch_cancelled``),
announced on the queue feed as ``updated`` and audited. ``arrived_at - dispatched_at`` is
the response time (inställelsetid).

A dispatch not accepted within ``centre.dispatch_accept_s`` escalates
(:func:`escalate_unanswered`, run periodically): it is marked, the activation is flagged
for the shift leader (``escalated_at``) with an ``escalated`` timeline line whose reason is
``dispatch_unanswered``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from stadsvakt.audit.service import record, snapshot
from stadsvakt.centre import feed
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationState
from stadsvakt.centre.positions import haversine_m
from stadsvakt.centre.tenancy import restrict, visible_activation
from stadsvakt.centre.units.models import Dispatch, FieldUnit, UnitStatus, UnitType
from stadsvakt.centre.units.service import REPORT, get_unit, own_unit
from stadsvakt.context import Actor, system_actor
from stadsvakt.db import utcnow
from stadsvakt.errors import Conflict, NotFound
from stadsvakt.org.models import Site
from stadsvakt.settings import CentreSettings

#: Rough travel speeds (metres a second) for an arrival estimate: guards, officers and
#: home-care responders drive in town; safety hosts walk.
SPEED_M_S: dict[UnitType, float] = {
    UnitType.GUARD: 9.0,
    UnitType.SECURITY_OFFICER: 9.0,
    UnitType.SAFETY_HOST: 1.4,
    UnitType.HOME_CARE: 8.0,
}
#: Seconds added to every estimate: getting going.
START_S = 60
#: The timeline line an unanswered dispatch adds (the same kind unclaimed escalations use).
ESCALATED = "escalated"
UNANSWERED = "dispatch_unanswered"


class UnitNotAvailable(Conflict):
    """The unit cannot be dispatched now: its status says why."""

    code = "unit_not_available"
    title = "Unit not available"


class StepRefused(Conflict):
    """The dispatch is not at a point where this step can be taken."""

    code = "dispatch_step_refused"
    title = "Dispatch step refused"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A unit that could be sent, with its distance to the site and a rough arrival time."""

    unit: FieldUnit
    distance_m: float | None
    eta_s: int | None


def eta_s(unit_type: UnitType, distance_m: float | None) -> int | None:
    """A rough arrival estimate in seconds (``None`` without a distance)."""
    if distance_m is None:
        return None
    return START_S + round(distance_m / SPEED_M_S[unit_type])


def _site_point(session: Session, activation: Activation) -> tuple[float, float] | None:
    if activation.site_id is None:
        return None
    site = session.get(Site, activation.site_id)
    return None if site is None else (site.latitude, site.longitude)


def _distance(point: tuple[float, float] | None, unit: FieldUnit) -> float | None:
    if point is None or unit.latitude is None or unit.longitude is None:
        return None
    return haversine_m(point[0], point[1], unit.latitude, unit.longitude)


def suggest(
    session: Session,
    actor: Actor,
    activation: Activation,
    unit_type: UnitType | None = None,
    *,
    limit: int = 5,
) -> list[Suggestion]:
    """The available units (of ``unit_type`` when given) nearest the activation's site
    first; units without a known position come last, by call sign."""
    stmt = restrict(
        select(FieldUnit).where(FieldUnit.status == UnitStatus.AVAILABLE),
        session,
        actor,
        "centre.operate",
        FieldUnit,
    )
    if unit_type is not None:
        stmt = stmt.where(FieldUnit.unit_type == unit_type)
    point = _site_point(session, activation)
    found = [
        Suggestion(unit, distance, eta_s(unit.unit_type, distance))
        for unit in session.execute(stmt).scalars()
        for distance in [_distance(point, unit)]
    ]
    found.sort(
        key=lambda s: (s.distance_m is None, s.distance_m or 0.0, s.unit.call_sign.casefold())
    )
    return found[:limit]


def _bump(session: Session, activation: Activation) -> None:
    activation.version += 1
    feed.publish(session, [(activation, feed.UPDATED)])


def _entry(
    session: Session,
    activation: Activation,
    kind: str,
    actor: Actor,
    at: datetime,
    text: str,
    **data: Any,
) -> None:
    session.add(
        ActivationEntry(
            activation_id=activation.id,
            at=at,
            kind=kind,
            actor_id=actor.id,
            actor_name=actor.name[:200],
            text=text[:2000],
            data=data,
        )
    )


def _audit(
    session: Session,
    action: str,
    row: Dispatch,
    before: dict[str, Any] | None,
    actor: Actor | None = None,
) -> None:
    record(
        session,
        action=f"dispatch.{action}",
        object_type="dispatch",
        object_id=row.id,
        object_text=f"{row.unit_name} → {row.activation_id}",
        tenant_id=row.tenant_id,
        before=before,
        after=snapshot(row),
        actor=actor,
    )


def _details(row: Dispatch) -> dict[str, Any]:
    return {
        "dispatch_id": str(row.id),
        "unit_id": None if row.unit_id is None else str(row.unit_id),
        "unit": row.unit_name,
        "unit_type": row.unit_type.value,
    }


def dispatch(
    session: Session,
    actor: Actor,
    activation_id: uuid.UUID,
    unit_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> Dispatch:
    """Send an available unit to the activation's site (``centre.operate``)."""
    now = now or utcnow()
    activation = visible_activation(
        session, actor, activation_id, "centre.operate", for_update=True
    )
    if activation.state is ActivationState.CLOSED:
        raise Conflict("the activation is closed", field="activation_id", rule="closed")
    unit = get_unit(session, actor, unit_id, "centre.operate", for_update=True)
    if unit.status is not UnitStatus.AVAILABLE:
        raise UnitNotAvailable(
            f"{unit.call_sign} is {unit.status.value.replace('_', ' ')}: only an available "
            "unit can be dispatched",
            field="unit_id",
            rule="unit_not_available",
            unit_status=unit.status.value,
        )
    distance = _distance(_site_point(session, activation), unit)
    row = Dispatch(
        id=uuid.uuid4(),
        tenant_id=activation.tenant_id,
        activation_id=activation.id,
        unit_id=unit.id,
        unit_type=unit.unit_type,
        unit_name=f"{unit.call_sign} ({unit.name})"[:250],
        distance_m=distance,
        dispatched_at=now,
        dispatched_by_id=actor.id,
        dispatched_by_name=actor.name[:200],
    )
    session.add(row)
    unit.status, unit.status_at = UnitStatus.DISPATCHED, now
    details = _details(row) | {"distance_m": None if distance is None else round(distance)}
    _entry(session, activation, "dispatched", actor, now, row.unit_name, **details)
    _bump(session, activation)
    session.flush()
    _audit(session, "create", row, None)
    return row


def get_dispatch(
    session: Session, actor: Actor, dispatch_id: uuid.UUID, *, for_update: bool = False
) -> Dispatch:
    """A dispatch its own unit (phone or device) or centre staff who see its activation
    may act on; else :class:`NotFound`."""
    stmt = select(Dispatch).where(Dispatch.id == dispatch_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound("dispatch not found")
    own = own_unit(session, actor)
    if own is not None and row.unit_id == own.id:
        return row
    if actor.can("centre.read") or actor.can("centre.operate"):
        permission = "centre.operate" if actor.can("centre.operate") else "centre.read"
        visible_activation(session, actor, row.activation_id, permission)
        return row
    if actor.can(REPORT):
        raise NotFound("dispatch not found")
    visible_activation(session, actor, row.activation_id)  # raises Forbidden
    return row


def _step(
    session: Session, actor: Actor, dispatch_id: uuid.UUID, step: str, now: datetime | None
) -> tuple[Dispatch, Activation, FieldUnit | None, dict[str, Any], datetime]:
    row = get_dispatch(session, actor, dispatch_id, for_update=True)
    if not row.open:
        raise StepRefused(
            f"the dispatch is already {row.step}: it cannot be {step}",
            field="dispatch_id",
            rule="dispatch_closed",
            step=row.step,
        )
    activation = session.execute(
        select(Activation).where(Activation.id == row.activation_id).with_for_update()
    ).scalar_one()
    unit = None if row.unit_id is None else session.get(FieldUnit, row.unit_id)
    return row, activation, unit, snapshot(row), now or utcnow()


def accept(
    session: Session, actor: Actor, dispatch_id: uuid.UUID, *, now: datetime | None = None
) -> Dispatch:
    """The unit accepts the job."""
    row, activation, _, before, now = _step(session, actor, dispatch_id, "accepted", now)
    if row.accepted_at is not None:
        raise StepRefused(
            "the dispatch is already accepted", field="dispatch_id", rule="already_accepted"
        )
    row.accepted_at = now
    waited = round((now - row.dispatched_at).total_seconds())
    _entry(
        session, activation, "accepted", actor, now, row.unit_name, **_details(row), waited_s=waited
    )
    _bump(session, activation)
    _audit(session, "accept", row, before)
    return row


def arrive(
    session: Session, actor: Actor, dispatch_id: uuid.UUID, *, now: datetime | None = None
) -> Dispatch:
    """The unit is at the site: the response time is counted to now."""
    row, activation, unit, before, now = _step(session, actor, dispatch_id, "arrived", now)
    if row.arrived_at is not None:
        raise StepRefused("the unit has already arrived", field="dispatch_id", rule="arrived")
    if row.accepted_at is None:  # arriving says yes as well
        row.accepted_at = now
    row.arrived_at = now
    if unit is not None:
        unit.status, unit.status_at = UnitStatus.ON_SITE, now
    response = round((now - row.dispatched_at).total_seconds())
    _entry(
        session,
        activation,
        "arrived",
        actor,
        now,
        row.unit_name,
        **_details(row),
        response_s=response,
    )
    _bump(session, activation)
    _audit(session, "arrive", row, before)
    return row


def clear(
    session: Session, actor: Actor, dispatch_id: uuid.UUID, *, now: datetime | None = None
) -> Dispatch:
    """The unit is done at the site and available again."""
    row, activation, unit, before, now = _step(session, actor, dispatch_id, "cleared", now)
    row.cleared_at = now
    if row.accepted_at is None:
        row.accepted_at = now
    if unit is not None:
        unit.status, unit.status_at = UnitStatus.AVAILABLE, now
    _entry(session, activation, "cleared", actor, now, row.unit_name, **_details(row))
    _bump(session, activation)
    _audit(session, "clear", row, before)
    return row


def cancel(
    session: Session, actor: Actor, dispatch_id: uuid.UUID, *, now: datetime | None = None
) -> Dispatch:
    """The centre calls the unit off (``centre.operate``); the unit is available again."""
    row = get_dispatch(session, actor, dispatch_id)
    visible_activation(session, actor, row.activation_id, "centre.operate")
    row, activation, unit, before, now = _step(session, actor, dispatch_id, "cancelled", now)
    row.cancelled_at = now
    if unit is not None:
        unit.status, unit.status_at = UnitStatus.AVAILABLE, now
    _entry(session, activation, "dispatch_cancelled", actor, now, row.unit_name, **_details(row))
    _bump(session, activation)
    _audit(session, "cancel", row, before)
    return row


def dispatches_of(session: Session, actor: Actor, activation_id: uuid.UUID) -> list[Dispatch]:
    """The activation's dispatches, oldest first (``centre.read``)."""
    visible_activation(session, actor, activation_id)
    return list(
        session.execute(
            select(Dispatch)
            .where(Dispatch.activation_id == activation_id)
            .order_by(Dispatch.dispatched_at)
        ).scalars()
    )


def current_job(session: Session, unit: FieldUnit) -> Dispatch | None:
    """The unit's open dispatch, if any."""
    return session.execute(
        select(Dispatch)
        .where(Dispatch.unit_id == unit.id)
        .where(Dispatch.cleared_at.is_(None))
        .where(Dispatch.cancelled_at.is_(None))
        .order_by(Dispatch.dispatched_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def escalate_unanswered(
    session: Session, now: datetime | None = None, *, accept_s: int | None = None
) -> list[Dispatch]:
    """Escalate every open dispatch not accepted within ``accept_s`` seconds (default:
    ``CentreSettings().dispatch_accept_s``): mark it, flag its activation for the shift
    leader and write the timeline line. Safe to run in every process at once (a
    conditional update marks each dispatch once). The caller commits."""
    now = now or utcnow()
    limit = accept_s if accept_s is not None else CentreSettings().dispatch_accept_s
    due = now - timedelta(seconds=limit)
    candidates = list(
        session.execute(
            select(Dispatch.id)
            .where(Dispatch.accepted_at.is_(None))
            .where(Dispatch.escalated_at.is_(None))
            .where(Dispatch.cleared_at.is_(None))
            .where(Dispatch.cancelled_at.is_(None))
            .where(Dispatch.dispatched_at <= due)
            .order_by(Dispatch.dispatched_at)
            .limit(500)
        ).scalars()
    )
    actor = system_actor("stadsvakt centre")
    done: list[Dispatch] = []
    for dispatch_id in candidates:
        marked = session.execute(
            update(Dispatch)
            .where(Dispatch.id == dispatch_id)
            .where(Dispatch.escalated_at.is_(None))
            .where(Dispatch.accepted_at.is_(None))
            .values(escalated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(marked, "rowcount", 0) != 1:
            continue
        row = session.get_one(Dispatch, dispatch_id, populate_existing=True)
        activation = session.execute(
            select(Activation).where(Activation.id == row.activation_id).with_for_update()
        ).scalar_one()
        if activation.escalated_at is None:
            activation.escalated_at = now
        waited = round((now - row.dispatched_at).total_seconds())
        _entry(
            session,
            activation,
            ESCALATED,
            actor,
            now,
            row.unit_name,
            reason=UNANSWERED,
            limit_s=limit,
            waited_s=waited,
            **_details(row),
        )
        _bump(session, activation)
        _audit(session, "escalate", row, None, actor)
        done.append(row)
    return done


def response_times(rows: Sequence[Dispatch]) -> list[float]:
    """The response times (seconds) of the dispatches that arrived."""
    return [r.response_s for r in rows if r.response_s is not None]
