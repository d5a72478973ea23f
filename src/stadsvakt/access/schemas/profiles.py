"""Schemas for access profiles, position profiles and direct grants."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from stadsvakt.access.models import GrantKind
from stadsvakt.bounds import BoundedDatetime
from stadsvakt.org.schemas import Code, Name, Phone
from stadsvakt.schemas import StrictInput, omittable

Course = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9._ -]+$"
    ),
]
#: A position name as in assignments, or "*" for every position in the unit.
Position = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
KIND_HELP = (
    "guest (a person of kind guest), contractor (a person of kind contractor; needs company), "
    "booking (a contact person or a group; needs booking_party) or extra (an employee's extra "
    "right); urgent and other are older kinds no new grant is given as"
)
#: The kinds a new grant is given as (urgent and other only describe older grants).
NEW_KINDS = (GrantKind.GUEST, GrantKind.CONTRACTOR, GrantKind.BOOKING, GrantKind.EXTRA)


def _new_kind(kind: GrantKind) -> GrantKind:
    if kind not in NEW_KINDS:
        raise PydanticCustomError(
            "legacy_kind",
            "{kind} is an older kind no new grant is given as; use guest, contractor, "
            "booking or extra",
            {"kind": kind.value},
        )
    return kind


#: A new grant's kind: the schema lists only the kinds accepted, so a client (or a
#: fuzzer) reading it never sends an older one.
NewGrantKind = Annotated[
    GrantKind,
    AfterValidator(_new_kind),
    WithJsonSchema({"type": "string", "enum": [k.value for k in NEW_KINDS]}),
]
ZoneIds = Annotated[list[uuid.UUID], Field(max_length=500, json_schema_extra={"uniqueItems": True})]


class ProfileCreate(StrictInput):
    code: Code
    name: Name
    org_unit_id: uuid.UUID | None = None
    schedule_id: uuid.UUID
    zone_ids: ZoneIds = Field(default_factory=list)
    required_course: Course | None = None


class ProfileUpdate(StrictInput):
    code: Code | None = omittable()
    name: Name | None = omittable()
    schedule_id: uuid.UUID | None = omittable()
    zone_ids: ZoneIds | None = omittable()
    required_course: Course | None = None


class ProfileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    org_unit_id: uuid.UUID | None
    schedule_id: uuid.UUID
    zone_ids: list[uuid.UUID]
    required_course: str | None
    created_at: datetime
    updated_at: datetime


class PositionProfileCreate(StrictInput):
    org_unit_id: uuid.UUID
    position: Position
    include_subunits: bool = False
    profile_id: uuid.UUID


class PositionProfileUpdate(StrictInput):
    position: Position | None = omittable()
    include_subunits: bool | None = omittable()


class PositionProfileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    org_unit_id: uuid.UUID
    position: str
    include_subunits: bool
    profile_id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class GrantCreate(StrictInput):
    """A profile for one person or one group (exactly one of them) in a time window, with
    the employee who answers for it (host) and why.

    The kind's own rules (who may hold it, the company or booking party it needs,
    whether it must end and how long it may last) are checked by the grants service.
    """

    # "Exactly one holder" in the schema itself, so a client sees the rule it is held to.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["person_id"], "properties": {"person_id": {"type": "string"}}},
                {"required": ["group_id"], "properties": {"group_id": {"type": "string"}}},
            ]
        }
    )

    profile_id: uuid.UUID
    person_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None
    org_unit_id: uuid.UUID | None = Field(
        default=None, description="The giving unit; defaults to the person's or group's unit"
    )
    kind: NewGrantKind = Field(default=GrantKind.GUEST, description=KIND_HELP)
    valid_from: BoundedDatetime
    valid_to: BoundedDatetime | None = Field(
        default=None, description="Required for a guest, a contractor and a booking"
    )
    host_person_id: uuid.UUID = Field(
        description="The employee who answers for the grant (värd), active and in your scope"
    )
    reason: Reason
    company: Name | None = Field(default=None, description="A contractor's company")
    booking_party: Name | None = Field(
        default=None, description="A booking's association or organisation"
    )
    booking_reference: Reference | None = None
    contact_phone: Phone | None = Field(
        default=None, description="A phone number to reach the guest or the booking's contact"
    )
    note: Note | None = None


class GrantUpdate(StrictInput):
    """Fields to change. The kind is fixed once given (withdraw and give a new grant)."""

    kind: GrantKind | None = omittable()
    valid_from: BoundedDatetime | None = omittable()
    valid_to: BoundedDatetime | None = None
    host_person_id: uuid.UUID | None = omittable()
    reason: Reason | None = omittable()
    company: Name | None = None
    booking_party: Name | None = None
    booking_reference: Reference | None = None
    contact_phone: Phone | None = None
    note: Note | None = None


class GrantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    profile_id: uuid.UUID
    person_id: uuid.UUID | None
    group_id: uuid.UUID | None
    org_unit_id: uuid.UUID | None
    kind: GrantKind
    valid_from: datetime
    valid_to: datetime | None
    host_person_id: uuid.UUID | None
    reason: str | None
    company: str | None
    booking_party: str | None
    booking_reference: str | None
    contact_phone: str | None
    note: str | None
    created_by: str | None
    ended_early_at: datetime | None = Field(
        description="When the grant was ended early (the end can be undone while set)"
    )
    ended_early_from: datetime | None = Field(description="The end it had before")
    created_at: datetime
    updated_at: datetime
