"""Import of people and assignments from CSV: plan the diff, then apply it in one go.

Nothing is changed unless every row is valid (:class:`CsvInvalid` lists every
error with its line and column); applying goes through the services, so every
change is audited and fed to the change feed, in the caller's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.directory import service
from stadsvakt.directory.csv_io.parse import Assigned, FilePerson, parse_people
from stadsvakt.directory.models import Person, PersonKind
from stadsvakt.directory.schemas import (
    AssignmentIn,
    FieldChangeOut,
    ImportReport,
    PersonChangeOut,
    PersonCreate,
    PersonUpdate,
)
from stadsvakt.directory.service._common import local_today, tenant_of
from stadsvakt.errors import N_, Forbidden
from stadsvakt.org.models import OrgUnit

#: Called after each person is applied, with how many are done.
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field's value before and after."""

    field: str
    before: str | None
    after: str | None


@dataclass
class PersonChange:
    """What the import does to one person: create, update or deactivate."""

    action: str
    employee_number: str
    name: str
    line: int | None
    changes: list[FieldChange]
    person: Person | None = None
    source: FilePerson | None = None


@dataclass
class ImportPlan:
    """The diff an import makes, before (or after) it is applied."""

    rows: int
    changes: list[PersonChange]
    unchanged: int

    def count(self, action: str) -> int:
        """How many people the import does ``action`` to."""
        return sum(1 for c in self.changes if c.action == action)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _assignments_differ(
    session: Session, person: Person, wanted: list[Assigned], today: date
) -> bool:
    rows = service.current_assignments(session, person, today)
    have = {(a.org_unit_id, a.position, a.start, a.end) for a in rows}
    every = {(a.org_unit_id, a.position, a.start, a.end) for a in person.assignments}
    listed = {(a.unit_id, a.position, a.start, a.end) for a in wanted}
    return not (have <= listed and listed <= every)


def _describe(assignments: list[Assigned]) -> str:
    return (
        ", ".join(f"{a.unit_code}/{a.position} {a.start}–{a.end or ''}" for a in assignments) or "–"
    )


def plan_import(
    session: Session, actor: Actor, data: bytes, *, deactivate_missing: bool = False
) -> ImportPlan:
    """Parse a file and work out what importing it changes, without changing anything.

    Importing needs ``person.write`` for the whole municipality: the personnel
    directory is the municipality's, not one department's.
    """
    tenant = tenant_of(actor)
    if not actor.can("person.write") or actor.scope("person.write") is not None:
        raise Forbidden(
            "importing the directory needs person.write for the whole municipality"
        ).said(
            N_(
                "Importing the directory needs the right to change people in the whole "
                "municipality."
            )
        )
    rows, people = parse_people(session, actor, data)
    today = local_today(utcnow())
    changes: list[PersonChange] = []
    unchanged = 0
    for fp in people:
        existing = service.find_person_by(session, tenant, employee_number=fp.employee_number)
        name = f"{fp.values['given_name']} {fp.values['family_name']}"
        if existing is None:
            diff = [FieldChange(k, None, _text(v)) for k, v in fp.values.items() if v is not None]
            if fp.assignments:
                diff.append(FieldChange("assignments", None, _describe(fp.assignments)))
            changes.append(
                PersonChange("create", fp.employee_number, name, fp.line, diff, None, fp)
            )
            continue
        diff = [
            FieldChange(k, _text(getattr(existing, k)), _text(v))
            for k, v in fp.values.items()
            if _text(getattr(existing, k)) != _text(v)
        ]
        if _assignments_differ(session, existing, fp.assignments, today):
            current = service.current_assignments(session, existing, today)
            codes = {
                u.id: u.code
                for u in session.scalars(select(OrgUnit).where(OrgUnit.tenant_id == tenant))
            }
            before = [
                Assigned(a.org_unit_id, codes.get(a.org_unit_id, "?"), a.position, a.start, a.end)
                for a in current
            ]
            diff.append(FieldChange("assignments", _describe(before), _describe(fp.assignments)))
        if not diff:
            unchanged += 1
            continue
        action = "deactivate" if existing.active and fp.values["active"] is False else "update"
        changes.append(PersonChange(action, fp.employee_number, name, fp.line, diff, existing, fp))
    if deactivate_missing:
        listed = {fp.employee_number for fp in people}
        stmt = (
            select(Person)
            .where(
                Person.tenant_id == tenant,
                Person.active.is_(True),
                Person.kind == PersonKind.EMPLOYEE,
                Person.employee_number.is_not(None),
            )
            .order_by(Person.employee_number)
        )
        for person in session.scalars(stmt):
            if person.employee_number not in listed:
                changes.append(
                    PersonChange(
                        "deactivate",
                        person.employee_number or "",
                        person.display_name,
                        None,
                        [FieldChange("active", "true", "false")],
                        person,
                    )
                )
    return ImportPlan(rows, changes, unchanged)


def apply_import(
    session: Session, actor: Actor, plan: ImportPlan, progress: Progress | None = None
) -> None:
    """Carry out a plan through the services (audited, change feed fed). Callers commit."""
    for done, change in enumerate(plan.changes, start=1):
        _apply_one(session, actor, change)
        if progress is not None:
            progress(done)


def _assignment_inputs(fp: FilePerson) -> list[AssignmentIn]:
    return [
        AssignmentIn.model_validate(
            {"org_unit_id": a.unit_id, "position": a.position, "start": a.start, "end": a.end}
        )
        for a in fp.assignments
    ]


def _apply_one(session: Session, actor: Actor, change: PersonChange) -> None:
    fp = change.source
    if fp is None:
        # A person missing from the file (only planned with deactivate_missing).
        if change.person is not None:
            service.deactivate_person(
                session, actor, change.person.id, reason="missing from CSV import"
            )
        return
    values = dict(fp.values)
    if change.person is None:
        home = fp.assignments[0].unit_id if fp.assignments else None
        person = service.create_person(
            session,
            actor,
            PersonCreate.model_validate(
                {**values, "employee_number": fp.employee_number, "org_unit_id": home}
            ),
        )
        if fp.assignments:
            service.set_assignments(session, actor, person, _assignment_inputs(fp), source="csv")
        return
    person = change.person
    names = {c.field for c in change.changes}
    if "assignments" in names:
        service.set_assignments(session, actor, person, _assignment_inputs(fp), source="csv")
    fields = {k: v for k, v in values.items() if k in names}
    if fields:
        service.update_person(session, actor, person.id, PersonUpdate.model_validate(fields))


def report(plan: ImportPlan, *, dry_run: bool) -> ImportReport:
    """The plan as the API's import report."""
    return ImportReport(
        dry_run=dry_run,
        rows=plan.rows,
        created=plan.count("create"),
        changed=plan.count("update"),
        deactivated=plan.count("deactivate"),
        unchanged=plan.unchanged,
        changes=[
            PersonChangeOut(
                action=c.action,
                employee_number=c.employee_number,
                name=c.name,
                line=c.line,
                changes=[
                    FieldChangeOut(field=f.field, before=f.before, after=f.after) for f in c.changes
                ],
            )
            for c in plan.changes
        ],
    )
