"""The safety centre's queue: activations, their timelines, the queue's change feed,
served municipalities and test windows; the centre's permissions and the field unit role.

Existing municipalities' built-in roles get the ``centre.*`` permissions the role seed
now grants, and a "field unit" role (``unit.report``) for guards' and home-care staff's
phones. Roles an installation has edited keep their edits; only what is missing is added.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 22:30:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from stadsvakt.migrations.role_grants import grant_to_builtin_roles

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CENTRE = ("centre.read", "centre.operate")
#: The new permissions each built-in role receives (as in auth/permissions.py).
_NEW_GRANTS: dict[str, tuple[str, ...]] = {
    "system_owner": (*_CENTRE, "centre.lead", "centre.admin", "unit.report"),
    "department_admin": ("centre.read",),
    "operator": _CENTRE,
    "shift_leader": (*_CENTRE, "centre.lead"),
    "auditor": ("centre.read",),
    "field_unit": ("unit.report",),
}
_FIELD_UNIT = ("field_unit", "Fältenhet (väktare, hemtjänst)", "Field unit")
_roles = sa.table(
    "roles",
    sa.column("id", sa.Uuid()),
    sa.column("tenant_id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("label_sv", sa.String()),
    sa.column("label_en", sa.String()),
    sa.column("permissions", sa.JSON()),
    sa.column("unit_scoped", sa.Boolean()),
    sa.column("require_totp", sa.Boolean()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
_municipalities = sa.table("municipalities", sa.column("id", sa.Uuid()))


def _uuid(name: str, **kw: object) -> sa.Column[uuid.UUID]:
    return sa.Column(name, sa.Uuid(), **kw)  # type: ignore[arg-type]


def _when(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _tables() -> None:
    op.create_table(
        "activations",
        _uuid("id", nullable=False),
        _uuid("tenant_id", nullable=False),
        _uuid("site_id", nullable=True),
        _uuid("transmitter_id", nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("group_key", sa.String(160), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        _when("opened_at"),
        _when("last_event_at"),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("zones", sa.JSON(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("restored", sa.Boolean(), nullable=False),
        _uuid("claimed_by", nullable=True),
        sa.Column("claimed_by_name", sa.String(200), nullable=True),
        _when("claimed_at", True),
        _when("acknowledged_at", True),
        _uuid("offered_to", nullable=True),
        _when("offered_at", True),
        _when("held_until", True),
        sa.Column("hold_reason", sa.String(500), nullable=True),
        _when("escalated_at", True),
        _when("closed_at", True),
        sa.Column("closed_by_name", sa.String(200), nullable=True),
        sa.Column("cause", sa.String(20), nullable=True),
        sa.Column("close_note", sa.String(2000), nullable=True),
        _uuid("plan_version_id", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_activations_tenant_id_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_activations_site_id_sites"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["transmitter_id"],
            ["transmitters.id"],
            name=op.f("fk_activations_transmitter_id_transmitters"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activations")),
    )
    op.create_index("ix_activations_queue", "activations", ["state", "priority", "opened_at"])
    op.create_index("ix_activations_group", "activations", ["group_key", "state"])
    op.create_index("ix_activations_tenant_opened", "activations", ["tenant_id", "opened_at"])
    op.create_index("ix_activations_site_opened", "activations", ["site_id", "opened_at"])
    op.create_table(
        "activation_entries",
        _uuid("id", nullable=False),
        _uuid("activation_id", nullable=False),
        _when("at"),
        sa.Column("kind", sa.String(30), nullable=False),
        _uuid("actor_id", nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=False),
        _uuid("alarm_id", nullable=True),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activation_id"],
            ["activations.id"],
            name=op.f("fk_activation_entries_activation_id_activations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["alarm_id"],
            ["alarms.id"],
            name=op.f("fk_activation_entries_alarm_id_alarms"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_entries")),
    )
    op.create_index(
        "ix_activation_entries_activation", "activation_entries", ["activation_id", "at"]
    )
    op.create_table(
        "queue_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_head")),
    )
    op.execute("INSERT INTO queue_head (id, seq) VALUES (1, 0)")
    op.create_table(
        "queue_changes",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        _uuid("activation_id", nullable=False),
        _uuid("tenant_id", nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _when("at"),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_queue_changes")),
    )
    op.create_index("ix_queue_changes_at", "queue_changes", ["at"])
    op.create_table(
        "served_municipalities",
        _uuid("id", nullable=False),
        _uuid("centre_tenant_id", nullable=False),
        _uuid("served_tenant_id", nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_served_municipalities_centre_tenant_id_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["served_tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_served_municipalities_served_tenant_id_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_served_municipalities")),
        sa.UniqueConstraint("centre_tenant_id", "served_tenant_id", name="uq_served_pair"),
    )
    op.create_index(
        op.f("ix_served_municipalities_centre_tenant_id"),
        "served_municipalities",
        ["centre_tenant_id"],
    )
    op.create_index(
        op.f("ix_served_municipalities_served_tenant_id"),
        "served_municipalities",
        ["served_tenant_id"],
    )
    op.create_table(
        "test_windows",
        _uuid("id", nullable=False),
        _uuid("tenant_id", nullable=False),
        _uuid("site_id", nullable=True),
        _uuid("transmitter_id", nullable=True),
        _when("starts_at"),
        _when("ends_at"),
        sa.Column("reason", sa.String(500), nullable=False),
        _uuid("set_by_id", nullable=True),
        sa.Column("set_by_name", sa.String(200), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_test_windows_tenant_id_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_test_windows_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["transmitter_id"],
            ["transmitters.id"],
            name=op.f("fk_test_windows_transmitter_id_transmitters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_windows")),
    )
    op.create_index("ix_test_windows_ends", "test_windows", ["ends_at"])
    op.create_index(op.f("ix_test_windows_site_id"), "test_windows", ["site_id"])
    op.create_index(op.f("ix_test_windows_transmitter_id"), "test_windows", ["transmitter_id"])


def _permissions() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    tenants = [row[0] for row in bind.execute(sa.select(_municipalities.c.id))]
    have_unit_role = {
        row[0]
        for row in bind.execute(sa.select(_roles.c.tenant_id).where(_roles.c.name == "field_unit"))
    }
    for tenant in tenants:
        if tenant not in have_unit_role:
            role_name, label_sv, label_en = _FIELD_UNIT
            bind.execute(
                sa.insert(_roles).values(
                    id=uuid.uuid4(),
                    tenant_id=tenant,
                    name=role_name,
                    label_sv=label_sv,
                    label_en=label_en,
                    permissions=[],
                    unit_scoped=False,
                    require_totp=False,
                    created_at=now,
                    updated_at=now,
                )
            )
    grant_to_builtin_roles(_NEW_GRANTS)


def upgrade() -> None:
    _tables()
    _permissions()


def downgrade() -> None:
    """Drops the centre's tables; permissions once given are left in place."""
    for table in (
        "test_windows",
        "served_municipalities",
        "queue_changes",
        "queue_head",
        "activation_entries",
        "activations",
    ):
        op.drop_table(table)
