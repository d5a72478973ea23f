"""Who may do what, for explaining a refusal: the roles a user holds and the roles of their
municipality that include a permission (roles are data: an installation may have changed
the built-in ones, so they are read, not taken from the code)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.auth.models import Role, RoleAssignment


@dataclass(frozen=True, slots=True)
class RoleName:
    """A role's labels in both languages."""

    name: str
    label_sv: str
    label_en: str

    def label(self, lang: str) -> str:
        """The label in ``lang`` (Swedish unless English is asked for)."""
        return self.label_en if lang == "en" else self.label_sv


def _names(roles: list[Role]) -> list[RoleName]:
    return [RoleName(r.name, r.label_sv, r.label_en) for r in sorted(roles, key=lambda r: r.name)]


def roles_of_user(session: Session, user_id: uuid.UUID) -> list[RoleName]:
    """The roles a user holds (each once, whatever units it is held in)."""
    # IN, not DISTINCT: PostgreSQL cannot compare the JSON permissions column.
    held = select(RoleAssignment.role_id).where(RoleAssignment.user_id == user_id)
    stmt = select(Role).where(Role.id.in_(held))
    return _names(list(session.scalars(stmt)))


def roles_with(session: Session, tenant_id: uuid.UUID, permission: str) -> list[RoleName]:
    """The municipality's roles that include ``permission``."""
    roles = session.scalars(select(Role).where(Role.tenant_id == tenant_id))
    return _names([role for role in roles if permission in role.permissions])
