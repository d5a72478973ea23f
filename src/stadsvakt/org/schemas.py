"""API schemas for municipalities, organisation units and sites, with their limits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from stadsvakt.org.models import OwnerKind, UnitKind
from stadsvakt.schemas import StrictInput, omittable

Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$"
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PostalCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[1-9][0-9]{2} ?[0-9]{2}$")
]
Phone = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=40, pattern=r"^\+?[0-9()-][0-9 ()-]{3,38}[0-9()-]$"
    ),
]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    limit: int
    offset: int


class MunicipalityCreate(StrictInput):
    name: Name
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")] = Field(description="kommunkod")


class MunicipalityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    code: str


class OrgUnitCreate(StrictInput):
    code: Code
    name: Name
    kind: UnitKind = UnitKind.UNIT
    parent_id: uuid.UUID | None = None


class OrgUnitUpdate(StrictInput):
    code: Code | None = omittable()
    name: Name | None = omittable()
    kind: UnitKind | None = omittable()
    parent_id: uuid.UUID | None = None


class OrgUnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    kind: UnitKind
    parent_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class _SiteFields(StrictInput):
    org_unit_id: uuid.UUID | None = None
    street: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
    postal_code: PostalCode
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    owner_kind: OwnerKind = OwnerKind.CITY
    owner_name: Name | None = None
    owner_contact: Name | None = None
    owner_email: EmailStr | None = None
    owner_phone: Phone | None = None


class SiteCreate(_SiteFields):
    # The external-owner rule in the schema itself (if/then), as the validator keeps it.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"owner_kind": {"const": "external"}}, "required": ["owner_kind"]},
            "then": {"required": ["owner_name"], "properties": {"owner_name": {"type": "string"}}},
        }
    )

    code: Code
    name: Name

    @model_validator(mode="after")
    def _external_needs_owner(self) -> Self:
        if self.owner_kind is OwnerKind.EXTERNAL and not self.owner_name:
            raise ValueError("owner_name: required when owner_kind is 'external'")
        return self


class SiteUpdate(StrictInput):
    code: Code | None = omittable()
    name: Name | None = omittable()
    org_unit_id: uuid.UUID | None = None
    street: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
        | None
    ) = omittable()
    postal_code: PostalCode | None = omittable()
    city: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]
        | None
    ) = omittable()
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = omittable()
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = omittable()
    owner_kind: OwnerKind | None = omittable()
    owner_name: Name | None = None
    owner_contact: Name | None = None
    owner_email: EmailStr | None = None
    owner_phone: Phone | None = None


class SiteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    org_unit_id: uuid.UUID | None
    street: str
    postal_code: str
    city: str
    latitude: float
    longitude: float
    owner_kind: OwnerKind
    owner_name: str | None
    owner_contact: str | None
    owner_email: str | None
    owner_phone: str | None
    created_at: datetime
    updated_at: datetime
