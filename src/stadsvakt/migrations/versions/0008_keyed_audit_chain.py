"""Keyed audit chain: each row names the HMAC key it was made with; the head carries a MAC.

``audit_log.key_id`` names the key (from settings, never stored in the database) whose
HMAC-SHA-256 is the row's hash; rows written before this revision keep ``NULL`` there:
their hash is the plain SHA-256 it always was, and the first keyed row after them (an
``audit.key.rotate`` row) seals them as they stood. ``audit_head.key_id`` and
``audit_head.mac`` let a verifier holding the key tell a head moved by hand (rows
deleted at the end) from one stadsvakt wrote.

The columns are added with plain ``ALTER TABLE ... ADD COLUMN``, not SQLite's batch
copy, so the append-only triggers on ``audit_log`` stay in place.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("key_id", sa.String(length=32), nullable=True))
    op.add_column("audit_head", sa.Column("key_id", sa.String(length=32), nullable=True))
    op.add_column("audit_head", sa.Column("mac", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_head", "mac")
    op.drop_column("audit_head", "key_id")
    op.drop_column("audit_log", "key_id")
