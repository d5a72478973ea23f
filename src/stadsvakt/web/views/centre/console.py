"""The operator console's queue page (``/centre``): the open activations by priority, then
age, rendered on the server (the page works without JavaScript) and kept live by
``console.js`` over ``/api/v1/centre/stream``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from stadsvakt.api.deps import SessionDep
from stadsvakt.centre import receiving
from stadsvakt.centre.queue import activation_view, open_queue
from stadsvakt.web.deps import FormDep, HtmlRoute, PageDep, needs, see_other
from stadsvakt.web.forms import N_

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)

#: The console's keyboard shortcuts: the keys and what they do (listed on the page too).
SHORTCUTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("j", "↓"), N_("Next activation")),
    (("k", "↑"), N_("Previous activation")),
    (("Enter",), N_("Open the chosen activation")),
    (("m",), N_("Sound on or off")),
    (("r",), N_("Start or stop receiving activations")),
    (("?",), N_("Show the keyboard shortcuts")),
)
#: An empty row for the page's <template>, which console.js fills for a new activation.
BLANK_ROW: dict[str, Any] = {
    "id": "",
    "url": "#",
    "priority": "",
    "state": "",
    "opened_at": "",
    "opened_at_display": "",
    "version": "",
    "title": "",
    "kind": "alarm",
    "kind_label": "",
    "category_label": "",
    "code": "",
    "confirmed": False,
    "restored": False,
    "offered_to": None,
    "escalated": False,
    "site": None,
    "municipality": "",
    "count": "",
    "state_label": "",
}


@router.get("/centre")
def console(page: PageDep, session: SessionDep) -> Response:
    """The live queue: what waits, what is being handled, what is on hold."""
    assert page.actor is not None
    snapshot = open_queue(session, page.actor)
    rows = [activation_view(row, lang=page.lang, gettext=page._) for row in snapshot.rows]
    operating = page.can("centre.operate")
    context = {
        "me": str(page.actor.id) if page.actor.id else "",
        "receiving": receiving.state_of(session, page.actor) if operating else None,
        "heartbeat_s": int(receiving.HEARTBEAT_EVERY.total_seconds()),
        "nav": "centre",
        "centre_nav": "queue",
        "rows": rows,
        "seq": snapshot.seq,
        "total": snapshot.total,
        "shortcuts": SHORTCUTS,
        "blank": BLANK_ROW,
    }
    return page.render("centre/console.html", context)


@router.post("/centre/receiving", dependencies=[needs("centre.operate")])
def toggle_receiving(page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Start or stop receiving new activations (offered fairly among those receiving)."""
    assert page.actor is not None
    receiving.set_receiving(session, page.actor, form.get("receiving") == "on")
    return see_other("/centre")
