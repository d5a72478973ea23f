"""Login throttling by client address as well as by account.

``login_attempts`` was only ever searched by username, so 90 wrong passwords over 30
accounts from one address were never slowed. Attempts are now also counted per client
address (an index on ``client, at``), and a successful login leaves a row
(``succeeded`` true) that marks the address as one the account logs in from, so an
attacker elsewhere cannot keep the account's owner out. Existing rows are failures.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("succeeded", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index("ix_login_attempts_client_at", ["client", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_client_at")
        batch_op.drop_column("succeeded")
