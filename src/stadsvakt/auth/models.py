"""Tables for user accounts, roles and their assignments, web sessions, API tokens, logins."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stadsvakt.db import Base, IdMixin, TimestampMixin, utcnow


class User(IdMixin, TimestampMixin, Base):
    """A person who logs in to stadsvakt (operator, administrator, auditor)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("username", name="uq_users_username"),)
    __audit_exclude__: ClassVar[tuple[str, ...]] = ("password_hash", "totp_secret")

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    username: Mapped[str] = mapped_column(String(80))
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    totp_secret: Mapped[str | None] = mapped_column(String(400), default=None)  # encrypted
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The last TOTP time step accepted, so a code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    language: Mapped[str | None] = mapped_column(String(5), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Subject from an OpenID Connect provider, once that login is added.
    external_subject: Mapped[str | None] = mapped_column(String(255), default=None)

    assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class Role(IdMixin, TimestampMixin, Base):
    """A named set of permissions; data, not code."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_roles_tenant_name"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    label_sv: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(100))
    permissions: Mapped[list[str]] = mapped_column(JSON)
    unit_scoped: Mapped[bool] = mapped_column(Boolean, default=False)
    require_totp: Mapped[bool] = mapped_column(Boolean, default=False)


class RoleAssignment(IdMixin, TimestampMixin, Base):
    """A user holds a role, either in the whole municipality or inside one unit's subtree."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("user_id", "role_id", "org_unit_id", name="uq_role_assignments_triple"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id", ondelete="RESTRICT"))
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="CASCADE"), default=None
    )

    user: Mapped[User] = relationship(back_populates="assignments", lazy="raise")
    role: Mapped[Role] = relationship(lazy="joined")


class ApiToken(IdMixin, TimestampMixin, Base):
    """A token for an integration or device: shown once, stored hashed, scoped, expiring."""

    __tablename__ = "api_tokens"
    __audit_exclude__: ClassVar[tuple[str, ...]] = ("token_hash",)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(200))


class WebSession(Base):
    """A browser login; the cookie holds a random token, the table only its hash."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    #: False until the second factor is given (or not needed).
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LoginAttempt(Base):
    """A login attempt, kept for throttling across every stadsvakt process.

    A failure (``succeeded`` false) counts towards the backoff of its account, its client
    address and the pair; an attempt is stored as a failure before its password is
    checked and removed when the password proves right. A success row, one per account
    and address, marks an address the account completed a login from (a known address).
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_client_at", "client", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80))
    #: The client address as throttling keys it (an IPv6 address by its /64 network).
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
