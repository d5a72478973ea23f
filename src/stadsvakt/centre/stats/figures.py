"""The centre's statistics, each an aggregation in SQL limited to what the reader sees.

Every function takes a :class:`Scope` (the reader, and optionally one municipality) and
a :class:`~stadsvakt.centre.stats.period.Period`, and counts activations *opened* in
the period (operator figures: *claimed* in it; response times: units *dispatched* in
it). Counting happens in the database, grouped by UTC hour; durations are read as
timestamps (a bounded number of rows) and their percentiles computed in Python, so
SQLite and PostgreSQL give identical figures.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import (
    Select,
    and_,
    case,
    func,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.auth.scope import require
from stadsvakt.centre.models import Activation, ActivationState, Cause
from stadsvakt.centre.service_levels import (
    Outcome,
    ServiceLevels,
    Target,
    assess,
    percentiles,
)
from stadsvakt.centre.stats.period import Period, hour_bucket, local_hour
from stadsvakt.centre.tenancy import restrict, visible_tenants
from stadsvakt.centre.units.models import Dispatch
from stadsvakt.context import Actor
from stadsvakt.errors import NotFound
from stadsvakt.org.models import Municipality, Site

Ts = TypeVarTuple("Ts")
#: At most this many rows are read to compute one set of percentiles; a larger set is
#: cut at its oldest rows and the figures say so (``truncated``).
MAX_ROWS = 500_000


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose figures: what ``actor`` sees, narrowed to ``tenant`` when given."""

    actor: Actor
    tenant: uuid.UUID | None = None


