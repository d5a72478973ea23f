"""The safety centre's planned visits (nattillsyn) and its log of what the officer on
duty (tjänsteman i beredskap) was told.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 22:40:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _uuid(name: str, **kw: object) -> sa.Column[uuid.UUID]:
    return sa.Column(name, sa.Uuid(), **kw)  # type: ignore[arg-type]


def _when(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Schedules of planned visits, the visits made, and the officer notices."""
    op.create_table(
        "task_schedules",
        _uuid("id", nullable=False),
        _uuid("tenant_id", nullable=False),
        sa.Column("reference", sa.String(40), nullable=False),
        _uuid("site_id", nullable=True),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("cameras", sa.String(500), nullable=False),
        sa.Column("times", sa.JSON(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_task_schedules_tenant_id_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_task_schedules_site_id_sites"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_schedules")),
    )
    op.create_index(op.f("ix_task_schedules_tenant_id"), "task_schedules", ["tenant_id"])
    op.create_table(
        "task_visits",
        _uuid("id", nullable=False),
        _uuid("schedule_id", nullable=False),
        sa.Column("local_time", sa.String(16), nullable=False),
        _when("due_at"),
        _uuid("activation_id", nullable=True),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["task_schedules.id"],
            name=op.f("fk_task_visits_schedule_id_task_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["activation_id"],
            ["activations.id"],
            name=op.f("fk_task_visits_activation_id_activations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_visits")),
        sa.UniqueConstraint("schedule_id", "local_time", name="uq_task_visits_once"),
    )
    op.create_index("ix_task_visits_due", "task_visits", ["due_at"])
    op.create_table(
        "officer_notices",
        _uuid("id", nullable=False),
        _uuid("tenant_id", nullable=False),
        _uuid("activation_id", nullable=False),
        sa.Column("officer_name", sa.String(200), nullable=False),
        sa.Column("officer_phone", sa.String(40), nullable=False),
        sa.Column("message", sa.String(2000), nullable=False),
        _uuid("told_by_id", nullable=True),
        sa.Column("told_by_name", sa.String(200), nullable=False),
        _when("told_at"),
        _when("acknowledged_at", True),
        sa.Column("acknowledged_by_name", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_officer_notices_tenant_id_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["activation_id"],
            ["activations.id"],
            name=op.f("fk_officer_notices_activation_id_activations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_notices")),
    )
    op.create_index("ix_officer_notices_tenant_told", "officer_notices", ["tenant_id", "told_at"])
    op.create_index(op.f("ix_officer_notices_activation_id"), "officer_notices", ["activation_id"])


def downgrade() -> None:
    """Drop the tables again."""
    op.drop_table("officer_notices")
    op.drop_table("task_visits")
    op.drop_table("task_schedules")
