"""Assignments: a person's positions in units, replaced whole by each source.

An assignment holds from ``start`` (included) until ``end`` (excluded: on the
``end`` day it no longer holds; no ``end`` means open-ended), in Stockholm local
dates, so ending an assignment "today" takes effect at once. Replacing a
person's assignments keeps history: a current assignment missing from the new
list is ended today (or removed if it has not begun), never deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from stadsvakt.audit.service import snapshot
from stadsvakt.auth.scope import check_unit_in_scope
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.directory.models import Assignment, Person, PersonKind
from stadsvakt.directory.schemas import AssignmentIn
from stadsvakt.directory.service._common import audit, local_today, scoped_person

#: Sources an assignment can come from.
SOURCES = frozenset({"manual", "csv", "scim"})


def list_assignments(session: Session, actor: Actor, person_id: uuid.UUID) -> list[Assignment]:
    """Every assignment of a person in the actor's scope, current and ended, newest first."""
    person = scoped_person(session, actor, person_id, "person.read")
    stmt = (
        select(Assignment)
        .where(Assignment.person_id == person.id)
        .order_by(Assignment.start.desc(), Assignment.position, Assignment.id)
    )
    return list(session.scalars(stmt))


def current_assignments(session: Session, person: Person, today: date) -> list[Assignment]:
    """The person's assignments that are current, or begin later, on ``today``."""
    stmt = (
        select(Assignment)
        .where(
            Assignment.person_id == person.id,
            or_(Assignment.end.is_(None), Assignment.end > today),
        )
        .order_by(Assignment.start, Assignment.position, Assignment.id)
    )
    return list(session.scalars(stmt))


def _label(person: Person, position: str) -> str:
    return f"{person.display_name}: {position}"


def set_assignments(
    session: Session,
    actor: Actor,
    person: Person,
    assignments: Sequence[AssignmentIn],
    *,
    source: str = "manual",
) -> list[Assignment]:
    """Make ``assignments`` the person's current assignments; returns them.

    Needs ``person.write`` over the person and over every unit named. An item
    matches an existing assignment with the same unit, position and start (kept
    as is), else a current one with the same unit and position (its dates are
    changed); other items are added with ``source``. Current assignments left
    unmatched end today, or are removed if they begin later. For an employee the
    home unit follows the main current assignment (the earliest begun). Every
    change is audited and fed to the change feed. Returns the current list.
    """
    scoped_person(session, actor, person.id, "person.write")
    for index, item in enumerate(assignments):
        check_unit_in_scope(
            session,
            actor,
            "person.write",
            item.org_unit_id,
            field=f"assignments.{index}.org_unit_id",
        )
    today = local_today(utcnow())
    everything = list(session.scalars(select(Assignment).where(Assignment.person_id == person.id)))
    current = [a for a in everything if a.end is None or a.end > today]
    unmatched = {a.id: a for a in current}
    for item in assignments:
        exact = next(
            (
                a
                for a in everything
                if (a.org_unit_id, a.position, a.start)
                == (item.org_unit_id, item.position, item.start)
            ),
            None,
        )
        loose = next(
            (
                a
                for a in current
                if a.id in unmatched
                and (a.org_unit_id, a.position) == (item.org_unit_id, item.position)
            ),
            None,
        )
        row = exact or loose
        if row is None:
            row = Assignment(
                tenant_id=person.tenant_id,
                person_id=person.id,
                org_unit_id=item.org_unit_id,
                position=item.position,
                start=item.start,
                end=item.end,
                source=source,
            )
            session.add(row)
            session.flush()
            everything.append(row)
            audit(
                session,
                action="assignment.create",
                obj=row,
                object_type="assignment",
                text=_label(person, row.position),
                tenant_id=person.tenant_id,
            )
            continue
        unmatched.pop(row.id, None)
        if (row.start, row.end) != (item.start, item.end):
            before = snapshot(row)
            row.start, row.end, row.source = item.start, item.end, source
            session.flush()
            audit(
                session,
                action="assignment.update",
                obj=row,
                object_type="assignment",
                text=_label(person, row.position),
                tenant_id=person.tenant_id,
                before=before,
            )
    for row in unmatched.values():
        before = snapshot(row)
        if row.start > today:
            session.delete(row)
            session.flush()
            audit(
                session,
                action="assignment.delete",
                obj=row,
                object_type="assignment",
                text=_label(person, row.position),
                tenant_id=person.tenant_id,
                before=before,
                deleted=True,
            )
            continue
        row.end = today
        session.flush()
        audit(
            session,
            action="assignment.end",
            obj=row,
            object_type="assignment",
            text=_label(person, row.position),
            tenant_id=person.tenant_id,
            before=before,
        )
    refresh_home_unit(session, person, today)
    session.expire(person, ["assignments"])
    return current_assignments(session, person, today)


def main_assignment(rows: Sequence[Assignment], today: date) -> Assignment | None:
    """The main current assignment: the earliest begun one still running ``today``."""
    running = [a for a in rows if a.start <= today and (a.end is None or a.end > today)]
    running.sort(key=lambda a: (a.start, a.position, str(a.id)))
    return running[0] if running else None


def refresh_home_unit(session: Session, person: Person, today: date) -> None:
    """Move an employee's home unit to their main current assignment's unit.

    A guest's or contractor's home unit is the inviting unit and is only filled in
    when missing. Without a current assignment the home unit stays, so the
    department keeps seeing its leavers.
    """
    main = main_assignment(current_assignments(session, person, today), today)
    if main is None or main.org_unit_id == person.org_unit_id:
        return
    if person.kind is not PersonKind.EMPLOYEE and person.org_unit_id is not None:
        return
    before = snapshot(person)
    person.org_unit_id = main.org_unit_id
    person.version += 1
    session.flush()
    audit(
        session,
        action="person.update",
        obj=person,
        object_type="person",
        text=person.display_name,
        tenant_id=person.tenant_id,
        before=before,
    )
