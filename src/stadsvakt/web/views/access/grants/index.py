"""The grants list: search, kind and state filters, grants ending soon, sorting and paging,
all kept in the URL (``/access/grants?ending=7d`` is what the dashboard links to)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from stadsvakt.access.models import GrantKind
from stadsvakt.access.services.grant_list import GRANT_SORTS, GrantState, search_grants
from stadsvakt.api.deps import SessionDep
from stadsvakt.db import utcnow
from stadsvakt.web.deps import HtmlRoute, PageDep
from stadsvakt.web.listing import ListSpec, read_list

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)

#: "Ending within": the list's choices and their days.
ENDING = {"1d": 1, "7d": 7, "30d": 30}

LIST = ListSpec(
    path="/access/grants",
    sorts=tuple(GRANT_SORTS),
    default_sort="from",
    default_descending=True,
    filters={
        "kind": tuple(k.value for k in GrantKind),
        "state": tuple(s.value for s in GrantState),
        "ending": tuple(ENDING),
    },
)


@router.get("/access/grants")
def list_page(page: PageDep, session: SessionDep) -> Response:
    """Grants given by the user's units: search by person, host, profile, company or party."""
    assert page.actor is not None
    state = read_list(page.request.query_params, LIST)
    chosen = state.filters
    rows, total = search_grants(
        session,
        page.actor,
        now=utcnow(),
        limit=state.size,
        offset=state.offset,
        q=state.q or None,
        kind=GrantKind(chosen["kind"]) if chosen["kind"] else None,
        state=GrantState(chosen["state"]) if chosen["state"] else None,
        ending_days=ENDING.get(chosen["ending"]),
        order=state.order,
    )
    context = {"nav": "access", "listing": state.result(rows, total), "ending": ENDING}
    return page.render("access/grants.html", context)
