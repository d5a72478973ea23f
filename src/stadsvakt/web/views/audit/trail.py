"""The audit trail (granskningslogg) for auditors and system owners: the filtered,
paged list, one entry with its before/after as a diff, and the actor picker's search.

Every route needs ``audit.read`` (:func:`stadsvakt.audit.service.entries_query`) and
shows only the reader's municipality's rows; anyone else gets the UI's 403 page.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from stadsvakt.api.deps import SessionDep
from stadsvakt.audit.browse import find_actors, get_entry, trail_page
from stadsvakt.audit.diff import field_changes
from stadsvakt.audit.models import AuditEntry
from stadsvakt.auth.scope import require
from stadsvakt.context import Actor
from stadsvakt.web.deps import HtmlRoute, Page, PageDep
from stadsvakt.web.forms import FormErrors
from stadsvakt.web.listing import ListParameterError
from stadsvakt.web.views.audit import texts
from stadsvakt.web.views.audit.filters import LABELS, read_trail, refusal, trail_filter
from stadsvakt.web.views.pick import Option

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
PERMISSION = "audit.read"
#: The actor picker's kind: ``picker.js`` asks ``/ui/pick/<kind>``.
ACTOR_PICKER = "audit-actors"


def reader(page: Page) -> Actor:
    """The signed-in reader, refused (403) without ``audit.read``."""
    assert page.actor is not None  # PageDep signs in or redirects
    require(page.actor, PERMISSION)
    return page.actor


def _actor_option(session: Session, actor: Actor, value: str, page: Page) -> Option | None:
    """The chosen actor, drawn as the picker's selected option."""
    try:
        wanted = uuid.UUID(value)
    except ValueError:
        return None
    found = find_actors(session, actor, only=frozenset({wanted}), limit=1)
    return _option(found[0], page) if found else None


def _option(choice: Any, page: Page) -> Option:
    kind = page._("User account") if choice.kind == "user" else page._("API token")
    return Option(str(choice.id), choice.name, f"{kind} · {choice.detail}")


def _filter_choices(page: Page) -> dict[str, Any]:
    """The object types and the actions (grouped by object type) in the page's language."""
    types = sorted(
        ((code, page._(text)) for code, text in texts.OBJECT_TYPES.items()), key=lambda c: c[1]
    )
    groups = [
        (texts.word(texts.OBJECT_TYPES, kind, page._), [(a, texts.verb(a, page._)) for a in acts])
        for kind, acts in texts.KNOWN_ACTIONS.items()
    ]
    return {"type_choices": types, "action_groups": sorted(groups, key=lambda g: g[0])}


@router.get("/audit")
def trail(page: PageDep, session: SessionDep) -> Response:
    """The trail, newest first: filters by actor, object, action and time; paged."""
    actor = reader(page)
    params = page.request.query_params
    context: dict[str, Any] = {
        "nav": "audit",
        "values": {k: params.get(k, "") for k in LABELS},
        "labels": {k: page._(v) for k, v in LABELS.items()},
        "actor_chosen": _actor_option(session, actor, params.get("actor", ""), page),
        "errors": FormErrors(),
        "listing": None,
        "t": texts,
        **_filter_choices(page),
    }
    try:
        state = read_trail(params)
        found = trail_page(
            session,
            actor,
            trail_filter(session, actor, state),
            limit=state.size,
            offset=state.offset,
        )
        context["listing"] = state.result(found.rows, found.total)
        context["exact"] = found.exact
        context["total_text"] = format_decimal(found.total, locale=page.lang)
        context["export_url"] = "/audit.csv" + state.url().removeprefix("/audit")
    except ListParameterError as exc:
        context["errors"] = refusal(exc, page._)
        return page.render("audit/trail.html", context, status=422)
    return page.render("audit/trail.html", context)


@router.get("/audit/{seq}")
def entry(
    seq: Annotated[int, Path(ge=1, le=2**63 - 1)], page: PageDep, session: SessionDep
) -> Response:
    """One row: who, when, what, the object (linked where it has a page) and the diff."""
    actor = reader(page)
    row: AuditEntry = get_entry(session, actor, seq)
    changes = field_changes(row.before, row.after)
    related = _related_person(changes, page)
    context = {
        "nav": "audit",
        "entry": row,
        "t": texts,
        "changed": [c for c in changes if c.changed],
        "unchanged": [c for c in changes if not c.changed],
        "creation": row.before is None,
        "removal": row.after is None and row.before is not None,
        "object_url": texts.object_link(row.object_type, row.object_id, page.can),
        "person_url": related,
        "object_trail_url": _object_trail(row),
    }
    return page.render("audit/entry.html", context)


def _related_person(changes: list[Any], page: Page) -> str | None:
    """The page of the person a card, grant, assignment or training row belongs to."""
    for change in changes:
        if change.name == "person_id":
            value = change.after if isinstance(change.after, str) else change.before
            if isinstance(value, str):
                return texts.object_link("person", value, page.can)
    return None


def _object_trail(row: AuditEntry) -> str | None:
    """The trail of this row's object."""
    if not row.object_id:
        return None
    return "/audit?" + urlencode({"type": row.object_type, "q": row.object_id})


@router.get(f"/ui/pick/{ACTOR_PICKER}")
def pick_actor(
    page: PageDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> JSONResponse:
    """Users and API tokens matching ``q``, for the actor filter's picker."""
    actor = reader(page)
    found = find_actors(session, actor, q=q.strip(), limit=limit)
    return JSONResponse(
        {"items": [asdict(_option(c, page)) for c in found]},
        headers={"Cache-Control": "no-store"},
    )
