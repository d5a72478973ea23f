"""The export format: one JSON document with the whole access configuration of one
municipality, described by these models (the published JSON Schema is generated from them).

Every object keeps its id; references are ids. Fields are the stored columns, except
bookkeeping (``created_at``, ``updated_at``, SCIM versions) and secrets: a PIN's hash
is never exported, so PINs must be issued again after an import.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from stadsvakt.access import identifiers
from stadsvakt.access.models import (
    CredentialKind,
    CredentialState,
    DoorMode,
    GrantKind,
    HolidayMode,
)
from stadsvakt.directory.models import PersonKind
from stadsvakt.org.models import OwnerKind, UnitKind

FORMAT = "stadsvakt-access-export"
VERSION = 1
SCHEMA_ID = "https://stadsvakt.example/schemas/access-export-v1.json"


class Item(BaseModel):
    """Base of every exported object: strict (unknown keys refused), read from ORM rows."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    id: uuid.UUID


class MunicipalityItem(Item):
    """The municipality (kommun) the document belongs to."""

    name: str = Field(min_length=1, max_length=120)
    code: str = Field(min_length=1, max_length=4)


class UnitItem(Item):
    """An organisation unit (förvaltning → enhet)."""

    parent_id: uuid.UUID | None
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    kind: UnitKind


class SiteItem(Item):
    """A site (building) and its owner."""

    org_unit_id: uuid.UUID | None
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    street: str = Field(max_length=200)
    postal_code: str = Field(max_length=6)
    city: str = Field(max_length=100)
    latitude: float
    longitude: float
    owner_kind: OwnerKind
    owner_name: str | None
    owner_contact: str | None
    owner_email: str | None
    owner_phone: str | None


class PersonItem(Item):
    """A person (no personal identity number is ever stored)."""

    org_unit_id: uuid.UUID | None
    kind: PersonKind
    employee_number: str | None = Field(max_length=40)
    external_id: str | None = Field(max_length=200)
    user_name: str | None = Field(max_length=200)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    email: str | None = Field(max_length=254)
    active: bool
    extended_unlock: bool


class AssignmentItem(Item):
    """A position held in a unit from ``start`` to ``end`` (both days included)."""

    person_id: uuid.UUID
    org_unit_id: uuid.UUID
    position: str = Field(min_length=1, max_length=100)
    start: date
    end: date | None
    source: str = Field(max_length=20)


class GroupItem(Item):
    """A group of people and its members (person ids, sorted)."""

    org_unit_id: uuid.UUID | None
    display_name: str = Field(min_length=1, max_length=200)
    external_id: str | None = Field(max_length=200)
    member_ids: list[uuid.UUID]


class TrainingItem(Item):
    """A completed course."""

    person_id: uuid.UUID
    course: str = Field(min_length=1, max_length=60)
    completed_on: date
    expires_on: date | None


class ZoneItem(Item):
    """A zone of a site."""

    site_id: uuid.UUID
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)


class DoorItem(Item):
    """A door, its readers and mode."""

    site_id: uuid.UUID
    zone_id: uuid.UUID
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    reader_ids: list[str]
    mode: DoorMode
    unlock_schedule_id: uuid.UUID | None
    unlock_seconds: int = Field(ge=0)
    extended_unlock_seconds: int = Field(ge=0)


class HolidayCalendarItem(Item):
    """Swedish public holidays (if included) plus local days."""

    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    include_public: bool
    local_days: list[dict[str, str]]


class ScheduleItem(Item):
    """Weekly intervals in Europe/Stockholm time (see docs/access.md) and the holiday rule."""

    org_unit_id: uuid.UUID | None
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    intervals: list[dict[str, Any]]
    holiday_mode: HolidayMode
    holiday_calendar_id: uuid.UUID | None


class ProfileItem(Item):
    """An access profile: zones (ids, sorted) at a schedule, maybe needing a course."""

    org_unit_id: uuid.UUID | None
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    schedule_id: uuid.UUID
    required_course: str | None = Field(max_length=60)
    zone_ids: list[uuid.UUID]


class PositionProfileItem(Item):
    """Everyone holding ``position`` (or ``*``) in a unit gets a profile."""

    org_unit_id: uuid.UUID
    position: str = Field(min_length=1, max_length=100)
    include_subunits: bool
    profile_id: uuid.UUID


class GrantItem(Item):
    """A direct grant to a person or a group for a window."""

    org_unit_id: uuid.UUID | None
    profile_id: uuid.UUID
    person_id: uuid.UUID | None
    group_id: uuid.UUID | None
    kind: GrantKind
    valid_from: AwareDatetime
    valid_to: AwareDatetime | None
    note: str | None = Field(max_length=500)
    # Since grants by kind; absent in older files (None): the host, reason and kind's fields.
    host_person_id: uuid.UUID | None = None
    reason: str | None = Field(default=None, max_length=500)
    company: str | None = Field(default=None, max_length=200)
    booking_party: str | None = Field(default=None, max_length=200)
    booking_reference: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=40)
    created_by: str | None = Field(default=None, max_length=200)
    ended_early_at: AwareDatetime | None = None
    ended_early_from: AwareDatetime | None = None


class CredentialItem(Item):
    """A card, tag, PIN or mobile key, without secrets (a PIN must be issued again)."""

    person_id: uuid.UUID
    kind: CredentialKind
    identifier: str = Field(min_length=1, max_length=64)
    technology: str | None = Field(max_length=60)
    state: CredentialState
    valid_from: AwareDatetime | None
    valid_to: AwareDatetime | None

    @model_validator(mode="after")
    def _normal_identifier(self) -> Self:
        """A card UID or mobile key id in the one normal form decisions look it up by (an
        older export may hold ``04:a2:…``); text that is no such identifier is kept, as
        migration 0007 keeps it."""
        if self.kind is not CredentialKind.PIN:
            self.identifier = identifiers.presented(self.kind, self.identifier) or self.identifier
        return self


class ServiceLevelItem(Item):
    """A service catalogue level and what it requires."""

    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    rank: int
    requirements: list[str]


class SiteServiceItem(BaseModel):
    """A site's service level and its components (keyed by the site)."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    site_id: uuid.UUID
    level_id: uuid.UUID
    components: list[str]


class ExportDocument(BaseModel):
    """The whole access configuration of one municipality."""

    model_config = ConfigDict(
        extra="forbid",
        title="stadsvakt access configuration export",
        json_schema_extra={
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": SCHEMA_ID,
        },
    )

    format: Literal["stadsvakt-access-export"]
    version: Literal[1]
    municipality: MunicipalityItem
    units: list[UnitItem]
    sites: list[SiteItem]
    people: list[PersonItem]
    assignments: list[AssignmentItem]
    groups: list[GroupItem]
    training: list[TrainingItem]
    holiday_calendars: list[HolidayCalendarItem]
    schedules: list[ScheduleItem]
    zones: list[ZoneItem]
    doors: list[DoorItem]
    profiles: list[ProfileItem]
    position_profiles: list[PositionProfileItem]
    grants: list[GrantItem]
    credentials: list[CredentialItem]
    service_levels: list[ServiceLevelItem]
    site_services: list[SiteServiceItem]


def json_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of the export document."""
    return ExportDocument.model_json_schema(mode="validation")
