"""Stored card UIDs and mobile key ids in their normal form.

A decision now finds a credential by its kind and its identifier exactly as stored
(``stadsvakt.access.identifiers``), so every stored identifier must be in the form
the writers now store: a card UID in upper-case hex without separators, a mobile key
id without surrounding spaces (its case kept). Rows written before — by a data
import, by hand, or by a version that kept separators — are rewritten. Two rows that
become the same card or key of one municipality cannot both be kept under the unique
key: the one created later keeps its old text and is **revoked** (so neither can open
a door for the wrong person), which the audit of the next change shows. A card whose
text is no hex UID at all is left as it is; no reader can present it.

Each rewritten or revoked credential is appended to the access change feed, so
processes still running while the migration runs reload it.

The rule is copied here, not imported: a migration must keep doing what it did when
it was written, whatever later versions of the application do.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 20:30:00.000000
"""

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEPARATORS = re.compile(r"[\s:.\-]")
_UID = re.compile(r"^(?:[0-9A-F]{2}){4,10}$")

_credentials = sa.table(
    "credentials",
    sa.column("id", sa.Uuid()),
    sa.column("tenant_id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("identifier", sa.String()),
    sa.column("state", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_changes = sa.table(
    "access_changes",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.String()),
    sa.column("op", sa.String()),
)


def _normal(kind: str, identifier: str) -> str:
    if kind == "card":
        uid = _SEPARATORS.sub("", identifier).upper()
        return uid if _UID.match(uid) else identifier
    if kind == "mobile":
        return identifier.strip()
    return identifier


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            _credentials.c.id,
            _credentials.c.tenant_id,
            _credentials.c.kind,
            _credentials.c.identifier,
        )
        .where(_credentials.c.kind.in_(["card", "mobile"]))
        .order_by(_credentials.c.created_at, _credentials.c.id)
    ).all()
    found = [(row[0], row[1], str(row[2]), str(row[3])) for row in rows]
    # Rows already in normal form keep their text; the others take theirs if it is free.
    taken = {(t, k, i) for _, t, k, i in found if _normal(k, i) == i}
    touched: list[tuple[object, object]] = []
    for credential_id, tenant, kind, identifier in found:
        normal = _normal(kind, identifier)
        if normal == identifier:
            continue
        if (tenant, kind, normal) in taken:
            bind.execute(
                sa.update(_credentials)
                .where(_credentials.c.id == credential_id)
                .values(state="revoked")
            )
        else:
            taken.add((tenant, kind, normal))
            bind.execute(
                sa.update(_credentials)
                .where(_credentials.c.id == credential_id)
                .values(identifier=normal)
            )
        touched.append((tenant, credential_id))
    if touched:
        now = datetime.now(UTC)
        bind.execute(
            sa.insert(_changes),
            [
                {
                    "tenant_id": tenant,
                    "at": now,
                    "entity": "credential",
                    "entity_id": str(credential_id),
                    "op": "upsert",
                }
                for tenant, credential_id in touched
            ],
        )


def downgrade() -> None:
    """The old forms are not kept: the normal form means the same card or key."""
