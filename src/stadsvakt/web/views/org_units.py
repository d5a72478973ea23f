"""Organisation units (förvaltningar → enheter): the tree (or, searched and for thousands
of units, a paged list with each unit's path), create, edit, delete; a unit's parent is
chosen with a searchable picker."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.api.deps import SessionDep
from stadsvakt.auth.scope import require
from stadsvakt.context import Actor
from stadsvakt.errors import DomainError
from stadsvakt.org import service
from stadsvakt.org.models import OrgUnit, UnitKind
from stadsvakt.org.schemas import OrgUnitCreate, OrgUnitUpdate
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import FormErrors, clean, from_domain, from_validation, is_form_error
from stadsvakt.web.listing import ListSpec, ListState, read_list
from stadsvakt.web.views import pick

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FIELDS = ("code", "name", "kind", "parent_id")
#: More units than any municipality has (people's unit filter draws them all).
TREE_LIMIT = 5000
#: The most units the page draws as a tree; more are shown as a paged list.
TREE_MAX = 300
LIST = ListSpec(
    path="/org-units",
    sorts=tuple(service.UNIT_SORTS),
    default_sort="name",
    filters={"kind": tuple(k.value for k in UnitKind)},
)


@dataclass(frozen=True, slots=True)
class TreeRow:
    """A unit at its depth in the tree, as the list draws it."""

    unit: OrgUnit
    depth: int


def unit_tree(units: Sequence[OrgUnit]) -> list[TreeRow]:
    """Units depth-first under their parents; a unit whose parent is out of sight is a root."""
    ids = {u.id for u in units}
    children: dict[uuid.UUID | None, list[OrgUnit]] = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)
    rows: list[TreeRow] = []
    stack = [(u, 0) for u in reversed(children.get(None, []))]
    while stack:
        unit, depth = stack.pop()
        rows.append(TreeRow(unit, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(unit.id, [])))
    return rows


def visible_tree(session: Session, actor: Actor) -> list[TreeRow]:
    """The units the actor may see, as a tree."""
    units, _ = service.list_units(session, actor, limit=TREE_LIMIT, offset=0)
    return unit_tree(units)


def unit_choices(tree: Sequence[TreeRow]) -> list[tuple[str, str]]:
    """Select options for units, indented by depth with em spaces (kept by browsers)."""
    return [(str(row.unit.id), "\u2003" * row.depth + row.unit.name) for row in tree]


def _values(unit: OrgUnit | None) -> dict[str, str]:
    if unit is None:
        return {"kind": "department"}
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind.value,
        "parent_id": str(unit.parent_id) if unit.parent_id else "",
    }


def _is_plain(state: ListState) -> bool:
    """Whether the list is asked for as it first opens (no search, filter, sort or page)."""
    return not state.params(sort=LIST.default_sort, descending=False)


def _list(
    page: Page,
    session: Session,
    *,
    values: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    state = read_list(page.request.query_params, LIST)
    kind = state.filters["kind"]
    units, total = service.list_units(
        session,
        page.actor,
        limit=state.size,
        offset=state.offset,
        q=state.q or None,
        kind=UnitKind(kind) if kind else None,
        order=state.order,
    )
    listing = state.result(units, total)
    # A municipality's tree is drawn whole while it is small; a search, a filter, a sort
    # or a big tree gives the flat, paged list with each unit's path.
    tree = visible_tree(session, page.actor) if _is_plain(state) and total <= TREE_MAX else None
    values = values or _values(None)
    context = {
        "nav": "org",
        "listing": listing,
        "tree": tree,
        "paths": service.unit_paths(session, (u.id for u in units)) if tree is None else {},
        "values": values,
        "chosen_parent": pick.chosen(page, session, "units", values.get("parent_id", "")),
        "errors": errors or FormErrors(),
    }
    return page.render("org_units.html", context, status=status)


@router.get("/org-units")
def list_units(page: PageDep, session: SessionDep) -> Response:
    """The units in the user's scope, as a tree or (searched, filtered, sorted, big) a paged
    list with each unit's path, and a form for a new one."""
    return _list(page, session)


@router.post("/org-units", dependencies=[needs("org.write")])
def create_unit(page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Create a unit; errors are shown on the form with the values kept."""
    assert page.actor is not None
    # Refused before the form is read: a role without the right learns that first.
    require(page.actor, "org.write")
    try:
        data = OrgUnitCreate.model_validate(
            clean(form, FIELDS, optional=("parent_id",)), context=FORM_TEXT
        )
        unit = service.create_unit(session, page.actor, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = _errors(page, exc)
        return _list(page, session, values=form, errors=errors, status=422)
    return see_other(f"/org-units?created={unit.id}")


def _errors(page: Page, exc: ValidationError | DomainError) -> FormErrors:
    if isinstance(exc, ValidationError):
        return from_validation(exc, FIELDS, page._)
    return from_domain(exc, FIELDS, page._)


def _edit(
    page: Page,
    session: Session,
    unit: OrgUnit,
    *,
    values: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    values = values or _values(unit)
    context = {
        "nav": "org",
        "unit": unit,
        "path": service.unit_paths(session, [unit.id])[unit.id],
        "values": values,
        "chosen_parent": pick.chosen(page, session, "units", values.get("parent_id", "")),
        "errors": errors or FormErrors(),
    }
    return page.render("org_unit_edit.html", context, status=status)


@router.get("/org-units/{unit_id}")
def edit_unit_page(unit_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """A unit's edit form."""
    assert page.actor is not None
    return _edit(page, session, service.get_unit(session, page.actor, unit_id))


@router.post("/org-units/{unit_id}", dependencies=[needs("org.write")])
def edit_unit(unit_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Save a unit's changes; errors are shown on the form with the values kept."""
    assert page.actor is not None
    # Refused before the form is read: a role without the right learns that first.
    require(page.actor, "org.write")
    try:
        checked = OrgUnitCreate.model_validate(
            clean(form, FIELDS, optional=("parent_id",)), context=FORM_TEXT
        )
        data = OrgUnitUpdate.model_validate(checked.model_dump())
        service.update_unit(session, page.actor, unit_id, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        unit = service.get_unit(session, page.actor, unit_id)
        return _edit(page, session, unit, values=form, errors=_errors(page, exc), status=422)
    return see_other("/org-units?saved=1")


@router.get("/org-units/{unit_id}/delete")
def delete_unit_page(unit_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Ask before removing a unit; a unit the user may not remove says why, with no button."""
    assert page.actor is not None
    require(page.actor, "org.write")
    unit = service.get_unit(session, page.actor, unit_id)
    context = {
        "nav": "org",
        "unit": unit,
        "errors": FormErrors(),
        "may_remove": service.may_remove_unit(page.actor, unit),
    }
    return page.render("org_unit_delete.html", context)


@router.post("/org-units/{unit_id}/delete", dependencies=[needs("org.write")])
def delete_unit(unit_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Remove an empty unit; a unit with sub-units or sites is refused with the reason."""
    assert page.actor is not None
    try:
        service.delete_unit(session, page.actor, unit_id)
    except DomainError as exc:
        if not is_form_error(exc):
            raise
        session.rollback()
        unit = service.get_unit(session, page.actor, unit_id)
        errors = from_domain(exc, (), page._)
        may_remove = service.may_remove_unit(page.actor, unit)
        context = {"nav": "org", "unit": unit, "errors": errors, "may_remove": may_remove}
        return page.render("org_unit_delete.html", context, status=409)
    return see_other("/org-units?deleted=1")
