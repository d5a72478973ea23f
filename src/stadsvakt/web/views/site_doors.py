"""A site's doors on its page, each with its live state as its edge device last reported it
(låst, upplåst, öppen, uppbruten, uppställd) and since when, in Swedish time.

The doors are those the user may see (``access.read``, scoped as the door list is); a door
no device reports on reads "—" with "no device reports". Forced and held-open doors are
marked by a word and a warning sign, not by colour alone. ``/sites/{id}/doors`` serves the
same table alone, which the page's script fetches again every little while.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from stadsvakt.access.services import places
from stadsvakt.api.deps import SessionDep
from stadsvakt.auth.scope import require
from stadsvakt.edge.devices.live import door_states
from stadsvakt.edge.devices.models import DoorLiveState
from stadsvakt.org import service
from stadsvakt.paging import Order
from stadsvakt.web.deps import HtmlRoute, Page, PageDep
from stadsvakt.web.forms import N_
from stadsvakt.web.localtime import local_time

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
#: Doors drawn on a site's page (a site has tens; the door list pages through more).
SHOWN = 200
#: A live state in words.
STATE_WORDS: dict[DoorLiveState, str] = {
    DoorLiveState.LOCKED: N_("Locked"),
    DoorLiveState.UNLOCKED: N_("Unlocked"),
    DoorLiveState.OPEN: N_("Door open"),
    DoorLiveState.FORCED: N_("Forced"),
    DoorLiveState.HELD: N_("Held open"),
}
#: States that need someone's attention: drawn with a warning sign and a word.
ALERTING = frozenset({DoorLiveState.FORCED, DoorLiveState.HELD})


@dataclass(frozen=True, slots=True)
class DoorLine:
    """One door of the site's table: the door, its zone, and its live state if reported."""

    row: places.DoorRow
    state: str | None
    state_word: str
    since: str
    alerting: bool


def site_doors(page: Page, session: Session, site_id: uuid.UUID) -> tuple[list[DoorLine], int]:
    """The site's doors the user may see, with their live states; and how many in all."""
    assert page.actor is not None
    rows, total = places.list_door_rows(
        session, page.actor, limit=SHOWN, offset=0, site_id=site_id, order=Order("name")
    )
    states = door_states(session, [row.door.id for row in rows])
    lines = []
    for row in rows:
        found = states.get(row.door.id)
        if found is None:
            lines.append(DoorLine(row, None, "", "", False))
            continue
        state, at = found
        word = page._(STATE_WORDS[state])
        lines.append(DoorLine(row, state.value, word, local_time(at), state in ALERTING))
    return lines, total


@router.get("/sites/{site_id}/doors")
def doors_fragment(site_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """The site's door table alone (the site's page fetches it to refresh the states)."""
    assert page.actor is not None
    require(page.actor, places.READ)
    site = service.get_site(session, page.actor, site_id)
    lines, total = site_doors(page, session, site.id)
    context = {"site": site, "door_lines": lines, "door_total": total}
    return page.render("_site_doors.html", context)
