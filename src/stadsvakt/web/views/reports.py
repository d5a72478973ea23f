"""Pages of the access reports: orphan credentials, who can open a door, what a person can
open. Each page links to the same report as CSV (the API with ``format=csv``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from stadsvakt.access.reports import orphans, rights
from stadsvakt.access.services import grants, places
from stadsvakt.access.timerules import STOCKHOLM
from stadsvakt.api.deps import SessionDep
from stadsvakt.bounds import in_range
from stadsvakt.db import utcnow
from stadsvakt.directory import service as directory
from stadsvakt.web.deps import HtmlRoute, Page, PageDep

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


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


@router.get("/reports")
def orphans_page(page: PageDep, session: SessionDep, at: str | None = None) -> Response:
    """Active credentials of inactive people or of people with no current assignment."""
    assert page.actor is not None
    context = _context(page, at)
    when = context["at"]
    assert isinstance(when, datetime)
    context["rows"] = orphans.orphan_credentials(session, page.actor, at=when)
    return page.render("reports/orphans.html", context)


def _door_choices(session: Session, page: Page) -> list[tuple[str, str]]:
    assert page.actor is not None
    doors, _ = places.list_doors(session, page.actor, limit=1000, offset=0)
    return [(str(d.id), f"{d.name} ({d.code})") for d in doors]


@router.get("/reports/doors")
def who_can_open_page(
    page: PageDep, session: SessionDep, door_id: str | None = None, at: str | None = None
) -> Response:
    """Who can open a chosen door, through what and when."""
    assert page.actor is not None
    context = _context(page, at)
    choices = _door_choices(session, page)
    context.update(choices=choices, door_id=door_id or "")
    report = None
    if door_id and door_id in {value for value, _ in choices}:
        when = context["at"]
        assert isinstance(when, datetime)
        report = rights.who_can_open(
            session, page.actor, uuid.UUID(door_id), at=when, language=page.lang
        )
    context["report"] = report
    return page.render("reports/doors.html", context)


@router.get("/reports/people")
def what_can_open_page(
    page: PageDep,
    session: SessionDep,
    person: str | None = None,
    at: str | None = None,
    person_id: uuid.UUID | None = None,
) -> Response:
    """What a person (by employee number, or by id from their page: a guest may have no
    number) can open, by site."""
    assert page.actor is not None
    context = _context(page, at)
    number = (person or "").strip()
    holder = grants.person_in_scope(session, page.actor, number, "person.read") if number else None
    if person_id is not None and not number:
        holder = directory.get_person(session, page.actor, person_id)
    report = None
    if holder is not None:
        when = context["at"]
        assert isinstance(when, datetime)
        report = rights.what_can_open(session, page.actor, holder.id, at=when, language=page.lang)
    context.update(person=number, holder=holder, report=report)
    return page.render("reports/people.html", context)
