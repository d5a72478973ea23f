"""The access change feed: services call :func:`note_change` in the transaction of every change
that can alter a decision, and each process's decision index follows the feed."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessChange


def note_change(
    session: Session, *, tenant_id: uuid.UUID, entity: str, entity_id: object, op: str = "upsert"
) -> None:
    """Append one change (``op`` is ``upsert`` or ``delete``) for ``entity`` (e.g. ``person``)."""
    session.add(AccessChange(tenant_id=tenant_id, entity=entity, entity_id=str(entity_id), op=op))
