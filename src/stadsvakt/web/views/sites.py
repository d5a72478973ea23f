"""Sites (fastigheter): the searchable list, the create form, and a site's details and edit form."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.api.deps import SessionDep
from stadsvakt.errors import DomainError
from stadsvakt.org import service
from stadsvakt.org.models import OwnerKind, Site
from stadsvakt.org.schemas import SiteCreate, SiteUpdate
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, see_other
from stadsvakt.web.forms import FormErrors, clean, from_domain, from_validation, is_form_error
from stadsvakt.web.views.org_units import unit_choices, visible_tree

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
PAGE_SIZE = 25
FIELDS = (
    "code",
    "name",
    "org_unit_id",
    "street",
    "postal_code",
    "city",
    "latitude",
    "longitude",
    "owner_kind",
    "owner_name",
    "owner_contact",
    "owner_email",
    "owner_phone",
)
OPTIONAL = ("org_unit_id", "owner_name", "owner_contact", "owner_email", "owner_phone")


def _unit_names(page: Page, session: Session) -> dict[uuid.UUID, str]:
    assert page.actor is not None
    if not page.can("org.read"):
        return {}
    return {row.unit.id: row.unit.name for row in visible_tree(session, page.actor)}


@router.get("/sites")
def list_sites(
    page: PageDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    owner: Annotated[str, Query(max_length=20)] = "",
    p: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Sites in the user's scope: search by name, code or street; filter by owner; paginate."""
    assert page.actor is not None
    owner_kind = OwnerKind(owner) if owner in {k.value for k in OwnerKind} else None
    search = q.strip()
    sites, total = service.list_sites(
        session,
        page.actor,
        limit=PAGE_SIZE,
        offset=(p - 1) * PAGE_SIZE,
        q=search or None,
        owner_kind=owner_kind,
    )
    pages = max(1, math.ceil(total / PAGE_SIZE))

    def page_url(number: int) -> str:
        params = {"q": search, "owner": owner_kind.value if owner_kind else "", "p": number}
        return "/sites?" + urlencode({k: v for k, v in params.items() if v})

    context = {
        "nav": "sites",
        "sites": sites,
        "total": total,
        "q": search,
        "owner": owner_kind.value if owner_kind else "",
        "number": p,
        "pages": pages,
        "prev_url": page_url(p - 1) if p > 1 else None,
        "next_url": page_url(p + 1) if p < pages else None,
        "units": _unit_names(page, session),
    }
    return page.render("sites.html", context)


def _form(
    page: Page,
    session: Session,
    template: str,
    *,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    site: Site | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    tree = visible_tree(session, page.actor) if page.can("org.read") else []
    context = {
        "nav": "sites",
        "site": site,
        "values": values,
        "errors": errors or FormErrors(),
        "unit_choices": unit_choices(tree),
        "units": {row.unit.id: row.unit.name for row in tree},
    }
    return page.render(template, context, status=status)


def _checked(form: Mapping[str, str]) -> SiteCreate:
    values = clean(form, FIELDS, optional=OPTIONAL, decimal=("latitude", "longitude"))
    return SiteCreate.model_validate(values, context=FORM_TEXT)


def _errors(page: Page, exc: ValidationError | DomainError) -> FormErrors:
    if isinstance(exc, ValidationError):
        return from_validation(exc, FIELDS, page._)
    return from_domain(exc, FIELDS, page._)


@router.get("/sites/new")
def new_site_page(page: PageDep, session: SessionDep) -> Response:
    """The form for a new site."""
    return _form(page, session, "site_new.html", values={"owner_kind": "city", "city": ""})


@router.post("/sites/new")
def create_site(page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Create a site; errors are shown next to their fields with the values kept."""
    assert page.actor is not None
    try:
        site = service.create_site(session, page.actor, _checked(form))
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = _errors(page, exc)
        return _form(page, session, "site_new.html", values=form, errors=errors, status=422)
    return see_other(f"/sites/{site.id}?saved=1")


def _values(site: Site) -> dict[str, str]:
    values = {name: getattr(site, name) for name in FIELDS}
    out = {k: "" if v is None else str(v) for k, v in values.items()}
    out["owner_kind"] = site.owner_kind.value
    return out


@router.get("/sites/{site_id}")
def site_page(site_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """A site's details, its owner's contact, and (with the right) its edit form."""
    assert page.actor is not None
    site = service.get_site(session, page.actor, site_id)
    return _form(page, session, "site_detail.html", values=_values(site), site=site)


@router.post("/sites/{site_id}")
def update_site(site_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Save a site's changes; errors are shown next to their fields with the values kept."""
    assert page.actor is not None
    try:
        data = SiteUpdate.model_validate(_checked(form).model_dump())
        service.update_site(session, page.actor, site_id, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        site = service.get_site(session, page.actor, site_id)
        errors = _errors(page, exc)
        return _form(
            page, session, "site_detail.html", values=form, errors=errors, site=site, status=422
        )
    return see_other(f"/sites/{site_id}?saved=1")
