"""Report output: JSON models and the CSV rendering of each report."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from stadsvakt.access.decide import Reason
from stadsvakt.access.models import CredentialKind


class OrphanCredentialOut(BaseModel):
    """An active credential of an inactive person or of someone with no current assignment."""

    model_config = ConfigDict(from_attributes=True)

    credential_id: uuid.UUID
    kind: CredentialKind
    identifier: str
    technology: str | None
    valid_to: datetime | None
    person_id: uuid.UUID
    person_name: str
    employee_number: str | None
    person_active: bool
    reason: str
    last_assignment_end: date | None


class OrphanReportOut(BaseModel):
    """The orphan credentials in the caller's scope on ``at``'s day."""

    at: datetime
    total: int
    items: list[OrphanCredentialOut]


class RightRowOut(BaseModel):
    """One right reaching one door, and whether it opens at the report's time."""

    model_config = ConfigDict(from_attributes=True)

    person_id: uuid.UUID
    person_name: str
    employee_number: str | None
    site_id: uuid.UUID
    site_name: str
    door_id: uuid.UUID
    door_name: str
    door_code: str
    source: str
    profile_id: uuid.UUID
    profile_name: str
    schedule: str
    valid_from: datetime | None
    valid_to: datetime | None
    required_course: str | None
    opens_at: bool
    reason_at: Reason


class RightsReportOut(BaseModel):
    """Who can open a door, or what a person can open, at ``at`` and later."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    total: int
    hidden_outside_scope: int
    items: list[RightRowOut]


ORPHAN_COLUMNS = (
    "person_name",
    "employee_number",
    "person_active",
    "reason",
    "last_assignment_end",
    "kind",
    "identifier",
    "technology",
    "valid_to",
    "credential_id",
    "person_id",
)
RIGHT_COLUMNS = (
    "site_name",
    "door_name",
    "door_code",
    "person_name",
    "employee_number",
    "source",
    "profile_name",
    "schedule",
    "valid_from",
    "valid_to",
    "required_course",
    "opens_at",
    "reason_at",
    "door_id",
    "person_id",
    "profile_id",
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value.value if hasattr(value, "value") else value)
    # A cell starting like a formula is quoted so a spreadsheet shows it as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def to_csv(rows: Sequence[BaseModel], columns: Sequence[str]) -> str:
    """The rows as CSV with a header line (UTF-8, comma-separated, RFC 4180 quoting)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        data = row.model_dump()
        writer.writerow([_cell(getattr(row, c, data.get(c))) for c in columns])
    return out.getvalue()
