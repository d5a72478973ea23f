"""The safety centre's field units: the units, their GPS trail (and personal alarms'),
and dispatches to activations with the time of each step.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 22:40:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _uuid(name: str, **kw: object) -> sa.Column[uuid.UUID]:
    return sa.Column(name, sa.Uuid(), **kw)  # type: ignore[arg-type]


def _when(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(
    table: str, column: str, target: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "field_units",
        _uuid("id", nullable=False),
        _uuid("tenant_id", nullable=False),
        sa.Column("call_sign", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit_type", sa.String(20), nullable=False),
        sa.Column("company", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        _when("status_at"),
        _uuid("user_id", nullable=True),
        _uuid("token_id", nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        _when("position_at", True),
        _when("created_at"),
        _when("updated_at"),
        _fk("field_units", "tenant_id", "municipalities"),
        _fk("field_units", "user_id", "users", "SET NULL"),
        _fk("field_units", "token_id", "api_tokens", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_units")),
        sa.UniqueConstraint("tenant_id", "call_sign", name="uq_field_units_call_sign"),
    )
    op.create_index("ix_field_units_status", "field_units", ["tenant_id", "unit_type", "status"])
    op.create_index(op.f("ix_field_units_user_id"), "field_units", ["user_id"])
    op.create_table(
        "gps_positions",
        _uuid("id", nullable=False),
        _uuid("tenant_id", nullable=False),
        _uuid("unit_id", nullable=True),
        _uuid("transmitter_id", nullable=True),
        _uuid("site_id", nullable=True),
        _uuid("alarm_id", nullable=True),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        _when("at"),
        _when("received_at"),
        sa.Column("source", sa.String(20), nullable=False),
        _fk("gps_positions", "tenant_id", "municipalities"),
        _fk("gps_positions", "unit_id", "field_units", "CASCADE"),
        _fk("gps_positions", "transmitter_id", "transmitters", "CASCADE"),
        _fk("gps_positions", "site_id", "sites", "CASCADE"),
        _fk("gps_positions", "alarm_id", "alarms", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gps_positions")),
    )
    op.create_index("ix_gps_positions_unit_at", "gps_positions", ["unit_id", "at"])
    op.create_index("ix_gps_positions_transmitter_at", "gps_positions", ["transmitter_id", "at"])
    op.create_index("ix_gps_positions_tenant_at", "gps_positions", ["tenant_id", "at"])
    op.create_table(
        "dispatches",
        _uuid("id", nullable=False),
        _uuid("tenant_id", nullable=False),
        _uuid("activation_id", nullable=False),
        _uuid("unit_id", nullable=True),
        sa.Column("unit_type", sa.String(20), nullable=False),
        sa.Column("unit_name", sa.String(250), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=True),
        _when("dispatched_at"),
        _uuid("dispatched_by_id", nullable=True),
        sa.Column("dispatched_by_name", sa.String(200), nullable=False),
        _when("accepted_at", True),
        _when("arrived_at", True),
        _when("cleared_at", True),
        _when("escalated_at", True),
        _when("cancelled_at", True),
        _fk("dispatches", "tenant_id", "municipalities"),
        _fk("dispatches", "activation_id", "activations", "CASCADE"),
        _fk("dispatches", "unit_id", "field_units", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatches")),
    )
    op.create_index("ix_dispatches_activation", "dispatches", ["activation_id", "dispatched_at"])
    op.create_index("ix_dispatches_unit", "dispatches", ["unit_id", "cleared_at"])
    op.create_index("ix_dispatches_tenant_dispatched", "dispatches", ["tenant_id", "dispatched_at"])
    op.create_index(
        "ix_dispatches_unanswered", "dispatches", ["accepted_at", "escalated_at", "dispatched_at"]
    )


def downgrade() -> None:
    """Drops the field units' tables."""
    for table in ("dispatches", "gps_positions", "field_units"):
        op.drop_table(table)
