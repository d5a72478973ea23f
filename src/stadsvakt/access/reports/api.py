"""Routes of the access reports: JSON by default, CSV with ``?format=csv``."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from stadsvakt.access.reports import orphans, rights
from stadsvakt.access.reports.schemas import (
    ORPHAN_COLUMNS,
    RIGHT_COLUMNS,
    OrphanCredentialOut,
    OrphanReportOut,
    RightRowOut,
    RightsReportOut,
    to_csv,
)
from stadsvakt.api.deps import ActorDep, SessionDep
from stadsvakt.bounds import BoundedDatetime
from stadsvakt.db import utcnow

CSV = "text/csv"


class Format(StrEnum):
    """How a report is returned."""

    JSON = "json"
    CSV = "csv"


_BOTH: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report as JSON, or as CSV with format=csv",
        "content": {CSV: {"schema": {"type": "string"}}},
    }
}
FormatQuery = Annotated[Format, Query(description="json (default) or csv")]
AtQuery = Annotated[
    BoundedDatetime | None, Query(description="The time the report is for (default: now)")
]

router = APIRouter(prefix="/reports", tags=["reports"])


def _csv(text: str, name: str) -> Response:
    return Response(
        text,
        media_type=f"{CSV}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _rights_out(report: rights.RightsReport) -> RightsReportOut:
    items = [RightRowOut.model_validate(r) for r in report.rows]
    return RightsReportOut(
        at=report.at,
        total=len(items),
        hidden_outside_scope=report.hidden_outside_scope,
        items=items,
    )


@router.get("/orphan-credentials", response_model=OrphanReportOut, responses=_BOTH)
def orphan_credentials(
    session: SessionDep, actor: ActorDep, at: AtQuery = None, format: FormatQuery = Format.JSON
) -> Any:
    """Active credentials of inactive people or people with no current assignment
    (``access.read``, ``credential.read``, ``person.read``)."""
    when = at or utcnow()
    items = [
        OrphanCredentialOut.model_validate(r)
        for r in orphans.orphan_credentials(session, actor, at=when)
    ]
    if format is Format.CSV:
        return _csv(to_csv(items, ORPHAN_COLUMNS), "orphan-credentials")
    return OrphanReportOut(at=when, total=len(items), items=items)


@router.get("/doors/{door_id}/who-can-open", response_model=RightsReportOut, responses=_BOTH)
def who_can_open(
    door_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    at: AtQuery = None,
    format: FormatQuery = Format.JSON,
) -> Any:
    """The people who can open a door, through what, when, and whether they can at ``at``
    (``access.read``, ``person.read``)."""
    report = rights.who_can_open(
        session, actor, door_id, at=at or utcnow(), language=actor.language or "sv"
    )
    out = _rights_out(report)
    if format is Format.CSV:
        return _csv(to_csv(out.items, RIGHT_COLUMNS), f"who-can-open-{door_id}")
    return out


@router.get("/people/{person_id}/what-can-open", response_model=RightsReportOut, responses=_BOTH)
def what_can_open(
    person_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    at: AtQuery = None,
    format: FormatQuery = Format.JSON,
) -> Any:
    """The doors a person can open, by site, through what and when
    (``access.read``, ``person.read``)."""
    report = rights.what_can_open(
        session, actor, person_id, at=at or utcnow(), language=actor.language or "sv"
    )
    out = _rights_out(report)
    if format is Format.CSV:
        return _csv(to_csv(out.items, RIGHT_COLUMNS), f"what-can-open-{person_id}")
    return out
