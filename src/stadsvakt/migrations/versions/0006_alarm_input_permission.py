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

from stadsvakt.migrations.role_grants import grant_to_builtin_roles

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The new permissions each built-in role receives (as in auth/permissions.py).
_NEW_GRANTS: dict[str, tuple[str, ...]] = {"system_owner": ("alarm.input",)}


def upgrade() -> None:
    grant_to_builtin_roles(_NEW_GRANTS)


def downgrade() -> None:
    """Permissions once given are left in place: removing them could lock people out."""
