"""Grants by kind: a host, a reason, a contractor's company, a booking's party and
reference, a contact phone, who gave the grant, and the end before an early end (to undo
it). All nullable, so grants made before keep reading as they were made; the service
requires them per kind for new grants. The kind ``extra`` (an employee's extra right)
needs no schema change: the kind column is a plain string.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 02:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the grant's per-kind columns and the index for grants ending soon."""
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host_person_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("company", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("booking_party", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("booking_reference", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("created_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("ended_early_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("ended_early_from", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_grants_host_person_id_people"),
            "people",
            ["host_person_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_grants_host_person_id"), ["host_person_id"], unique=False
        )
        batch_op.create_index("ix_grants_tenant_valid_to", ["tenant_id", "valid_to"], unique=False)


def downgrade() -> None:
    """Drop them again (the kind ``extra`` must not be in use)."""
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index("ix_grants_tenant_valid_to")
        batch_op.drop_index(batch_op.f("ix_grants_host_person_id"))
        batch_op.drop_constraint(batch_op.f("fk_grants_host_person_id_people"), type_="foreignkey")
        for column in (
            "ended_early_from",
            "ended_early_at",
            "created_by",
            "contact_phone",
            "booking_reference",
            "booking_party",
            "company",
            "reason",
            "host_person_id",
        ):
            batch_op.drop_column(column)
