"""The statistics and escalations as the API answers them (JSON)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from stadsvakt.centre.escalation import Escalation
from stadsvakt.centre.stats.figures import (
    CategoryCounts,
    HandlingTimes,
    Operators,
    Report,
    ResponseTimes,
)
from stadsvakt.centre.stats.period import Period


class PeriodOut(BaseModel):
    """Swedish days, both included; ``start`` and ``end`` the UTC moments they span."""

    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    start: datetime
    end: datetime
    hours: int


class CountOut(BaseModel):
    """Activations of one category in one day (``YYYY-MM-DD``) or month (``YYYY-MM``)."""

    key: str
    category: str
    count: int


class SiteFalseOut(BaseModel):
    """A site's closed activations and those closed as false alarms."""

    site_id: uuid.UUID
    site_name: str
    closed: int
    false: int
    ratio: float


class TargetOut(BaseModel):
    """One service-level target and how it fared: ``met`` is null with nothing measured."""

    within_s: int
    target_percent: float
    within: int
    total: int
    share_percent: float | None
    met: bool | None


class PercentilesOut(BaseModel):
    """Seconds; null with nothing measured."""

    p50: float | None
    p90: float | None
    p99: float | None


class HandlingOut(BaseModel):
    """Acknowledgement (claim) and closing times against the targets."""

    acknowledged: int
    waiting: int
    closed: int
    acknowledge_s: PercentilesOut
    close_s: PercentilesOut
    targets: list[TargetOut]
    truncated: bool


class UnitTypeOut(BaseModel):
    """Response times (dispatched to arrived) of one unit type."""

    unit_type: str
    dispatched: int
    arrived: int
    response_s: PercentilesOut


class OperatorOut(BaseModel):
    """An operator's claims: how many, in how many hours, per hour, the busiest hour."""

    name: str
    claimed: int
    hours: int
    per_hour: float
    peak: int


class FloodHourOut(BaseModel):
    """An hour in flood (its start, with the Swedish offset)."""

    hour: datetime
    opened: int
    operators: int


class OperatorsOut(BaseModel):
    """Operators' load and the share of the period's hours in flood."""

    rate_per_hour: int
    hours: int
    flood_hours: list[FloodHourOut]
    flood_share: float
    operators: list[OperatorOut]


class StatisticsOut(BaseModel):
    """Every statistic of a period."""

    period: PeriodOut
    municipality_id: uuid.UUID | None
    total: int
    per_day: list[CountOut]
    per_month: list[CountOut]
    false_alarms: list[SiteFalseOut]
    handling: HandlingOut
    response_times: list[UnitTypeOut]
    operators: OperatorsOut


class EscalationOut(BaseModel):
    """An escalated activation not yet closed."""

    activation_id: uuid.UUID
    tenant_id: uuid.UUID
    site_id: uuid.UUID | None
    title: str
    category: str
    priority: int
    state: str
    opened_at: datetime
    escalated_at: datetime | None
    claimed_by_name: str | None
    reason: str
    limit_s: int | None
    escalated_by: str
    note: str


def _percentiles(values: dict[int, float | None]) -> PercentilesOut:
    return PercentilesOut(p50=values.get(50), p90=values.get(90), p99=values.get(99))


def _counts(counts: CategoryCounts) -> list[CountOut]:
    return [
        CountOut(key=key, category=category, count=counts.count(key, category))
        for key in counts.keys
        for category in counts.categories
        if counts.count(key, category)
    ]


def period_out(period: Period) -> PeriodOut:
    """A period as JSON."""
    return PeriodOut(
        first=period.first,
        last=period.last,
        start=period.start,
        end=period.end,
        hours=period.hours(),
    )


def handling_out(handling: HandlingTimes) -> HandlingOut:
    """Handling times as JSON."""
    return HandlingOut(
        acknowledged=handling.acknowledged,
        waiting=handling.waiting,
        closed=handling.closed,
        acknowledge_s=_percentiles(handling.ack_percentiles),
        close_s=_percentiles(handling.close_percentiles),
        targets=[
            TargetOut(
                within_s=o.target.seconds,
                target_percent=o.target.share,
                within=o.within,
                total=o.total,
                share_percent=o.share,
                met=o.met,
            )
            for o in handling.outcomes
        ],
        truncated=handling.truncated,
    )


def _response(response: ResponseTimes) -> list[UnitTypeOut]:
    return [
        UnitTypeOut(
            unit_type=t.unit_type,
            dispatched=t.dispatched,
            arrived=t.arrived,
            response_s=_percentiles(t.percentiles),
        )
        for t in response.by_type
    ]


def _operators(load: Operators) -> OperatorsOut:
    return OperatorsOut(
        rate_per_hour=load.rate,
        hours=load.hours,
        flood_hours=[
            FloodHourOut(hour=h.hour, opened=h.opened, operators=h.operators)
            for h in load.flood_hours
        ],
        flood_share=load.flood_share,
        operators=[
            OperatorOut(
                name=o.name, claimed=o.claimed, hours=o.hours, per_hour=o.per_hour, peak=o.peak
            )
            for o in load.operators
        ],
    )


def statistics_out(report: Report, municipality: uuid.UUID | None) -> StatisticsOut:
    """A report as JSON."""
    return StatisticsOut(
        period=period_out(report.period),
        municipality_id=municipality,
        total=report.total,
        per_day=_counts(report.by_day),
        per_month=_counts(report.by_month),
        false_alarms=[
            SiteFalseOut(
                site_id=s.site_id,
                site_name=s.site_name,
                closed=s.closed,
                false=s.false,
                ratio=s.ratio,
            )
            for s in report.false_alarms
        ],
        handling=handling_out(report.handling),
        response_times=_response(report.response),
        operators=_operators(report.operators),
    )


def escalation_out(found: Escalation) -> EscalationOut:
    """An escalation as JSON."""
    row = found.activation
    return EscalationOut(
        activation_id=row.id,
        tenant_id=row.tenant_id,
        site_id=row.site_id,
        title=row.title,
        category=row.category,
        priority=row.priority,
        state=row.state.value,
        opened_at=row.opened_at,
        escalated_at=row.escalated_at,
        claimed_by_name=row.claimed_by_name,
        reason=found.reason,
        limit_s=found.limit_s,
        escalated_by=found.actor_name,
        note=found.note,
    )
