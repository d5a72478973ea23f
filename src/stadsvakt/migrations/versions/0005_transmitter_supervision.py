"""Transmitter supervision: path-failure state and the indexes its polls read.

``transmitters.path_failed_at`` is set while supervision holds a transmitter in
path failure. ``(last_seen_at, id)`` gets an index so supervision reads only the
transmitters heard from since its last poll (from the index alone), and
``updated_at`` one so registry changes since a moment (and the version marker,
``max(updated_at)``) are an index range, not a scan.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transmitters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("path_failed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_transmitters_last_seen_at", ["last_seen_at", "id"], unique=False)
        batch_op.create_index("ix_transmitters_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("transmitters", schema=None) as batch_op:
        batch_op.drop_index("ix_transmitters_updated_at")
        batch_op.drop_index("ix_transmitters_last_seen_at")
        batch_op.drop_column("path_failed_at")
