"""API schemas for users, roles, tokens and login."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from stadsvakt.auth.passwords import MIN_LENGTH
from stadsvakt.auth.permissions import PERMISSIONS
from stadsvakt.schemas import StrictInput, omittable

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=2, max_length=80, pattern=r"^[a-zA-Z0-9._@-]+$"
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
# The known permissions are in the schema (enum), so an unknown one is not schema-valid.
Permission = Annotated[
    str,
    StringConstraints(min_length=3, max_length=40, pattern=r"^[a-z_]+\.[a-z_]+$"),
    Field(json_schema_extra={"enum": sorted(PERMISSIONS)}),
]
# A new password's length rule is in the schema; the service checks it (and the rest of
# password strength), naming the rule password_strength.
NewPassword = Annotated[Password, Field(json_schema_extra={"minLength": MIN_LENGTH})]


class RoleAssignmentIn(StrictInput):
    role: Annotated[str, StringConstraints(min_length=2, max_length=40)]
    org_unit_id: uuid.UUID | None = None


class RoleAssignmentOut(BaseModel):
    role: str
    org_unit_id: uuid.UUID | None


class UserCreate(StrictInput):
    username: Username
    display_name: Name
    email: EmailStr | None = None
    password: NewPassword
    language: Annotated[str, StringConstraints(pattern="^(sv|en)$")] | None = None
    roles: list[RoleAssignmentIn] = Field(default_factory=list, max_length=20)


class UserUpdate(StrictInput):
    display_name: Name | None = omittable()
    email: EmailStr | None = None
    language: Annotated[str, StringConstraints(pattern="^(sv|en)$")] | None = None
    active: bool | None = omittable()
    roles: list[RoleAssignmentIn] | None = omittable(max_length=20)


class UserOut(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    email: str | None
    language: str | None
    active: bool
    totp_enabled: bool
    roles: list[RoleAssignmentOut]
    created_at: datetime


class RoleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    label_sv: str
    label_en: str
    permissions: list[str]
    unit_scoped: bool
    require_totp: bool


class RoleUpdate(StrictInput):
    permissions: list[Permission] | None = omittable(max_length=100)
    require_totp: bool | None = omittable()


class TokenCreate(StrictInput):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    scopes: list[Permission] = Field(min_length=1, max_length=50)
    expires_days: int | None = Field(default=90, ge=1, le=3650)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_by: str
    created_at: datetime


class TokenCreated(TokenOut):
    token: str = Field(description="The secret token. Shown once; store it now.")


class LoginIn(StrictInput):
    username: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    password: Password


class TotpIn(StrictInput):
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class LoginOut(BaseModel):
    status: str = Field(description="'ok', 'totp_required' or 'totp_enrollment_required'")
    csrf_token: str


class TotpEnrollment(BaseModel):
    secret: str
    otpauth_uri: str


class MeOut(BaseModel):
    id: uuid.UUID | None
    kind: str
    name: str
    tenant_id: uuid.UUID | None
    permissions: dict[str, list[uuid.UUID] | None]
