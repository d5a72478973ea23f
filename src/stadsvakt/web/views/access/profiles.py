"""Access profiles: the searchable, sortable, paged list with each profile's zones; the form
for a new profile and a profile's page with its edit form. Zones are chosen with a
multi-choice searchable picker (a zone's site is shown with it), schedule and unit with
single pickers, so the forms work the same with three zones or three thousand."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessProfile
from stadsvakt.access.schemas.profiles import ProfileCreate, ProfileUpdate
from stadsvakt.access.services import profiles
from stadsvakt.api.deps import SessionDep
from stadsvakt.errors import DomainError
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import FormErrors, clean, is_form_error
from stadsvakt.web.list_filters import as_uuid, chosen_id
from stadsvakt.web.listing import ListSpec, read_list
from stadsvakt.web.multiform import FormListsDep
from stadsvakt.web.views import pick
from stadsvakt.web.views.access._forms import form_errors

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FIELDS = ("code", "name", "org_unit_id", "schedule_id", "zone_ids", "required_course")
OPTIONAL = ("org_unit_id", "required_course")
#: Zones named per profile in the list; the rest are counted.
ZONES_SHOWN = 6
LIST = ListSpec(
    path="/access/profiles",
    sorts=tuple(profiles.PROFILE_SORTS),
    default_sort="code",
    filters={"zone": chosen_id("zone")},
)


def may_change(page: Page, profile: AccessProfile) -> bool:
    """Whether the user may change the profile: a shared one (no unit) only with the
    permission for the whole municipality (a department admin only uses it)."""
    if page.actor is None or not page.can("access.write"):
        return False
    return profile.org_unit_id is not None or page.actor.scope("access.write") is None


def _form_context(
    page: Page, session: Session, values: Mapping[str, str], zone_ids: Sequence[str]
) -> dict[str, Any]:
    return {
        "chosen_zones": pick.chosen_many(page, session, "zones", zone_ids),
        "chosen_schedule": pick.chosen(page, session, "schedules", values.get("schedule_id", "")),
        "chosen_unit": pick.chosen(page, session, "units", values.get("org_unit_id", "")),
    }


def _render(
    page: Page,
    session: Session,
    *,
    values: Mapping[str, str],
    zone_ids: Sequence[str] = (),
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    state = read_list(page.request.query_params, LIST)
    items, total = profiles.list_profiles(
        session,
        page.actor,
        limit=state.size,
        offset=state.offset,
        q=state.q or None,
        zone_id=as_uuid(state.filters["zone"]),
        order=state.order,
    )
    opened = profiles.zone_ids_of(session, [p.id for p in items])
    every = [str(z) for zones in opened.values() for z in zones]
    visible = {o.value: o for o in pick.chosen_many(page, session, "zones", every)}
    context = {
        "nav": "access",
        "listing": state.result(items, total),
        "zones_of": {
            p.id: [visible[str(z)] for z in opened[p.id] if str(z) in visible] for p in items
        },
        "zone_counts": {p.id: len(opened[p.id]) for p in items},
        "zones_shown": ZONES_SHOWN,
        "schedule_names": {
            o.value: o.text
            for o in pick.chosen_many(
                page, session, "schedules", [str(p.schedule_id) for p in items]
            )
        },
        "chosen_zone_filter": pick.chosen(page, session, "zones", state.filters["zone"]),
        "values": values,
        "errors": errors or FormErrors(),
        **_form_context(page, session, values, zone_ids),
    }
    return page.render("access/profiles.html", context, status=status)


def _zone_ids(lists: Mapping[str, list[str]]) -> list[str]:
    return [value.strip() for value in lists.get("zone_ids", []) if value.strip()]


@router.get("/access/profiles")
def list_page(page: PageDep, session: SessionDep) -> Response:
    """Profiles the user may see (search, zone filter, sort, page), and the form for a new one."""
    return _render(page, session, values={})


@router.post("/access/profiles", dependencies=[needs("access.write")])
def create(page: PageDep, session: SessionDep, form: FormDep, lists: FormListsDep) -> Response:
    """Create a profile from the form (its zones posted as repeated ``zone_ids``)."""
    assert page.actor is not None
    zone_ids = _zone_ids(lists)
    try:
        values = clean(form, FIELDS, optional=OPTIONAL)
        values["zone_ids"] = zone_ids
        created = profiles.create_profile(
            session, page.actor, ProfileCreate.model_validate(values, context=FORM_TEXT)
        )
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = form_errors(page, exc, FIELDS)
        return _render(page, session, values=form, zone_ids=zone_ids, errors=errors, status=422)
    return see_other(f"/access/profiles/{created.id}?saved=1")


def _values(profile: AccessProfile) -> dict[str, str]:
    return {
        "code": profile.code,
        "name": profile.name,
        "schedule_id": str(profile.schedule_id),
        "org_unit_id": str(profile.org_unit_id) if profile.org_unit_id else "",
        "required_course": profile.required_course or "",
    }


def _detail(
    page: Page,
    session: Session,
    profile: AccessProfile,
    *,
    values: Mapping[str, str] | None = None,
    zone_ids: Sequence[str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    opened = [str(z) for z in profiles.zone_ids(session, profile.id)]
    values = values if values is not None else _values(profile)
    shown = pick.chosen_many(page, session, "zones", opened)
    context = {
        "nav": "access",
        "profile": profile,
        "zones": shown,
        "hidden_zones": len(opened) - len(shown),
        "schedule": pick.chosen(page, session, "schedules", str(profile.schedule_id)),
        "unit": pick.chosen(page, session, "units", str(profile.org_unit_id or "")),
        "may_change": may_change(page, profile),
        "values": values,
        "errors": errors or FormErrors(),
        **_form_context(page, session, values, opened if zone_ids is None else zone_ids),
    }
    return page.render("access/profile.html", context, status=status)


@router.get("/access/profiles/{profile_id}")
def detail(profile_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """A profile's zones, schedule and unit, and (for those who may change it) its form."""
    assert page.actor is not None
    return _detail(page, session, profiles.get_profile(session, page.actor, profile_id))


@router.post("/access/profiles/{profile_id}", dependencies=[needs("access.write")])
def update(
    profile_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep, lists: FormListsDep
) -> Response:
    """Save a profile's name, code, schedule, zones and course (audited by the service)."""
    assert page.actor is not None
    zone_ids = _zone_ids(lists)
    try:
        values = clean(form, ("code", "name", "schedule_id", "required_course"), optional=OPTIONAL)
        values["zone_ids"] = zone_ids
        data = ProfileUpdate.model_validate(values, context=FORM_TEXT)
        profiles.update_profile(session, page.actor, profile_id, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        profile = profiles.get_profile(session, page.actor, profile_id)
        errors = form_errors(page, exc, FIELDS)
        return _detail(
            page, session, profile, values=form, zone_ids=zone_ids, errors=errors, status=422
        )
    return see_other(f"/access/profiles/{profile_id}?saved=1")
