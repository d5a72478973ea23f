"""Reserved for a safety-centre migration being written (it does nothing yet).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 22:40:00.000000
"""

from collections.abc import Sequence

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet."""


def downgrade() -> None:
    """Nothing yet."""
