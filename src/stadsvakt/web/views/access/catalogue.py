"""The service catalogue's shortfall report: sites that lack what their level requires."""

from __future__ import annotations

from fastapi import APIRouter, Response

from stadsvakt.access.services import catalogue
from stadsvakt.api.deps import SessionDep
from stadsvakt.web.deps import HtmlRoute, PageDep

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


@router.get("/access/shortfall")
def shortfall_page(page: PageDep, session: SessionDep) -> Response:
    """Sites in the user's scope that fall short of their service level."""
    assert page.actor is not None
    rows, total = catalogue.shortfall(session, page.actor, limit=1000, offset=0)
    levels, _ = catalogue.list_levels(session, page.actor, limit=100, offset=0)
    context = {"nav": "access", "rows": rows, "total": total, "levels": levels}
    return page.render("access/shortfall.html", context)
