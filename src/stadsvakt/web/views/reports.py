"""Pages of the access reports: orphan credentials (searched, filtered, sorted and paged),
who can open a door and what a person can open (the door and the person chosen with
searchable pickers). Each page links to the same report as CSV (the API with
``format=csv``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response

from stadsvakt.access.reports import orphans, rights
from stadsvakt.access.reports.orphans import OrphanRow
from stadsvakt.access.services import grants
from stadsvakt.access.timerules import STOCKHOLM
from stadsvakt.api.deps import SessionDep
from stadsvakt.bounds import in_range
from stadsvakt.db import utcnow
from stadsvakt.errors import NotFound
from stadsvakt.web.deps import HtmlRoute, Page, PageDep
from stadsvakt.web.listing import ListSpec, ListState, read_list
from stadsvakt.web.views import pick

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
#: The report's time is its own field (a bad one is shown on it, the list stays).
AT_FIELD = "at"
ORPHANS = ListSpec(
    path="/reports",
    sorts=("person", "reason", "kind", "ended"),
    default_sort="person",
    filters={
        "reason": (orphans.PERSON_INACTIVE, orphans.NO_CURRENT_ASSIGNMENT),
        "kind": ("card", "pin", "mobile"),
        AT_FIELD: None,
    },
)
_ORPHAN_KEYS: dict[str, Any] = {
    "person": lambda r: (r.person_name.casefold(), str(r.person_id)),
    "reason": lambda r: (r.reason, r.person_name.casefold()),
    "kind": lambda r: (r.kind.value, r.identifier),
    "ended": lambda r: (r.last_assignment_end is not None, r.last_assignment_end or 0),
}


def _at(text: str | None) -> datetime | None:
    """A Stockholm wall-clock time from the form (``2026-11-23T09:00``), or None."""
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text.strip()).replace(tzinfo=STOCKHOLM)
    except ValueError:
        return None
    # The reports refuse other dates (stadsvakt.bounds): treat as invalid.
    return at if in_range(at) else None


def _context(page: Page, at_text: str | None) -> dict[str, object]:
    at = _at(at_text)
    return {
        "nav": "reports",
        "at": at or utcnow(),
        "at_text": at_text if at else "",
        "at_invalid": bool(at_text) and at is None,
        "zone": STOCKHOLM,
        "language": page.lang,
    }


def _orphan_page(rows: list[OrphanRow], state: ListState) -> tuple[list[OrphanRow], int]:
    """The report's rows searched, filtered and sorted as the list asks, and this page."""
    q = state.q.casefold()
    wanted = [
        r
        for r in rows
        if (not state.filters["reason"] or r.reason == state.filters["reason"])
        and (not state.filters["kind"] or r.kind.value == state.filters["kind"])
        and (
            not q
            or q in r.person_name.casefold()
            or q in (r.employee_number or "").casefold()
            or q in r.identifier.casefold()
        )
    ]
    wanted.sort(key=_ORPHAN_KEYS[state.sort], reverse=state.descending)
    return wanted[state.offset : state.offset + state.size], len(wanted)


@router.get("/reports")
def orphans_page(page: PageDep, session: SessionDep) -> Response:
    """Active credentials of inactive people or of people with no current assignment:
    searched (name, employee number, card), filtered by reason and kind, sorted, paged."""
    assert page.actor is not None
    state = read_list(page.request.query_params, ORPHANS)
    context = _context(page, state.filters[AT_FIELD])
    when = context["at"]
    assert isinstance(when, datetime)
    rows, total = _orphan_page(orphans.orphan_credentials(session, page.actor, at=when), state)
    context["listing"] = state.result(rows, total)
    return page.render("reports/orphans.html", context)


@router.get("/reports/doors")
def who_can_open_page(
    page: PageDep, session: SessionDep, door_id: str | None = None, at: str | None = None
) -> Response:
    """Who can open a chosen door, through what and when."""
    assert page.actor is not None
    context = _context(page, at)
    chosen = pick.chosen(page, session, "doors", door_id or "")
    context.update(door_id=door_id or "", chosen_door=chosen)
    report = None
    if chosen is not None:
        when = context["at"]
        assert isinstance(when, datetime)
        try:
            report = rights.who_can_open(
                session, page.actor, uuid.UUID(chosen.value), at=when, language=page.lang
            )
        except NotFound:
            report = None
    context["report"] = report
    return page.render("reports/doors.html", context)


@router.get("/reports/people")
def what_can_open_page(
    page: PageDep,
    session: SessionDep,
    person_id: str | None = None,
    person: str | None = None,
    at: str | None = None,
) -> Response:
    """What a person (chosen in the picker, or by employee number) can open, by site."""
    assert page.actor is not None
    context = _context(page, at)
    number = (person or "").strip()
    if person_id or not number:
        chosen = pick.chosen(page, session, "people", person_id or "")
    else:
        holder = grants.person_in_scope(session, page.actor, number, "person.read")
        chosen = pick.chosen(page, session, "people", str(holder.id)) if holder else None
    report = None
    if chosen is not None:
        when = context["at"]
        assert isinstance(when, datetime)
        report = rights.what_can_open(
            session, page.actor, uuid.UUID(chosen.value), at=when, language=page.lang
        )
    context.update(asked=bool(person_id or number), chosen_person=chosen, report=report)
    return page.render("reports/people.html", context)
