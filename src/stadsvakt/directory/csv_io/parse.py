"""Parsing a people CSV into the people it states, with every error named by line and column.

One row per assignment; a person without a current assignment has one row with
the assignment columns empty. Rows with the same ``employee_number`` belong to one
person and must agree on the person's columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from pydantic import TypeAdapter, ValidationError
from pydantic.networks import EmailStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.directory.csv_io._table import (
    CsvInvalid,
    Row,
    RowError,
    parse_bool,
    parse_date,
    parse_text,
    read_table,
)
from stadsvakt.directory.models import PersonKind
from stadsvakt.directory.service._common import local_today, tenant_of
from stadsvakt.org.models import OrgUnit

COLUMNS = (
    "employee_number",
    "given_name",
    "family_name",
    "email",
    "kind",
    "active",
    "unit_code",
    "position",
    "start",
    "end",
)
REQUIRED = ("employee_number", "given_name", "family_name")
PERSON_FIELDS = ("given_name", "family_name", "email", "kind", "active")
_EMPLOYEE_NUMBER = re.compile(r"^[A-Za-z0-9._/-]{1,40}$")
_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)


@dataclass(frozen=True, slots=True)
class Assigned:
    """An assignment as the file states it."""

    unit_id: object
    unit_code: str
    position: str
    start: date
    end: date | None


@dataclass
class FilePerson:
    """A person as the file states them, from one or more rows."""

    line: int
    employee_number: str
    values: dict[str, object]
    assignments: list[Assigned] = field(default_factory=list)


def _parse_row(
    row: Row, units: dict[str, OrgUnit], errors: list[RowError], today: date
) -> tuple[str, dict[str, object], Assigned | None] | None:
    before = len(errors)
    number = row.get("employee_number")
    if not number:
        errors.append(RowError(row.line, "employee_number", "required", "a value is required"))
    elif not _EMPLOYEE_NUMBER.match(number):
        errors.append(
            RowError(
                row.line,
                "employee_number",
                "pattern",
                f"'{number}' is not an employee number (letters, digits, . _ / -, at most 40)",
            )
        )
    values: dict[str, object] = {
        "given_name": parse_text(row, "given_name", errors, max_length=100, required=True),
        "family_name": parse_text(row, "family_name", errors, max_length=100, required=True),
    }
    email = row.get("email")
    values["email"] = None
    if email:
        try:
            values["email"] = _EMAIL.validate_python(email)
        except ValidationError:
            errors.append(
                RowError(row.line, "email", "email", f"'{email}' is not an e-mail address")
            )
    kind = row.get("kind").lower() or PersonKind.EMPLOYEE.value
    if kind not in {k.value for k in PersonKind}:
        errors.append(
            RowError(
                row.line,
                "kind",
                "enum",
                f"'{row.get('kind')}' is not employee, contractor or guest",
            )
        )
    values["kind"] = kind
    values["active"] = parse_bool(row, "active", errors, default=True)
    assigned = _parse_assignment(row, units, errors, today, active=bool(values["active"]))
    if len(errors) > before:
        return None
    return number, values, assigned


def _parse_assignment(
    row: Row, units: dict[str, OrgUnit], errors: list[RowError], today: date, *, active: bool
) -> Assigned | None:
    code = row.get("unit_code")
    if not code:
        for column in ("position", "start", "end"):
            if row.get(column):
                errors.append(
                    RowError(row.line, "unit_code", "required", f"required when {column} is given")
                )
                break
        return None
    unit = units.get(code)
    if unit is None:
        errors.append(
            RowError(row.line, "unit_code", "unknown", f"'{code}' is no organisation unit")
        )
    position = parse_text(row, "position", errors, max_length=100, required=True)
    start = parse_date(row, "start", errors, required=True)
    end = parse_date(row, "end", errors, required=False)
    if start and end and end <= start:
        errors.append(RowError(row.line, "end", "after_start", "must be after start"))
    if not active and start and (end is None or end > today):
        errors.append(
            RowError(
                row.line,
                "end",
                "inactive_has_no_current_assignment",
                "an inactive person's assignment must have ended (give an end up to today)",
            )
        )
    if unit is None or position is None or start is None:
        return None
    return Assigned(unit.id, code, position, start, end)


def parse_people(session: Session, actor: Actor, data: bytes) -> tuple[int, list[FilePerson]]:
    """The people a file states (rows counted), or :class:`CsvInvalid` with every error."""
    tenant = tenant_of(actor)
    units = {u.code: u for u in session.scalars(select(OrgUnit).where(OrgUnit.tenant_id == tenant))}
    today = local_today(utcnow())
    errors: list[RowError] = []
    people: dict[str, FilePerson] = {}
    rows = read_table(data, COLUMNS, REQUIRED)
    for row in rows:
        parsed = _parse_row(row, units, errors, today)
        if parsed is None:
            continue
        number, values, assigned = parsed
        person = people.setdefault(number, FilePerson(row.line, number, values))
        for key in PERSON_FIELDS:
            if person.values[key] != values[key]:
                errors.append(
                    RowError(
                        row.line,
                        key,
                        "consistent",
                        f"differs from line {person.line} for employee number {number}",
                    )
                )
        if assigned is None:
            continue
        same = (assigned.unit_id, assigned.position, assigned.start)
        if any((a.unit_id, a.position, a.start) == same for a in person.assignments):
            errors.append(
                RowError(row.line, "start", "duplicate", "the same assignment is listed twice")
            )
        person.assignments.append(assigned)
    if errors:
        raise CsvInvalid(errors)
    return len(rows), list(people.values())
