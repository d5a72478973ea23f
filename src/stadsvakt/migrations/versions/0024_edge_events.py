"""Events uploaded by edge devices: one row per event id (the device's UUIDv7), so a
re-sent event is recognised and stored once; the decisions among them also go to the
access event log and the door alarms to the alarm log, in their own tables.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The table of received edge events and its indexes (the same on SQLite and PostgreSQL)."""
    op.create_table(
        "edge_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("door_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edge_events")),
    )
    op.create_index("ix_edge_events_tenant_at", "edge_events", ["tenant_id", "at"])
    op.create_index("ix_edge_events_device_at", "edge_events", ["device_id", "at"])


def downgrade() -> None:
    """Drop the table (the events stay in the access and alarm logs)."""
    op.drop_index("ix_edge_events_device_at", table_name="edge_events")
    op.drop_index("ix_edge_events_tenant_at", table_name="edge_events")
    op.drop_table("edge_events")
