"""What needs an operator's attention in alarm reception, counted for the dashboard:
transmitters in path failure (silent past their interval) and the alarms received per day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Alarm, Transmitter
from stadsvakt.auth.scope import restrict
from stadsvakt.context import Actor
from stadsvakt.perday import DayCount, day_bucket


def silent_transmitters(session: Session, actor: Actor) -> int:
    """How many transmitters the actor sees are in path failure now (supervision raised a
    failure and no frame has come since)."""
    stmt = (
        select(func.count()).select_from(Transmitter).where(Transmitter.path_failed_at.is_not(None))
    )
    return int(session.scalar(restrict(stmt, Transmitter, actor, "transmitter.read")) or 0)


def alarms_per_day(session: Session, actor: Actor, *, bounds: Sequence[datetime]) -> list[DayCount]:
    """Alarms received per day and category, the days being the spans between ``bounds``
    (local midnights), at the sites the actor sees."""
    day = day_bucket(Alarm.received_at, bounds)
    stmt = select(day, Alarm.category, func.count()).where(
        Alarm.received_at >= bounds[0], Alarm.received_at < bounds[-1]
    )
    rows = session.execute(restrict(stmt, Alarm, actor, "alarm.read").group_by(day, Alarm.category))
    return [DayCount(int(d), str(category), int(n)) for d, category, n in rows]
