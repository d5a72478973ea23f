"""Credentials: the list (search, kind, state and orphan filters, sorting and paging in the
URL); its rows lead to the holder's page, where credentials are issued and acted on
(:mod:`.credential_forms`, :mod:`.credential_actions`, included here)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from stadsvakt.access.models import CredentialKind, CredentialState
from stadsvakt.access.services import credentials
from stadsvakt.api.deps import SessionDep
from stadsvakt.web.deps import HtmlRoute, PageDep
from stadsvakt.web.listing import ListSpec, read_list
from stadsvakt.web.views.access import credential_actions, credential_forms

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)

LIST = ListSpec(
    path="/access/credentials",
    sorts=tuple(credentials.CREDENTIAL_SORTS),
    default_sort="identifier",
    filters={
        "kind": tuple(k.value for k in CredentialKind),
        "state": tuple(s.value for s in CredentialState),
        "orphan": ("1",),
    },
)


@router.get("/access/credentials")
def list_page(page: PageDep, session: SessionDep) -> Response:
    """Credentials in the user's scope: search by identifier, holder's name or employee
    number; filter by kind, state or orphans; sort and page."""
    assert page.actor is not None
    state = read_list(page.request.query_params, LIST)
    kind, wanted = state.filters["kind"], state.filters["state"]
    rows, total = credentials.list_credential_rows(
        session,
        page.actor,
        limit=state.size,
        offset=state.offset,
        q=state.q or None,
        kind=CredentialKind(kind) if kind else None,
        state=CredentialState(wanted) if wanted else None,
        orphan=state.filters["orphan"] == "1",
        order=state.order,
    )
    context = {"nav": "access", "listing": state.result(rows, total)}
    return page.render("access/credentials.html", context)


# The edit form's path must be matched before the actions' /{action}.
router.include_router(credential_forms.router)
router.include_router(credential_actions.router)
