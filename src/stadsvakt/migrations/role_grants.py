"""What several migrations do to existing municipalities' built-in roles: add the
permissions a new feature brings (keeping whatever an installation edited), or take a
feature's permissions away again on downgrade.

Written against a table sketch of its own, not the models: a migration must keep working
when the models change later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from alembic import op

#: The roles table as the migrations see it (the columns they touch).
ROLES = sa.table(
    "roles",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("permissions", sa.JSON()),
)


def _listed(permissions: object) -> list[str]:
    return [str(item) for item in permissions] if isinstance(permissions, list) else []


def grant_to_builtin_roles(grants: Mapping[str, Sequence[str]]) -> None:
    """Give each role named in ``grants`` (in every municipality) the permissions listed
    for it that it lacks; a role's other permissions stay as they are."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(ROLES.c.id, ROLES.c.name, ROLES.c.permissions).where(
            ROLES.c.name.in_(list(grants))
        )
    ).all()
    for role_id, name, permissions in rows:
        current = _listed(permissions)
        added = [p for p in grants[str(name)] if p not in current]
        if added:
            bind.execute(
                sa.update(ROLES).where(ROLES.c.id == role_id).values(permissions=current + added)
            )


def take_from_roles(prefix: str) -> None:
    """Take every permission starting with ``prefix`` (e.g. ``device.``) from every role."""
    bind = op.get_bind()
    for role_id, permissions in bind.execute(sa.select(ROLES.c.id, ROLES.c.permissions)).all():
        current = _listed(permissions)
        kept = [p for p in current if not p.startswith(prefix)]
        if len(kept) != len(current):
            bind.execute(sa.update(ROLES).where(ROLES.c.id == role_id).values(permissions=kept))
