"""The safety centre's handling: operators' receiving state (who takes new activations,
heard from when) and standing notes about sites for the operators.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 22:40:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _uuid(name: str, **kw: object) -> sa.Column[uuid.UUID]:
    return sa.Column(name, sa.Uuid(), **kw)  # type: ignore[arg-type]


def _when(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create centre_receivers and site_notes."""
    op.create_table(
        "centre_receivers",
        _uuid("user_id", nullable=False),
        _uuid("tenant_id", nullable=False),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("receiving", sa.Boolean(), nullable=False),
        _when("receiving_since", True),
        _when("last_seen_at"),
        _when("last_offered_at", True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_centre_receivers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_centre_receivers_tenant_id_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_centre_receivers")),
    )
    op.create_index(op.f("ix_centre_receivers_tenant_id"), "centre_receivers", ["tenant_id"])
    op.create_table(
        "site_notes",
        _uuid("id", nullable=False),
        _uuid("tenant_id", nullable=False),
        _uuid("site_id", nullable=False),
        sa.Column("text", sa.String(1000), nullable=False),
        _uuid("author_id", nullable=True),
        sa.Column("author_name", sa.String(200), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_site_notes_tenant_id_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_site_notes_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_notes")),
    )
    op.create_index("ix_site_notes_site", "site_notes", ["site_id", "created_at"])


def downgrade() -> None:
    """Drop them."""
    op.drop_table("site_notes")
    op.drop_table("centre_receivers")
