"""Alarm reception: the transmitter registry and the normalised alarms.

Also gives the built-in roles of existing municipalities the new permissions
(alarm.read, transmitter.read, transmitter.write), as :data:`BUILTIN_ROLES` now
grants them to new ones. Roles an installation has edited keep their edits; only
missing permissions are added.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stadsvakt.migrations.role_grants import grant_to_builtin_roles

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The new permissions each built-in role receives (as in auth/permissions.py).
_NEW_GRANTS = {
    "system_owner": ("alarm.read", "transmitter.read", "transmitter.write"),
    "operator": ("alarm.read", "transmitter.read"),
    "shift_leader": ("alarm.read", "transmitter.read"),
    "auditor": ("alarm.read", "transmitter.read"),
    "read_only": ("alarm.read",),
}


def upgrade() -> None:
    op.create_table(
        "transmitters",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("account", sa.String(length=16), nullable=False),
        sa.Column("receiver", sa.String(length=6), nullable=False),
        sa.Column("line", sa.String(length=6), nullable=False),
        sa.Column(
            "protocol",
            sa.Enum(
                "dc09-sia",
                "dc09-cid",
                "scaip",
                "json",
                name="transmitterprotocol",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column(
            "bearer",
            sa.Enum("2G", "3G", "4G", "IP", name="bearer", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("interval_s", sa.Integer(), nullable=True),
        sa.Column("key_sealed", sa.Text(), nullable=True),
        sa.Column("key_bits", sa.Integer(), nullable=True),
        sa.Column("encrypted_only", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_transmitters_site_id_sites"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_transmitters_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transmitters")),
        sa.UniqueConstraint("account", "receiver", "line", name="uq_transmitters_address"),
    )
    with op.batch_alter_table("transmitters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transmitters_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transmitters_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "alarms",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("transmitter_id", sa.Uuid(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("protocol", sa.String(length=20), nullable=False),
        sa.Column("account", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.String(length=8), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("qualifier", sa.String(length=10), nullable=False),
        sa.Column("zone", sa.Integer(), nullable=True),
        sa.Column("user_number", sa.Integer(), nullable=True),
        sa.Column("partition", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=True),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_alarms_site_id_sites"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["municipalities.id"], name=op.f("fk_alarms_tenant_id_municipalities")
        ),
        sa.ForeignKeyConstraint(
            ["transmitter_id"],
            ["transmitters.id"],
            name=op.f("fk_alarms_transmitter_id_transmitters"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarms")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_alarms_dedup_key")),
    )
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarms_category"), ["category"], unique=False)
        batch_op.create_index("ix_alarms_site_received", ["site_id", "received_at"], unique=False)
        batch_op.create_index(
            "ix_alarms_tenant_received", ["tenant_id", "received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alarms_transmitter_id"), ["transmitter_id"], unique=False
        )
    _grant_new_permissions()


def _grant_new_permissions() -> None:
    grant_to_builtin_roles(_NEW_GRANTS)


def downgrade() -> None:
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarms_transmitter_id"))
        batch_op.drop_index("ix_alarms_tenant_received")
        batch_op.drop_index("ix_alarms_site_received")
        batch_op.drop_index(batch_op.f("ix_alarms_category"))

    op.drop_table("alarms")
    with op.batch_alter_table("transmitters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transmitters_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_transmitters_site_id"))

    op.drop_table("transmitters")
