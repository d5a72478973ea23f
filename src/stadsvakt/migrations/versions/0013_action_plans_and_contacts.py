"""The safety centre's action plans: sites' contacts and keyholders with their hours,
plans per site and category with immutable versions, and the demo SMS notifier's log.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 22:40:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _uuid(name: str, **kw: object) -> sa.Column[uuid.UUID]:
    return sa.Column(name, sa.Uuid(), **kw)  # type: ignore[arg-type]


def _when(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["municipalities.id"], name=op.f(f"fk_{table}_tenant_id_municipalities")
    )


def upgrade() -> None:
    op.create_table(
        "site_contacts",
        _uuid("id", nullable=False),
        _uuid("tenant_id", nullable=False),
        _uuid("site_id", nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("notes", sa.String(2000), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        _tenant_fk("site_contacts"),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_site_contacts_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_contacts")),
    )
    op.create_index("ix_site_contacts_site", "site_contacts", ["site_id", "position"])
    op.create_table(
        "action_plans",
        _uuid("id", nullable=False),
        _uuid("tenant_id", nullable=False),
        _uuid("site_id", nullable=True),
        sa.Column("category", sa.String(20), nullable=True),
        sa.Column("scope_key", sa.String(80), nullable=False),
        _uuid("current_version_id", nullable=True),
        _when("created_at"),
        _when("updated_at"),
        _tenant_fk("action_plans"),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_action_plans_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plans")),
        sa.UniqueConstraint("tenant_id", "scope_key", name="uq_action_plans_scope"),
    )
    op.create_index(op.f("ix_action_plans_site_id"), "action_plans", ["site_id"])
    op.create_table(
        "plan_versions",
        _uuid("id", nullable=False),
        _uuid("plan_id", nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        _when("created_at"),
        sa.Column("created_by_name", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["action_plans.id"],
            name=op.f("fk_plan_versions_plan_id_action_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
        sa.UniqueConstraint("plan_id", "number", name="uq_plan_versions_number"),
    )
    op.create_table(
        "sent_sms",
        _uuid("id", nullable=False),
        _uuid("tenant_id", nullable=False),
        sa.Column("recipient", sa.String(40), nullable=False),
        sa.Column("text", sa.String(1000), nullable=False),
        _when("sent_at"),
        _uuid("activation_id", nullable=True),
        sa.Column("sender_name", sa.String(200), nullable=False),
        _tenant_fk("sent_sms"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_sms")),
    )
    op.create_index("ix_sent_sms_tenant_sent", "sent_sms", ["tenant_id", "sent_at"])


def downgrade() -> None:
    """Drops the plans, versions, contacts and the demo SMS log."""
    for table in ("sent_sms", "plan_versions", "action_plans", "site_contacts"):
        op.drop_table(table)
