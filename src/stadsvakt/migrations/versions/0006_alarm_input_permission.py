"""The ``alarm.input`` permission for existing municipalities' system owner roles.

Municipalities created before the JSON alarm input landed have a system owner role
without ``alarm.input``, so their system owners could neither post technical alarms
nor create tokens for building systems over the API. Roles an installation has
edited keep their edits; only the missing permission is added. Municipalities
created later get it from the role seed directly.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The new permissions each built-in role receives (as in auth/permissions.py).
_NEW_GRANTS: dict[str, tuple[str, ...]] = {"system_owner": ("alarm.input",)}
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
