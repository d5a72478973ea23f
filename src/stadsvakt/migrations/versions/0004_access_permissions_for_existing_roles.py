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

from stadsvakt.migrations.role_grants import grant_to_builtin_roles

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


def upgrade() -> None:
    grant_to_builtin_roles(_NEW_GRANTS)


def downgrade() -> None:
    """Permissions once given are left in place: removing them could lock people out."""
