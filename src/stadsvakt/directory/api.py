"""Routes for people, assignments, groups, training records and the CSV import/export."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.orm import Session

from stadsvakt.api.deps import ActorDep, PagingDep, SessionDep
from stadsvakt.directory import csv_io, service
from stadsvakt.directory.csv_io._table import MAX_BYTES, CsvInvalid, RowError
from stadsvakt.directory.models import Group
from stadsvakt.directory.schemas import (
    AssignmentOut,
    AssignmentsReplace,
    Deactivation,
    GroupCreate,
    GroupMembers,
    GroupOut,
    GroupUpdate,
    ImportReport,
    PersonCreate,
    PersonOut,
    PersonUpdate,
    TrainingCreate,
    TrainingOut,
)
from stadsvakt.org.schemas import Page
from stadsvakt.schemas import NO_NUL

router = APIRouter(tags=["directory"])
Search = Annotated[
    str | None,
    Query(max_length=100, pattern=NO_NUL, description="Text to look for in names, number, e-mail"),
]
CourseQuery = Annotated[str | None, Query(max_length=60, pattern=NO_NUL)]
CSV = "text/csv"
_CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {CSV: {"schema": {"type": "string", "maxLength": MAX_BYTES}}},
    }
}
_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The CSV file", "content": {CSV: {"schema": {"type": "string"}}}}
}


def _page(items: list[Any], total: int, page: Any, out: Any) -> Any:
    return Page[out](
        items=[out.model_validate(i) for i in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


# --- people ---------------------------------------------------------------------------------


@router.get("/people", response_model=Page[PersonOut])
def list_people(
    session: SessionDep,
    actor: ActorDep,
    page: PagingDep,
    q: Search = None,
    active: bool | None = None,
    unit_id: Annotated[uuid.UUID | None, Query(description="Home unit, subunits included")] = None,
) -> Page[PersonOut]:
    """People in the caller's scope."""
    items, total = service.list_people(
        session, actor, limit=page.limit, offset=page.offset, q=q, active=active, unit_id=unit_id
    )
    result: Page[PersonOut] = _page(items, total, page, PersonOut)
    return result


@router.post("/people", response_model=PersonOut, status_code=status.HTTP_201_CREATED)
def create_person(data: PersonCreate, session: SessionDep, actor: ActorDep) -> PersonOut:
    """Add a person (a department administrator: a guest or contractor in their units)."""
    return PersonOut.model_validate(service.create_person(session, actor, data))


