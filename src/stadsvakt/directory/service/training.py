"""Training records (from an LMS): some access profiles require a valid course.

Read with ``training.read`` and written with ``training.write``, both limited to
people in the actor's scope for that permission.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.audit.service import snapshot
from stadsvakt.auth.scope import restrict
from stadsvakt.context import Actor
from stadsvakt.directory.models import Person, TrainingRecord
from stadsvakt.directory.schemas import TrainingCreate
from stadsvakt.directory.service._common import audit, flush_or_conflict, page, scoped_person
from stadsvakt.errors import N_, Conflict, NotFound


def list_training(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    person_id: uuid.UUID | None = None,
    course: str | None = None,
) -> tuple[list[TrainingRecord], int]:
    """Training records of people in the actor's ``training.read`` scope, newest first."""
    stmt = restrict(
        select(TrainingRecord).join(Person, Person.id == TrainingRecord.person_id),
        Person,
        actor,
        "training.read",
    ).order_by(TrainingRecord.completed_on.desc(), TrainingRecord.course, TrainingRecord.id)
    if person_id is not None:
        scoped_person(session, actor, person_id, "training.read")
        stmt = stmt.where(TrainingRecord.person_id == person_id)
    if course:
        stmt = stmt.where(TrainingRecord.course == course.strip())
    return page(session, stmt, limit, offset)


def find_training(
    session: Session, person_id: uuid.UUID, course: str, completed_on: date
) -> TrainingRecord | None:
    """The record of one course completion, if there is one (no scope check)."""
    stmt = select(TrainingRecord).where(
        TrainingRecord.person_id == person_id,
        TrainingRecord.course == course,
        TrainingRecord.completed_on == completed_on,
    )
    return session.execute(stmt).scalar_one_or_none()


def add_training(session: Session, actor: Actor, data: TrainingCreate) -> TrainingRecord:
    """Record a completed course; the same person, course and day twice is a 409."""
    person = scoped_person(session, actor, data.person_id, "training.write")
    if find_training(session, person.id, data.course, data.completed_on) is not None:
        raise Conflict(
            f"{person.display_name} already has '{data.course}' completed on {data.completed_on}",
            field="course",
        ).said(
            N_("%(name)s already has %(course)s completed on %(day)s."),
            name=person.display_name,
            course=data.course,
            day=data.completed_on.isoformat(),
        )
    row = TrainingRecord(tenant_id=person.tenant_id, **data.model_dump())
    session.add(row)
    flush_or_conflict(session, "training record")
    audit(
        session,
        action="training.create",
        obj=row,
        object_type="training",
        text=f"{person.display_name}: {row.course}",
        tenant_id=person.tenant_id,
    )
    return row


def set_training_expiry(
    session: Session, actor: Actor, record_id: uuid.UUID, expires_on: date | None
) -> TrainingRecord:
    """Change when a recorded course expires (an LMS re-sending a corrected record)."""
    stmt = restrict(
        select(TrainingRecord)
        .join(Person, Person.id == TrainingRecord.person_id)
        .where(TrainingRecord.id == record_id),
        Person,
        actor,
        "training.write",
    )
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no training record {record_id}")
    if row.expires_on == expires_on:
        return row
    before = snapshot(row)
    row.expires_on = expires_on
    flush_or_conflict(session, "training record")
    audit(
        session,
        action="training.update",
        obj=row,
        object_type="training",
        text=row.course,
        tenant_id=row.tenant_id,
        before=before,
    )
    return row
