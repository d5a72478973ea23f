"""Reserved for a migration being written: door rules (card and PIN, emergency open,
site holiday calendars); it does nothing yet.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet."""


def downgrade() -> None:
    """Nothing yet."""