@router.get("/people/{person_id}", response_model=PersonOut)
def get_person(person_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> PersonOut:
    """One person."""
    return PersonOut.model_validate(service.get_person(session, actor, person_id))


@router.patch("/people/{person_id}", response_model=PersonOut)
def update_person(
    person_id: uuid.UUID, data: PersonUpdate, session: SessionDep, actor: ActorDep
) -> PersonOut:
    """Change a person; ``active: false`` revokes every right at once."""
    return PersonOut.model_validate(service.update_person(session, actor, person_id, data))


@router.delete("/people/{person_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_person(person_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Revoke every right of a person, then remove them."""
    service.delete_person(session, actor, person_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/people/{person_id}/deactivate", response_model=PersonOut)
def deactivate_person(
    person_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    data: Deactivation | None = None,
) -> PersonOut:
    """Deactivate a person: assignments end today, grants now, credentials are revoked."""
    reason = data.reason if data else "deactivated"
    return PersonOut.model_validate(
        service.deactivate_person(session, actor, person_id, reason=reason)
    )


@router.get("/people/{person_id}/assignments", response_model=list[AssignmentOut])
def list_assignments(
    person_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> list[AssignmentOut]:
    """Every assignment of a person, current and ended."""
    rows = service.list_assignments(session, actor, person_id)
    return [AssignmentOut.model_validate(a) for a in rows]


@router.put("/people/{person_id}/assignments", response_model=list[AssignmentOut])
def replace_assignments(
    person_id: uuid.UUID, data: AssignmentsReplace, session: SessionDep, actor: ActorDep
) -> list[AssignmentOut]:
    """Make the list the person's current assignments; those left out end today."""
    person = service.get_person(session, actor, person_id)
    rows = service.set_assignments(session, actor, person, data.assignments)
    return [AssignmentOut.model_validate(a) for a in rows]


@router.get("/people/{person_id}/training", response_model=Page[TrainingOut])
def person_training(
    person_id: uuid.UUID, session: SessionDep, actor: ActorDep, page: PagingDep
) -> Page[TrainingOut]:
    """A person's training records."""
    items, total = service.list_training(
        session, actor, limit=page.limit, offset=page.offset, person_id=person_id
    )
    result: Page[TrainingOut] = _page(items, total, page, TrainingOut)
    return result


# --- groups ---------------------------------------------------------------------------------


def _group_out(session: Session, group: Group) -> GroupOut:
    return GroupOut(
        id=group.id,
        display_name=group.display_name,
        org_unit_id=group.org_unit_id,
        external_id=group.external_id,
        version=group.version,
        members=service.member_ids(session, group.id),
        created_at=group.created_at,
        updated_at=group.updated_at,
    )


@router.get("/groups", response_model=Page[GroupOut])
def list_groups(
    session: SessionDep, actor: ActorDep, page: PagingDep, q: Search = None
) -> Page[GroupOut]:
    """Groups in the caller's scope."""
    items, total = service.list_groups(session, actor, limit=page.limit, offset=page.offset, q=q)
    return Page[GroupOut](
        items=[_group_out(session, g) for g in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/groups", response_model=GroupOut, status_code=status.HTTP_201_CREATED)
def create_group(data: GroupCreate, session: SessionDep, actor: ActorDep) -> GroupOut:
    """Create a group with its members."""
    return _group_out(session, service.create_group(session, actor, data))


@router.get("/groups/{group_id}", response_model=GroupOut)
def get_group(group_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> GroupOut:
    """One group."""
    return _group_out(session, service.get_group(session, actor, group_id))


@router.patch("/groups/{group_id}", response_model=GroupOut)
def update_group(
    group_id: uuid.UUID, data: GroupUpdate, session: SessionDep, actor: ActorDep
) -> GroupOut:
    """Rename a group or move it to another unit."""
    return _group_out(session, service.update_group(session, actor, group_id, data))


@router.put("/groups/{group_id}/members", response_model=GroupOut)
def set_members(
    group_id: uuid.UUID, data: GroupMembers, session: SessionDep, actor: ActorDep
) -> GroupOut:
    """Replace a group's members."""
    return _group_out(session, service.set_group_members(session, actor, group_id, data.members))


@router.delete("/groups/{group_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_group(group_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Remove a group."""
    service.delete_group(session, actor, group_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- training -------------------------------------------------------------------------------


@router.get("/training", response_model=Page[TrainingOut])
def list_training(
    session: SessionDep,
    actor: ActorDep,
    page: PagingDep,
    person_id: uuid.UUID | None = None,
    course: CourseQuery = None,
) -> Page[TrainingOut]:
    """Training records of people in the caller's scope."""
    items, total = service.list_training(
        session, actor, limit=page.limit, offset=page.offset, person_id=person_id, course=course
    )
    result: Page[TrainingOut] = _page(items, total, page, TrainingOut)
    return result


@router.post("/training", response_model=TrainingOut, status_code=status.HTTP_201_CREATED)
def add_training(data: TrainingCreate, session: SessionDep, actor: ActorDep) -> TrainingOut:
    """Record a completed course."""
    return TrainingOut.model_validate(service.add_training(session, actor, data))


# --- CSV ------------------------------------------------------------------------------------


async def csv_body(request: Request) -> bytes:
    """The request body, refused (422, nothing read further) once it passes the size limit."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            raise CsvInvalid([RowError(1, "", "too_large", f"the file is over {MAX_BYTES} bytes")])
        chunks.append(chunk)
    return b"".join(chunks)


CsvBody = Annotated[bytes, Depends(csv_body)]


@router.post("/directory/import", response_model=ImportReport, openapi_extra=_CSV_BODY)
def import_people(
    actor: ActorDep,
    session: SessionDep,
    body: CsvBody,
    dry_run: Annotated[bool, Query(description="Only report the diff")] = False,
    deactivate_missing: Annotated[
        bool, Query(description="Deactivate employees the file does not list")
    ] = False,
) -> ImportReport:
    """Import people and assignments from CSV (see docs/directory.md); all or nothing."""
    plan = csv_io.plan_import(session, actor, body, deactivate_missing=deactivate_missing)
    if not dry_run:
        csv_io.apply_import(session, actor, plan)
    return csv_io.report(plan, dry_run=dry_run)


@router.get("/directory/export", response_class=Response, responses=_CSV_RESPONSE)
def export_people(session: SessionDep, actor: ActorDep) -> Response:
    """People and current assignments in the import's CSV format."""
    return Response(
        csv_io.export_people(session, actor),
        media_type=CSV,
        headers={"Content-Disposition": 'attachment; filename="people.csv"'},
    )
