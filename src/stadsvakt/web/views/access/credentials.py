"""Credentials: the list (by person's employee number or identifier) and "mark lost"."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from stadsvakt.access.models import Credential
from stadsvakt.access.services import credentials, grants
from stadsvakt.api.deps import SessionDep
from stadsvakt.web.deps import HtmlRoute, PageDep, see_other

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


@router.get("/access/credentials")
def list_page(
    page: PageDep,
    session: SessionDep,
    person: Annotated[str, Query(max_length=40)] = "",
    q: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Credentials in the user's scope: all, one person's (employee number), or by identifier."""
    assert page.actor is not None
    holder = (
        grants.person_in_scope(session, page.actor, person.strip(), "credential.read")
        if person.strip()
        else None
    )
    items: list[Credential] = []
    total = 0
    if not person.strip() or holder is not None:
        items, total = credentials.list_credentials(
            session,
            page.actor,
            limit=200,
            offset=0,
            person_id=holder.id if holder else None,
            q=q.strip() or None,
        )
    context = {
        "nav": "access",
        "credentials": items,
        "total": total,
        "person": person,
        "q": q,
        "holder": holder,
        "names": grants.names_of(session, [c.person_id for c in items]),
    }
    return page.render("access/credentials.html", context)


@router.post("/access/credentials/{credential_id}/lost")
def mark_lost(credential_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Block a lost card at once."""
    assert page.actor is not None
    credentials.mark_lost(session, page.actor, credential_id)
    return see_other("/access/credentials?lost=1")
