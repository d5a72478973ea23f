"""What is open in the safety centre, counted for the dashboard: activations still in the
queue by state, how many of them are urgent (priority 1-2) and how many are escalated."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from stadsvakt.centre.models import Activation, ActivationState
from stadsvakt.centre.queue import OPEN_STATES
from stadsvakt.centre.tenancy import restrict
from stadsvakt.context import Actor

#: Priorities counted as urgent (fire, assault: 1 is the most urgent).
URGENT_PRIORITY = 2


@dataclass(frozen=True, slots=True)
class OpenActivations:
    """The queue as counts: waiting, being handled, parked, urgent and escalated."""

    by_state: dict[str, int]
    urgent: int
    escalated: int

    @property
    def total(self) -> int:
        """Every activation still in the queue."""
        return sum(self.by_state.values())


def open_activations(session: Session, actor: Actor) -> OpenActivations:
    """The activations the actor sees in the queue, counted (one grouped query)."""
    urgent = func.sum(case((Activation.priority <= URGENT_PRIORITY, 1), else_=0))
    escalated = func.sum(case((Activation.escalated_at.is_not(None), 1), else_=0))
    stmt = select(Activation.state, func.count(), urgent, escalated).where(
        Activation.state.in_(OPEN_STATES)
    )
    rows = session.execute(restrict(stmt, session, actor).group_by(Activation.state)).all()
    by_state = {state.value: 0 for state in OPEN_STATES}
    urgent_n = escalated_n = 0
    for state, count, urgent_rows, escalated_rows in rows:
        by_state[ActivationState(str(state)).value] = _int(count)
        urgent_n += _int(urgent_rows)
        escalated_n += _int(escalated_rows)
    return OpenActivations(by_state, urgent_n, escalated_n)


def _int(value: object) -> int:
    """A count as the driver gave it (a sum over no rows is NULL)."""
    return int(value) if isinstance(value, int | float | str) else 0
