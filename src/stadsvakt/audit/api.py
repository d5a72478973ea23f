"""Read-only routes over the audit trail; there is deliberately no way to change or remove a row."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from stadsvakt.api.deps import ActorDep, PagingDep, SessionDep
from stadsvakt.audit.schemas import AuditEntryOut, AuditPage
from stadsvakt.audit.service import entries_query
from stadsvakt.schemas import NO_NUL

router = APIRouter(tags=["audit"])
Filter = Annotated[str | None, Query(max_length=64, pattern=NO_NUL)]


@router.get("/audit", response_model=AuditPage)
def list_audit(
    session: SessionDep,
    actor: ActorDep,
    page: PagingDep,
    object_type: Filter = None,
    object_id: Filter = None,
    action: Filter = None,
) -> AuditPage:
    """The municipality's audit rows, newest first."""
    stmt = entries_query(actor, object_type=object_type, object_id=object_id, action=action)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.limit(page.limit).offset(page.offset))
    return AuditPage(
        items=[AuditEntryOut.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
