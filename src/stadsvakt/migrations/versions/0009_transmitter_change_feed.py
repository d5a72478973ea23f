"""The transmitter registry's change feed, which receivers follow.

Receivers used to reload their transmitters when the registry's count or
``max(updated_at)`` moved. Each host stamps ``updated_at`` with its own clock and
transactions commit in any order, so a change stamped below the latest stamp (clock
drift between hosts, a slow commit) was never seen: a rotated key stayed refused.
``transmitter_changes`` gets a row, numbered by the database, in the transaction of
every change; receivers read the rows after the last one they read. Existing
transmitters need no rows: a receiver loads the whole registry when it starts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transmitter_changes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("transmitter_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_transmitter_changes")),
    )


def downgrade() -> None:
    op.drop_table("transmitter_changes")
