"""The overview page: the municipality and how much of it stadsvakt knows."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from stadsvakt.api.deps import SessionDep
from stadsvakt.org import service
from stadsvakt.org.models import OwnerKind
from stadsvakt.web.deps import HtmlRoute, PageDep

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


@router.get("/")
def overview(page: PageDep, session: SessionDep) -> HTMLResponse:
    """Counts of organisation units and sites in the user's scope."""
    actor = page.actor
    assert actor is not None
    counts: dict[str, int | None] = {"units": None, "sites": None, "external": None}
    if actor.can("org.read"):
        counts["units"] = service.list_units(session, actor, limit=1, offset=0)[1]
    if actor.can("site.read"):
        counts["sites"] = service.list_sites(session, actor, limit=1, offset=0)[1]
        counts["external"] = service.list_sites(
            session, actor, limit=1, offset=0, owner_kind=OwnerKind.EXTERNAL
        )[1]
    return page.render("overview.html", {"counts": counts, "nav": "overview"})
