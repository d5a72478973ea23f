"""Import of training records from CSV, as an LMS exports them.

Columns: ``employee_number``, ``course``, ``completed`` and ``expires`` (dates as
YYYY-MM-DD; ``expires`` may be empty). A record is the same when person, course
and completion day match: then only its expiry can change. Nothing is imported
unless every row is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.auth.scope import require, restrict
from stadsvakt.context import Actor
from stadsvakt.directory import service
from stadsvakt.directory.csv_io._table import (
    CsvInvalid,
    RowError,
    parse_date,
    parse_text,
    read_table,
)
from stadsvakt.directory.models import Person, TrainingRecord
from stadsvakt.directory.schemas import TrainingCreate

COLUMNS = ("employee_number", "course", "completed", "expires")


@dataclass
class TrainingChange:
    """A record to create, or an existing record whose expiry changes."""

    line: int
    employee_number: str
    course: str
    completed: date
    expires: date | None
    person_id: object
    record: TrainingRecord | None
    expires_before: date | None = None

    @property
    def action(self) -> str:
        """``create`` or ``update``."""
        return "create" if self.record is None else "update"


@dataclass
class TrainingPlan:
    """What a training import changes."""

    rows: int
    changes: list[TrainingChange]
    unchanged: int


def plan_training_import(session: Session, actor: Actor, data: bytes) -> TrainingPlan:
    """Parse a training file and work out its changes (needs ``training.write``).

    Employee numbers must name people in the actor's ``training.write`` scope.
    """
    require(actor, "training.write")
    rows = read_table(data, COLUMNS, COLUMNS[:3])
    numbers = {r.get("employee_number") for r in rows}
    stmt = restrict(
        select(Person).where(Person.employee_number.in_(numbers)), Person, actor, "training.write"
    )
    people = {p.employee_number: p for p in session.scalars(stmt)}
    errors: list[RowError] = []
    changes: list[TrainingChange] = []
    seen: dict[tuple[str, str, date], int] = {}
    unchanged = 0
    for row in rows:
        before = len(errors)
        number = parse_text(row, "employee_number", errors, max_length=40, required=True)
        person = people.get(number) if number else None
        if number and person is None:
            errors.append(
                RowError(
                    row.line,
                    "employee_number",
                    "unknown",
                    f"no person with employee number '{number}'",
                )
            )
        course = parse_text(row, "course", errors, max_length=60, required=True)
        completed = parse_date(row, "completed", errors, required=True)
        expires = parse_date(row, "expires", errors, required=False)
        if completed and expires and expires < completed:
            errors.append(
                RowError(row.line, "expires", "after_completed", "must not be before completed")
            )
        if len(errors) > before or person is None or course is None or completed is None:
            continue
        key = (person.employee_number or "", course, completed)
        if key in seen:
            errors.append(
                RowError(
                    row.line, "completed", "duplicate", f"the same record is on line {seen[key]}"
                )
            )
            continue
        seen[key] = row.line
        record = service.find_training(session, person.id, course, completed)
        if record is not None and record.expires_on == expires:
            unchanged += 1
            continue
        changes.append(
            TrainingChange(
                row.line,
                key[0],
                course,
                completed,
                expires,
                person.id,
                record,
                record.expires_on if record else None,
            )
        )
    if errors:
        raise CsvInvalid(errors)
    return TrainingPlan(len(rows), changes, unchanged)


def apply_training_import(
    session: Session,
    actor: Actor,
    plan: TrainingPlan,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Carry out a training plan through the services. Callers commit."""
    for done, change in enumerate(plan.changes, start=1):
        if change.record is None:
            service.add_training(
                session,
                actor,
                TrainingCreate.model_validate(
                    {
                        "person_id": change.person_id,
                        "course": change.course,
                        "completed_on": change.completed,
                        "expires_on": change.expires,
                    }
                ),
            )
        else:
            service.set_training_expiry(session, actor, change.record.id, change.expires)
        if progress is not None:
            progress(done)
