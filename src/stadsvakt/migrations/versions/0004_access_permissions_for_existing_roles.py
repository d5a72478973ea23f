"""Access-control permissions for the built-in roles of existing municipalities.

Municipalities created before the directory and access model landed have roles
without the permissions :data:`BUILTIN_ROLES` now grants (people, training,
access configuration, grants, credentials, SCIM, decisions). Roles an
installation has edited keep their edits; only missing permissions are added.
Municipalities created later get them from the role seed directly.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 14:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PEOPLE = ("person.read", "person.write", "training.read")
_ACCESS = ("access.read", "access.write", "grant.read", "grant.write")
_CREDENTIALS = ("credential.read", "credential.write")

#: The new permissions each built-in role receives (as in auth/permissions.py).
_NEW_GRANTS: dict[str, tuple[str, ...]] = {
    "system_owner": (
        *_ACCESS,
        *_CREDENTIALS,
        *_PEOPLE,
        "training.write",
        "scim.provision",
        "access.decide",
    ),
    "department_admin": (*_ACCESS, *_CREDENTIALS, *_PEOPLE),
    "operator": ("access.read", "credential.read", "person.read"),
    "shift_leader": ("access.read", "credential.read", "person.read"),
    "auditor": ("access.read", "grant.read", "credential.read", "person.read", "training.read"),
    "read_only": ("access.read",),
}
_roles = sa.table(
    "roles",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("permissions", sa.JSON()),
)


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_roles.c.id, _roles.c.name, _roles.c.permissions).where(
            _roles.c.name.in_(list(_NEW_GRANTS))
        )
    ).all()
    for role_id, name, permissions in rows:
        current = [str(item) for item in permissions] if isinstance(permissions, list) else []
        added = [p for p in _NEW_GRANTS[str(name)] if p not in current]
        if added:
            bind.execute(
                sa.update(_roles).where(_roles.c.id == role_id).values(permissions=current + added)
            )


def downgrade() -> None:
    """Permissions once given are left in place: removing them could lock people out."""
