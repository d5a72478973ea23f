"""API schemas for people, assignments, groups and training records, with their limits."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from stadsvakt.bounds import BoundedDate
from stadsvakt.directory.models import PersonKind
from stadsvakt.schemas import StrictInput, omittable

PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
EmployeeNumber = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._/-]+$"
    ),
]
ExternalKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Position = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Course = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
GroupName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

#: Most members a group may be given in one request.
MAX_GROUP_MEMBERS = 10_000
#: Most assignments a person may be given in one request.
MAX_ASSIGNMENTS = 50


class PersonCreate(StrictInput):
    """A new person. ``org_unit_id`` is the home unit (for a guest: the inviting unit)."""

    given_name: PersonName
    family_name: PersonName
    employee_number: EmployeeNumber | None = None
    email: EmailStr | None = None
    kind: PersonKind = PersonKind.EMPLOYEE
    active: bool = True
    extended_unlock: bool = Field(
        default=False, description="Accessibility: longer unlock time at doors"
    )
    org_unit_id: uuid.UUID | None = None
    external_id: ExternalKey | None = Field(
        default=None, description="Identifier in the provisioning source (SCIM externalId)"
    )
    user_name: ExternalKey | None = Field(
        default=None, description="Login name in the provisioning source (SCIM userName)"
    )


class PersonUpdate(StrictInput):
    """Fields to change; setting ``active`` to false deactivates (revokes every right)."""

    given_name: PersonName | None = omittable()
    family_name: PersonName | None = omittable()
    employee_number: EmployeeNumber | None = None
    email: EmailStr | None = None
    kind: PersonKind | None = omittable()
    active: bool | None = omittable()
    extended_unlock: bool | None = omittable()
    org_unit_id: uuid.UUID | None = None
    external_id: ExternalKey | None = None
    user_name: ExternalKey | None = None


class PersonOut(BaseModel):
    """A person as the API shows them."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    given_name: str
    family_name: str
    employee_number: str | None
    email: str | None
    kind: PersonKind
    active: bool
    extended_unlock: bool
    org_unit_id: uuid.UUID | None
    external_id: str | None
    user_name: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class Deactivation(StrictInput):
    """Why a person is deactivated (kept in the audit trail)."""

    reason: Reason = "deactivated"


class AssignmentIn(StrictInput):
    """A position held in a unit from ``start`` until ``end`` (the first day it no longer
    holds: an assignment ending today gives no rights today)."""

    org_unit_id: uuid.UUID
    position: Position
    start: BoundedDate
    end: BoundedDate | None = Field(
        default=None,
        description="The first day the assignment no longer holds (Stockholm); none: open-ended",
    )

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Self:
        if self.end is not None and self.end <= self.start:
            raise ValueError("end: must be after start (end is the first day it no longer holds)")
        return self


class AssignmentsReplace(StrictInput):
    """The complete list of a person's current assignments."""

    assignments: list[AssignmentIn] = Field(max_length=MAX_ASSIGNMENTS)


class AssignmentOut(BaseModel):
    """An assignment, current or ended."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: uuid.UUID
    org_unit_id: uuid.UUID
    position: str
    start: date
    end: date | None
    source: str


class GroupCreate(StrictInput):
    """A new group; ``org_unit_id`` limits which department administrators see it."""

    display_name: GroupName
    org_unit_id: uuid.UUID | None = None
    external_id: ExternalKey | None = None
    members: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_GROUP_MEMBERS)


class GroupUpdate(StrictInput):
    """Fields of a group to change."""

    display_name: GroupName | None = omittable()
    org_unit_id: uuid.UUID | None = None
    external_id: ExternalKey | None = None


class GroupMembers(StrictInput):
    """The complete member list of a group."""

    members: list[uuid.UUID] = Field(max_length=MAX_GROUP_MEMBERS)


class GroupOut(BaseModel):
    """A group with its members' ids."""

    id: uuid.UUID
    display_name: str
    org_unit_id: uuid.UUID | None
    external_id: str | None
    version: int
    members: list[uuid.UUID]
    created_at: datetime
    updated_at: datetime


class TrainingCreate(StrictInput):
    """A completed course, as an LMS reports it."""

    person_id: uuid.UUID
    course: Course
    completed_on: BoundedDate
    expires_on: BoundedDate | None = None

    @model_validator(mode="after")
    def _expiry_after_completion(self) -> Self:
        if self.expires_on is not None and self.expires_on < self.completed_on:
            raise ValueError("expires_on: must not be before completed_on")
        return self


class TrainingOut(BaseModel):
    """A training record."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: uuid.UUID
    course: str
    completed_on: date
    expires_on: date | None
    created_at: datetime


class FieldChangeOut(BaseModel):
    """One field of a person as it is and as the import makes it."""

    field: str
    before: str | None
    after: str | None


class PersonChangeOut(BaseModel):
    """What an import does to one person (``line`` is where the file names them)."""

    action: str = Field(description="create, update or deactivate")
    employee_number: str
    name: str
    line: int | None
    changes: list[FieldChangeOut]


class ImportReport(BaseModel):
    """The diff of a directory import; with ``dry_run`` nothing was changed."""

    dry_run: bool
    rows: int
    created: int
    changed: int
    deactivated: int
    unchanged: int
    changes: list[PersonChangeOut]
