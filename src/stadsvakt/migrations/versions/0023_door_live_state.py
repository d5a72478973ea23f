"""A door's live state as its edge device last reported it (closed, open, forced, held),
and when: the site's page shows it beside each door.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Two nullable columns on the doors a device serves (none: never reported)."""
    with op.batch_alter_table("edge_device_doors") as batch:
        batch.add_column(sa.Column("state", sa.String(10), nullable=True))
        batch.add_column(sa.Column("state_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the two columns."""
    with op.batch_alter_table("edge_device_doors") as batch:
        batch.drop_column("state_at")
        batch.drop_column("state")
