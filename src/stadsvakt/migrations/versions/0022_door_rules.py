"""Door rules (issue 12 point 5): card and PIN, emergency open, site holiday calendars.

Doors get ``requires_pin`` and ``escape_route``; PIN credentials get ``door_pin_digest``
(the fast salted digest door decisions check, see ``stadsvakt.access.pins``; existing
PINs have none until their PIN is set again, so a PIN door denies them ``pin_wrong``);
holiday calendars get ``recurring_days`` (yearly date ranges and ISO weeks); and
``site_door_rules`` holds a site's own holiday calendar and its emergency state.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the door rules' columns and the site rules table."""
    with op.batch_alter_table("doors", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("requires_pin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("escape_route", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("door_pin_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("holiday_calendars", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recurring_days", sa.JSON(), nullable=False, server_default="[]")
        )
    op.create_table(
        "site_door_rules",
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("holiday_calendar_id", sa.Uuid(), nullable=True),
        sa.Column("emergency_open", sa.Boolean(), nullable=False),
        sa.Column("emergency_source", sa.String(length=20), nullable=True),
        sa.Column("emergency_since", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["holiday_calendar_id"],
            ["holiday_calendars.id"],
            name=op.f("fk_site_door_rules_holiday_calendar_id_holiday_calendars"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_site_door_rules_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_site_door_rules_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_site_door_rules")),
    )
    with op.batch_alter_table("site_door_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_site_door_rules_holiday_calendar_id"),
            ["holiday_calendar_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_site_door_rules_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("site_door_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_door_rules_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_site_door_rules_holiday_calendar_id"))
    op.drop_table("site_door_rules")
    with op.batch_alter_table("holiday_calendars", schema=None) as batch_op:
        batch_op.drop_column("recurring_days")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("door_pin_digest")
    with op.batch_alter_table("doors", schema=None) as batch_op:
        batch_op.drop_column("escape_route")
        batch_op.drop_column("requires_pin")