def municipalities(session: Session, actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """The municipalities whose figures the actor may filter by (id and name, by name)."""
    require(actor, "centre.read")
    tenants = visible_tenants(session, actor)
    stmt = select(Municipality.id, Municipality.name).order_by(Municipality.name)
    if tenants is not None:
        stmt = stmt.where(Municipality.id.in_(sorted(tenants)))
    return [(row[0], row[1]) for row in session.execute(stmt)]


def scope_of(session: Session, actor: Actor, tenant: uuid.UUID | None) -> Scope:
    """The reader's scope, refusing a municipality they do not see as not found."""
    require(actor, "centre.read")
    if tenant is not None:
        tenants = visible_tenants(session, actor)
        if tenants is not None and tenant not in tenants:
            raise NotFound("municipality not found")
    return Scope(actor, tenant)


def _limited(stmt: Select[*Ts], session: Session, scope: Scope) -> Select[*Ts]:
    stmt = restrict(stmt, session, scope.actor)
    if scope.tenant is not None:
        stmt = stmt.where(Activation.tenant_id == scope.tenant)
    return stmt


def _opened_in(period: Period) -> ColumnElement[bool]:
    return and_(Activation.opened_at >= period.start, Activation.opened_at < period.end)


# --- activations per category ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CategoryCounts:
    """Activations per category and per day (``YYYY-MM-DD``) or month (``YYYY-MM``)."""

    keys: list[str]
    categories: list[str]
    counts: dict[tuple[str, str], int]

    def count(self, key: str, category: str) -> int:
        """Activations of a category in a day or month."""
        return self.counts.get((key, category), 0)

    def total(self, key: str) -> int:
        """Every category's activations in a day or month."""
        return sum(self.count(key, category) for category in self.categories)


def _per_category_hour(
    session: Session, scope: Scope, period: Period
) -> list[tuple[str, str, int]]:
    bucket = hour_bucket(session, Activation.opened_at)
    stmt = _limited(
        select(bucket, Activation.category, func.count())
        .where(_opened_in(period))
        .group_by(bucket, Activation.category),
        session,
        scope,
    )
    return [(row[0], row[1], int(row[2])) for row in session.execute(stmt)]


def per_category(
    session: Session, scope: Scope, period: Period, *, by: str = "day"
) -> CategoryCounts:
    """Activations opened per category per Swedish day (``by="day"``) or month."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for bucket, category, count in _per_category_hour(session, scope, period):
        local = local_hour(bucket)
        key = local.strftime("%Y-%m-%d") if by == "day" else local.strftime("%Y-%m")
        counts[(key, category)] += count
    keys = [day.isoformat() for day in period.days()] if by == "day" else period.months()
    categories = sorted({category for _, category in counts})
    return CategoryCounts(keys, categories, dict(counts))


# --- false alarms per site --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteFalseAlarms:
    """A site's closed activations and how many were closed as false alarms."""

    site_id: uuid.UUID
    site_name: str
    closed: int
    false: int

    @property
    def ratio(self) -> float:
        """The share closed as false, 0-1."""
        return self.false / self.closed if self.closed else 0.0


def false_alarms(session: Session, scope: Scope, period: Period) -> list[SiteFalseAlarms]:
    """Per site: activations closed, and closed with the cause ``false``; the highest
    false-alarm ratio first (then most false alarms, then the site's name)."""
    is_false = case((Activation.cause == Cause.FALSE, 1), else_=0)
    stmt = _limited(
        select(Activation.site_id, func.count(), func.sum(is_false))
        .where(_opened_in(period))
        .where(Activation.state == ActivationState.CLOSED)
        .where(Activation.site_id.is_not(None))
        .group_by(Activation.site_id),
        session,
        scope,
    )
    rows = [(row[0], int(row[1]), int(row[2] or 0)) for row in session.execute(stmt)]
    names = {
        row[0]: row[1]
        for row in session.execute(
            select(Site.id, Site.name).where(Site.id.in_([site for site, _, _ in rows]))
        )
    }
    found = [
        SiteFalseAlarms(site, names.get(site, ""), closed, false) for site, closed, false in rows
    ]
    return sorted(found, key=lambda s: (-s.ratio, -s.false, s.site_name, str(s.site_id)))


# --- handling times against the targets -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class HandlingTimes:
    """Acknowledgement and closing times in seconds, their percentiles and the targets.

    An activation counts towards acknowledgement when it was acknowledged (claimed), or
    when it still waits: then with the time it has waited so far (a lower bound; an
    unanswered alarm must count against the service level). One closed without ever
    being claimed (nobody had to answer it) does not count.
    """

    acknowledged: int
    waiting: int
    closed: int
    ack_percentiles: dict[int, float | None]
    close_percentiles: dict[int, float | None]
    outcomes: list[Outcome]
    truncated: bool = False

    @property
    def measured(self) -> int:
        """How many activations the acknowledgement figures cover."""
        return self.acknowledged + self.waiting


def handling_times(
    session: Session,
    scope: Scope,
    period: Period,
    *,
    targets: Sequence[Target] | None = None,
    now: datetime,
) -> HandlingTimes:
    """Acknowledgement and closing percentiles (p50/p90/p99) and each target's outcome
    (the default targets when none are given)."""
    targets = ServiceLevels().targets if targets is None else targets
    stmt = _limited(
        select(
            Activation.opened_at,
            Activation.acknowledged_at,
            Activation.closed_at,
            Activation.state,
        )
        .where(_opened_in(period))
        .order_by(Activation.opened_at.desc())
        .limit(MAX_ROWS + 1),
        session,
        scope,
    )
    rows = list(session.execute(stmt))
    truncated = len(rows) > MAX_ROWS
    ack: list[float] = []
    close: list[float] = []
    acknowledged = waiting = 0
    for opened, acked, closed_at, state in rows[:MAX_ROWS]:
        if acked is not None:
            acknowledged += 1
            ack.append(max(0.0, (acked - opened).total_seconds()))
        elif state != ActivationState.CLOSED:
            waiting += 1
            ack.append(max(0.0, (now - opened).total_seconds()))
        if closed_at is not None:
            close.append(max(0.0, (closed_at - opened).total_seconds()))
    return HandlingTimes(
        acknowledged=acknowledged,
        waiting=waiting,
        closed=len(close),
        ack_percentiles=percentiles(ack),
        close_percentiles=percentiles(close),
        outcomes=assess(ack, targets),
        truncated=truncated,
    )


# --- response times per unit type -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitTypeTimes:
    """Response times (inställelsetid: dispatched to arrived) of one unit type, in seconds."""

    unit_type: str
    dispatched: int
    arrived: int
    percentiles: dict[int, float | None]


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    """Response times per unit type, the most common type first."""

    by_type: list[UnitTypeTimes] = field(default_factory=list)
    truncated: bool = False


def response_times(session: Session, scope: Scope, period: Period) -> ResponseTimes:
    """Per unit type: units dispatched in the period, how many arrived (a dispatch called
    off before arriving counts as sent, not arrived), and the response time's
    percentiles; limited like the activations they were sent to."""
    stmt = _limited(
        select(Dispatch.unit_type, Dispatch.dispatched_at, Dispatch.arrived_at)
        .join(Activation, Activation.id == Dispatch.activation_id)
        .where(Dispatch.dispatched_at >= period.start)
        .where(Dispatch.dispatched_at < period.end)
        .order_by(Dispatch.dispatched_at.desc())
        .limit(MAX_ROWS + 1),
        session,
        scope,
    )
    rows = list(session.execute(stmt))
    times: dict[str, list[float]] = defaultdict(list)
    sent: dict[str, int] = defaultdict(int)
    for unit_type, dispatched, arrived in rows[:MAX_ROWS]:
        kind = str(unit_type.value)
        sent[kind] += 1
        if arrived is not None:
            times[kind].append(max(0.0, (arrived - dispatched).total_seconds()))
    ordered = sorted(sent, key=lambda kind: (-sent[kind], kind))
    return ResponseTimes(
        by_type=[
            UnitTypeTimes(kind, sent[kind], len(times[kind]), percentiles(times[kind]))
            for kind in ordered
        ],
        truncated=len(rows) > MAX_ROWS,
    )


# --- operators and flood -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OperatorLoad:
    """One operator's claims in the period: how many, in how many hours, the busiest hour."""

    name: str
    claimed: int
    hours: int
    peak: int

    @property
    def per_hour(self) -> float:
        """Activations claimed per hour in which the operator claimed any."""
        return self.claimed / self.hours if self.hours else 0.0


@dataclass(frozen=True, slots=True)
class FloodHour:
    """An hour (Swedish time) with more activations per operator than the flood rate."""

    hour: datetime
    opened: int
    operators: int

    @property
    def per_operator(self) -> float:
        """Activations opened per operator handling any (at least one) in the hour."""
        return self.opened / max(1, self.operators)


@dataclass(frozen=True, slots=True)
class Operators:
    """Operators' load and the share of the period's hours in flood.

    An hour is *in flood* when the activations opened in it, divided by the operators
    who claimed any activation in it (at least one), exceed ``rate`` per hour. The
    share in flood is flood hours over all the hours of the period.
    """

    operators: list[OperatorLoad]
    flood_hours: list[FloodHour]
    hours: int
    rate: int

    @property
    def flood_share(self) -> float:
        """The share of the period's hours in flood, 0-1."""
        return len(self.flood_hours) / self.hours if self.hours else 0.0


def operators(
    session: Session, scope: Scope, period: Period, *, rate: int | None = None
) -> Operators:
    """Activations per operator (by ``claimed_by_name``, bucketed by the hour of
    ``claimed_at``) and the hours in flood (above ``rate``, by default the default
    service levels' flood rate)."""
    rate = ServiceLevels().flood_rate_per_hour if rate is None else rate
    claimed = hour_bucket(session, Activation.claimed_at)
    claims = _limited(
        select(claimed, Activation.claimed_by_name, func.count())
        .where(Activation.claimed_by_name.is_not(None))
        .where(Activation.claimed_at >= period.start)
        .where(Activation.claimed_at < period.end)
        .group_by(claimed, Activation.claimed_by_name),
        session,
        scope,
    )
    per_operator: dict[str, list[int]] = defaultdict(list)
    staffed: dict[str, set[str]] = defaultdict(set)
    for bucket, name, count in session.execute(claims):
        if name is None:  # the query leaves none out; the column type allows them
            continue
        per_operator[name].append(int(count))
        staffed[bucket].add(name)
    opened = hour_bucket(session, Activation.opened_at)
    openings = _limited(
        select(opened, func.count()).where(_opened_in(period)).group_by(opened),
        session,
        scope,
    )
    flood = []
    for bucket, count in session.execute(openings):
        hour = FloodHour(local_hour(bucket), int(count), len(staffed.get(bucket, ())))
        if hour.per_operator > rate:
            flood.append(hour)
    loads = [
        OperatorLoad(name, sum(counts), len(counts), max(counts))
        for name, counts in per_operator.items()
    ]
    loads.sort(key=lambda load: (-load.claimed, load.name))
    return Operators(loads, sorted(flood, key=lambda hour: hour.hour), period.hours(), rate)


# --- everything at once -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Report:
    """Every statistic of one period and scope."""

    period: Period
    by_day: CategoryCounts
    by_month: CategoryCounts
    false_alarms: list[SiteFalseAlarms]
    handling: HandlingTimes
    response: ResponseTimes
    operators: Operators

    @property
    def total(self) -> int:
        """Activations opened in the period."""
        return sum(self.by_day.counts.values())


def report(
    session: Session, scope: Scope, period: Period, *, levels: ServiceLevels, now: datetime
) -> Report:
    """Every statistic for the period."""
    return Report(
        period=period,
        by_day=per_category(session, scope, period, by="day"),
        by_month=per_category(session, scope, period, by="month"),
        false_alarms=false_alarms(session, scope, period),
        handling=handling_times(session, scope, period, targets=levels.targets, now=now),
        response=response_times(session, scope, period),
        operators=operators(session, scope, period, rate=levels.flood_rate_per_hour),
    )
