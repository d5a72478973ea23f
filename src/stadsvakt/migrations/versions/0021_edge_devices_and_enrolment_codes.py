"""Edge devices (site agents, lock hubs), the doors each serves, one-time enrolment codes,
and the device permissions for existing municipalities' built-in roles.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 05:00:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from stadsvakt.migrations.role_grants import grant_to_builtin_roles, take_from_roles

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _uuid(name: str, **kw: object) -> sa.Column[uuid.UUID]:
    return sa.Column(name, sa.Uuid(), **kw)  # type: ignore[arg-type]


def _when(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _kind() -> sa.Enum:
    return sa.Enum("edge_agent", "lock_hub", name="devicekind", native_enum=False, length=20)


#: The device permissions each built-in role receives (as in auth/permissions.py).
_NEW_GRANTS: dict[str, tuple[str, ...]] = {
    "system_owner": ("device.read", "device.write"),
    "department_admin": ("device.read", "device.write"),
    "operator": ("device.read",),
    "shift_leader": ("device.read",),
    "auditor": ("device.read",),
}


def upgrade() -> None:
    """The three tables, then the permissions."""
    op.create_table(
        "edge_devices",
        _uuid("id", nullable=False),
        _uuid("tenant_id", nullable=False),
        _uuid("site_id", nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", _kind(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("active", "revoked", name="devicestate", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("mqtt_password_hash", sa.String(200), nullable=False),
        _when("enrolled_at"),
        _when("revoked_at", True),
        _when("last_seen_at", True),
        sa.Column("software_version", sa.String(60), nullable=False),
        sa.Column(
            "health",
            sa.Enum("ok", "degraded", "fault", name="devicehealth", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("health_detail", sa.String(500), nullable=False),
        sa.Column("snapshot_version", sa.Integer(), nullable=False),
        sa.Column("pending_events", sa.Integer(), nullable=False),
        sa.Column("clock_drift_ms", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_edge_devices_tenant_id_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_edge_devices_site_id_sites"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edge_devices")),
    )
    op.create_index(op.f("ix_edge_devices_tenant_id"), "edge_devices", ["tenant_id"])
    op.create_index(op.f("ix_edge_devices_site_id"), "edge_devices", ["site_id"])
    op.create_table(
        "edge_device_doors",
        _uuid("device_id", nullable=False),
        _uuid("door_id", nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["edge_devices.id"],
            name=op.f("fk_edge_device_doors_device_id_edge_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["door_id"],
            ["doors.id"],
            name=op.f("fk_edge_device_doors_door_id_doors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", "door_id", name=op.f("pk_edge_device_doors")),
        sa.UniqueConstraint("door_id", name=op.f("uq_edge_device_doors_door_id")),
    )
    op.create_table(
        "enrolment_codes",
        _uuid("id", nullable=False),
        _uuid("tenant_id", nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _when("expires_at"),
        _when("used_at", True),
        _uuid("device_id", nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", _kind(), nullable=False),
        _uuid("site_id", nullable=False),
        sa.Column("door_ids", sa.JSON(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_enrolment_codes_tenant_id_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["edge_devices.id"],
            name=op.f("fk_enrolment_codes_device_id_edge_devices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_enrolment_codes_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_enrolment_codes_code_hash")),
    )
    op.create_index(op.f("ix_enrolment_codes_tenant_id"), "enrolment_codes", ["tenant_id"])
    op.create_index(op.f("ix_enrolment_codes_site_id"), "enrolment_codes", ["site_id"])
    _grant_permissions()


def _grant_permissions() -> None:
    grant_to_builtin_roles(_NEW_GRANTS)


def downgrade() -> None:
    """Drop the tables; the permissions are taken from the built-in roles again."""
    op.drop_table("enrolment_codes")
    op.drop_table("edge_device_doors")
    op.drop_table("edge_devices")
    take_from_roles("device.")
