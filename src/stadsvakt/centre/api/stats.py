"""The safety centre's statistics and escalations: ``GET /statistics`` (every statistic of a
period, in Swedish days) and ``GET /escalations`` (for shift leaders)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from stadsvakt.api.deps import ActorDep, ServicesDep, SessionDep
from stadsvakt.centre.escalation import escalated
from stadsvakt.centre.service_levels import from_settings
from stadsvakt.centre.stats import choose_period, report, scope_of
from stadsvakt.centre.stats.schemas import (
    EscalationOut,
    StatisticsOut,
    escalation_out,
    statistics_out,
)
from stadsvakt.db import utcnow

router = APIRouter(tags=["centre"])

Day = Annotated[
    date | None,
    Query(description="A Swedish day, YYYY-MM-DD (the period includes both ends)"),
]


@router.get("/statistics", response_model=StatisticsOut, response_model_by_alias=True)
def statistics(
    session: SessionDep,
    actor: ActorDep,
    services: ServicesDep,
    first: Annotated[Day, Query(alias="from")] = None,
    last: Annotated[Day, Query(alias="to")] = None,
    municipality: Annotated[
        uuid.UUID | None,
        Query(description="Only this municipality's figures (one the caller sees)"),
    ] = None,
) -> StatisticsOut:
    """Every statistic of a period (default: the last 30 Swedish days), counting what the
    caller sees: activations per category per day and month, false alarms per site,
    handling times against the service-level targets, response times per unit type,
    operators per hour and the share of hours in flood. Needs ``centre.read``."""
    now = utcnow()
    scope = scope_of(session, actor, municipality)
    period = choose_period(first, last, now)
    levels = from_settings(services.settings.centre)
    return statistics_out(report(session, scope, period, levels=levels, now=now), municipality)


@router.get("/escalations", response_model=list[EscalationOut])
def escalations(session: SessionDep, actor: ActorDep) -> list[EscalationOut]:
    """Escalated activations not yet closed, highest priority and longest waiting first:
    unclaimed past their limit, a dispatch nobody accepted, or asked for by an operator.
    Needs ``centre.lead``."""
    return [escalation_out(found) for found in escalated(session, actor)]
