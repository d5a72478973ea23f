"""Access profiles: the list with zones and schedule, and the form for a new profile.

Zones are typed as their codes (several separated by spaces or commas), so the
form works the same with three zones or three thousand.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.access.schemas.profiles import ProfileCreate
from stadsvakt.access.services import places, profiles, schedules
from stadsvakt.api.deps import SessionDep
from stadsvakt.errors import DomainError, InvalidInput
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, see_other
from stadsvakt.web.forms import FormErrors, clean, is_form_error
from stadsvakt.web.views.access._forms import form_errors

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FIELDS = ("code", "name", "schedule_id", "zone_codes", "required_course")


def _render(
    page: Page,
    session: Session,
    *,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    items, _ = profiles.list_profiles(session, page.actor, limit=500, offset=0)
    zone_ids = profiles.zone_ids_of(session, [p.id for p in items])
    zones, _ = places.list_zones(session, page.actor, limit=5000, offset=0)
    zone_codes = {z.id: z.code for z in zones}
    usable, _ = schedules.list_schedules(session, page.actor, limit=500, offset=0)
    context = {
        "nav": "access",
        "profiles": items,
        "zones_of": {p.id: [zone_codes.get(z, "…") for z in zone_ids[p.id]] for p in items},
        "schedule_names": {s.id: s.name for s in usable},
        "schedule_choices": [(str(s.id), f"{s.name} ({s.code})") for s in usable],
        "values": values,
        "errors": errors or FormErrors(),
    }
    return page.render("access/profiles.html", context, status=status)


def _zone_ids(session: Session, page: Page, text: str) -> list[str]:
    assert page.actor is not None
    zones, _ = places.list_zones(session, page.actor, limit=5000, offset=0)
    by_code = {z.code.lower(): str(z.id) for z in zones}
    out = []
    for code in text.replace(",", " ").split():
        if code.lower() not in by_code:
            raise InvalidInput(
                f"zone_codes: no zone {code} in your scope", field="zone_codes", rule="unknown_zone"
            )
        out.append(by_code[code.lower()])
    return out


@router.get("/access/profiles")
def list_page(page: PageDep, session: SessionDep) -> Response:
    """Profiles the user may see, and the form for a new one."""
    return _render(page, session, values={})


@router.post("/access/profiles")
def create(page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Create a profile from the form."""
    assert page.actor is not None
    try:
        values = clean(form, FIELDS, optional=("required_course", "zone_codes"))
        values["zone_ids"] = _zone_ids(session, page, values.pop("zone_codes", None) or "")
        profiles.create_profile(
            session, page.actor, ProfileCreate.model_validate(values, context=FORM_TEXT)
        )
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        return _render(
            page, session, values=form, errors=form_errors(page, exc, FIELDS), status=422
        )
    return see_other("/access/profiles?saved=1")
