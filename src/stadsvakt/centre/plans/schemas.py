"""API schemas of the action plans and site contacts, with their limits.

Every rule a request can break is in the schema: a time window's end may lie before its
start (it runs past midnight) and equal times mean the whole day, so no rule compares
two fields.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stadsvakt.centre.plans.steps import (
    Channel,
    ContactRole,
    PoliceNumber,
    StepKind,
    UnitType,
)
from stadsvakt.schemas import StrictInput, omittable

Clock = Annotated[
    str,
    StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
    Field(description="Local time in Sweden (Europe/Stockholm), HH:MM"),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=40, pattern=r"^(\+?[0-9][0-9 ()-]{1,38})?$"
    ),
    Field(description="A phone number, e.g. +46 31 123 45 67; empty: none"),
]
#: A part of an address: no @, no NUL, no white space. ``\s`` alone is not one set of
#: characters: the API's regex engine counts U+0085 as space and U+FEFF not, JSON
#: Schema's (ECMA) the other way round, so both are named.
_ADDRESS_PART = r"[^@\s\x00\x85\ufeff]+"
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=254,
        pattern=rf"^({_ADDRESS_PART}@{_ADDRESS_PART})?$",
    ),
    Field(description="An e-mail address; empty: none"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Category = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z_]{1,20}$"),
    Field(description="An alarm category (fire, intrusion, ...); absent: every category"),
]


class WindowIn(StrictInput):
    """When a contact may be called: these ISO weekdays (Monday 1) from ``start`` to
    ``end``; an end before the start runs past midnight, equal times: the whole day."""

    days: Annotated[list[Annotated[int, Field(ge=1, le=7)]], Field(min_length=1, max_length=7)]
    start: Clock
    end: Clock


class ContactIn(StrictInput):
    """A new site contact; it goes last in the site's call order."""

    name: Name
    role: ContactRole
    phone: Phone = ""
    email: Email = ""
    windows: Annotated[list[WindowIn], Field(max_length=14)] = Field(
        default_factory=list, description="No windows: may be called at any time"
    )
    notes: Text = ""


class ContactUpdate(StrictInput):
    """Changes to a contact; ``position`` moves it in the call order (1 first)."""

    name: Name | None = omittable()
    role: ContactRole | None = omittable()
    phone: Phone | None = omittable()
    email: Email | None = omittable()
    windows: Annotated[list[WindowIn], Field(max_length=14)] | None = omittable()
    notes: Text | None = omittable()
    position: Annotated[int, Field(ge=1, le=1000)] | None = omittable()


class WindowOut(BaseModel):
    days: list[int]
    start: str
    end: str


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    site_id: uuid.UUID
    position: int
    name: str
    role: str
    phone: str
    email: str
    windows: list[WindowOut]
    notes: str


class StepIn(StrictInput):
    """One step; fields that do not belong to its kind are kept but not used."""

    kind: StepKind
    instruction: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
    ]
    mandatory: bool = False
    key: Annotated[str, StringConstraints(pattern=r"^([0-9a-f]{8})?$")] = Field(
        default="", description="Kept from the step of an earlier version; empty for a new step"
    )
    roles: Annotated[list[ContactRole], Field(max_length=6)] = Field(
        default_factory=list, description="Contacts of these roles (call, notify); empty: all"
    )
    unit_type: UnitType | None = None
    company: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    channel: Channel = Channel.EMAIL
    recipients: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = Field(
        default="", description="Addresses or numbers, comma-separated, instead of contacts"
    )
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""
    number: PoliceNumber = PoliceNumber.EMERGENCY
    script: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    team: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


Steps = Annotated[list[StepIn], Field(max_length=50)]


class PlanIn(StrictInput):
    """A new plan: for a site (or the centre, without one) and a category (or all)."""

    site_id: uuid.UUID | None = None
    category: Category | None = None
    steps: Steps
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class VersionIn(StrictInput):
    """A plan's next version: its steps in order."""

    steps: Steps
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class StepOut(BaseModel):
    kind: StepKind
    instruction: str
    mandatory: bool
    key: str
    roles: list[str]
    unit_type: str | None
    company: str
    channel: str
    recipients: str
    message: str
    number: str
    script: str
    team: str


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    plan_id: uuid.UUID
    number: int
    steps: list[StepOut]
    note: str
    created_at: datetime
    created_by_name: str


class PlanOut(BaseModel):
    id: uuid.UUID
    site_id: uuid.UUID | None
    category: str | None
    current_version: VersionOut | None


class StepDoneIn(StrictInput):
    """A step done, with what came of it."""

    outcome: Literal["reached", "not_reached", "sent", "done"]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


class StepStatusOut(BaseModel):
    index: int
    step: StepOut
    done: bool
    outcome: str | None
    note: str
    by: str
    at: datetime | None
    failed_reason: str | None


class ActivationPlanOut(BaseModel):
    """The plan an activation follows (its pinned version), with each step's state."""

    plan_id: uuid.UUID | None
    version: VersionOut | None
    steps: list[StepStatusOut]
    missing_mandatory: list[str]


class SmsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    recipient: str
    text: str
    sent_at: datetime
    activation_id: uuid.UUID | None
    sender_name: str


def step_out(data: dict[str, Any]) -> StepOut:
    """A stored step as the API shows it."""
    from_json = {key: data.get(key) for key in StepOut.model_fields}
    return StepOut.model_validate(from_json)
