"""The overview page: the signed-in user's dashboard (what needs attention, per role)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from stadsvakt.api.deps import SessionDep
from stadsvakt.db import utcnow
from stadsvakt.web import dashboard, labels
from stadsvakt.web.deps import HtmlRoute, Page, PageDep

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


def _day_label(page: Page) -> Callable[[date], str]:
    """A chart's day label: "5/12" in Swedish, "5 Dec" in English."""

    def day(value: date) -> str:
        return f"{value.day}/{value.month}" if page.lang == "sv" else f"{value.day} {value:%b}"

    return day


def _key_label(page: Page, group: str) -> Callable[[str], str]:
    """A chart's series name: the stored code's label in the page's language."""

    def name(key: str) -> str:
        return labels.label(group, key, page.lang, page.translations)

    return name


@router.get("/")
def overview(page: PageDep, session: SessionDep) -> HTMLResponse:
    """The dashboard: only the panels the user's permissions allow, each linking to the
    list of the rows it counts."""
    assert page.actor is not None
    board = dashboard.build(session, page.actor, now=utcnow())
    day = _day_label(page)
    specs = {chart.key: chart.spec(_key_label(page, chart.group), day) for chart in board.charts}
    context = {"board": board, "chart_specs": specs, "nav": "overview"}
    return page.render("overview.html", context)
