"""What is going on in the demo's safety centre the moment it starts.

A confirmed intrusion at the upper-secondary school, handled by the second operator
with the first guard on the way (so the guard's phone page has a job), a power fault in
the served municipality put on hold, and two activations still waiting in the queue: an
intrusion at the city hall, which has cameras, and a care recipient's social alarm.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import TransmitterProtocol
from stadsvakt.centre import dispatch as dispatching
from stadsvakt.centre.handling import claim, hold
from stadsvakt.centre.models import Activation, ActivationState
from stadsvakt.centre.plans.service import complete_step
from stadsvakt.centre.units.models import FieldUnit, UnitType
from stadsvakt.context import Actor
from stadsvakt.demo.seed_history import AlarmMaker, Sender
from stadsvakt.org.models import Site

#: The sites of the scenes (the demo's own codes; a scene whose site is missing is left out).
SCHOOL, CITY_HALL, SERVED_HALL = "SB-022", "SB-040", "GB-004"


def _sender(
    senders: Sequence[Sender], site: Site | None, protocol: TransmitterProtocol
) -> Sender | None:
    if site is None:
        return None
    return next((s for s in senders if s.site_id == site.id and s.protocol is protocol), None)


def _open_by_site(session: Session) -> dict[uuid.UUID | None, Activation]:
    rows = session.scalars(
        select(Activation)
        .where(Activation.state == ActivationState.OPEN)
        .order_by(Activation.opened_at)
    )
    return {row.site_id: row for row in rows}


def _guard(units: Sequence[FieldUnit]) -> FieldUnit | None:
    """Väktare 1, whose phone the demo's guard user holds."""
    guards = [u for u in units if u.unit_type is UnitType.GUARD]
    return next((u for u in guards if u.user_id is not None), guards[0] if guards else None)


def _school_in_hand(
    session: Session,
    activation: Activation,
    operator: Actor,
    guard: FieldUnit | None,
    now: datetime,
) -> None:
    """Claimed, the keyholder not reached, a guard sent and on the way."""
    claim(
        session,
        operator,
        activation.id,
        version=activation.version,
        now=now - timedelta(seconds=150),
    )
    if guard is not None:
        sent = dispatching.dispatch(
            session, operator, activation.id, guard.id, now=now - timedelta(seconds=120)
        )
        dispatching.accept(session, operator, sent.id, now=now - timedelta(seconds=95))
    complete_step(session, operator, activation.id, 0, "not_reached", "Nyckelhållaren svarar inte.")


def _fault_on_hold(
    session: Session, activation: Activation, operator: Actor, now: datetime
) -> None:
    """Claimed, then parked until the grid is expected back."""
    claim(
        session,
        operator,
        activation.id,
        version=activation.version,
        now=now - timedelta(minutes=24),
    )
    hold(
        session,
        operator,
        activation.id,
        version=activation.version,
        reason="Strömavbrott i Grannby centrum enligt nätägaren; väntar på återställning.",
        until=now + timedelta(minutes=50),
        now=now - timedelta(minutes=23),
    )


def seed_present(
    session: Session,
    alarms: AlarmMaker,
    *,
    senders: Sequence[Sender],
    operators: Sequence[Actor],
    units: Sequence[FieldUnit],
    sites: Mapping[str, Site],
    now: datetime,
) -> int:
    """Store the scenes' alarms and handle them as far as they have got; returns how many
    activations are open."""
    panel = TransmitterProtocol.DC09_SIA
    school = _sender(senders, sites.get(SCHOOL), panel)
    hall = _sender(senders, sites.get(CITY_HALL), panel)
    served = _sender(senders, sites.get(SERVED_HALL), panel)
    social = next((s for s in senders if s.protocol is TransmitterProtocol.SCAIP), None)
    if school is not None:  # a second zone within minutes: a confirmed alarm
        alarms.sia(school, now - timedelta(minutes=4), "BA", 3)
        alarms.sia(school, now - timedelta(minutes=3), "BA", 5)
    if served is not None:
        alarms.sia(served, now - timedelta(minutes=25), "AT", 1)
    if hall is not None:
        alarms.sia(hall, now - timedelta(seconds=40), "BA", 2)
    if social is not None:
        alarms.social(social, now - timedelta(seconds=90), fall=False)
    alarms.store(session)
    opened = _open_by_site(session)
    operator = operators[-1]
    if school is not None and school.site_id in opened:
        _school_in_hand(session, opened[school.site_id], operator, _guard(units), now)
    if served is not None and served.site_id in opened:
        _fault_on_hold(session, opened[served.site_id], operator, now)
    return len(opened)
