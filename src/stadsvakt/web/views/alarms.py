"""Received alarms (larm) and the transmitter registry (larmsändare): lists that scale
(search, checked filters, sorting, paging; the alarm count is capped), details, a form."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.alarms import service
from stadsvakt.alarms.models import Bearer, TransmitterProtocol
from stadsvakt.alarms.protocols.events import Category
from stadsvakt.alarms.schemas import TransmitterCreate
from stadsvakt.api.deps import ServicesDep, SessionDep
from stadsvakt.centre.texts import labels
from stadsvakt.errors import DomainError
from stadsvakt.org.service import site_names
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import (
    N_,
    FormErrors,
    clean,
    from_domain,
    from_validation,
    is_form_error,
)
from stadsvakt.web.list_filters import as_uuid, chosen_id, end_of, local_moment, start_of
from stadsvakt.web.listing import ListSpec, read_list
from stadsvakt.web.views import pick

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
#: Alarms counted at most (a count of millions on every page would be slow); more shows
#: as "more than ...", and the pages go as far as the count.
COUNT_CAP = 10_000
ALARMS = ListSpec(
    path="/alarms",
    sorts=tuple(service.ALARM_SORTS),
    default_sort="received",
    default_descending=True,
    filters={
        "site": chosen_id("site"),
        "transmitter": chosen_id("transmitter"),
        "category": tuple(Category),
        "from": local_moment("from"),
        "to": local_moment("to"),
    },
)
TRANSMITTERS = ListSpec(
    path="/transmitters",
    sorts=tuple(service.TRANSMITTER_SORTS),
    default_sort="account",
    filters={
        "bearer": tuple(Bearer),
        "protocol": tuple(TransmitterProtocol),
        "site": chosen_id("site"),
        "silent": ("1",),
    },
)
#: Category names through the UI's catalogue (the alarm pages use the centre's code
#: tables, :func:`stadsvakt.centre.texts.category_label`; others still import this).
CATEGORIES: dict[str, str] = {
    Category.FIRE: N_("Fire"),
    Category.HOLD_UP: N_("Hold-up / assault"),
    Category.MEDICAL: N_("Medical"),
    Category.SOCIAL: N_("Social alarm"),
    Category.INTRUSION: N_("Intrusion"),
    Category.TAMPER: N_("Tamper"),
    Category.TECHNICAL: N_("Technical"),
    Category.FAULT: N_("Fault"),
    Category.OPEN_CLOSE: N_("Open/close"),
    Category.TEST: N_("Test"),
    Category.OTHER: N_("Other"),
    Category.UNKNOWN: N_("Unknown code"),
}
FIELDS = (
    "site_id",
    "account",
    "receiver",
    "line",
    "protocol",
    "name",
    "bearer",
    "interval_s",
    "key",
    "key_format",
    "encrypted_only",
)
OPTIONAL = ("name", "bearer", "interval_s", "key")
_RULES: dict[str, str] = {
    "key_hex": N_("A hex key has 32, 48 or 64 hex digits."),
    "key_ascii": N_("An ASCII key has 16, 24 or 32 characters."),
    "requires_key": N_("Encrypted only needs a key."),
}


def _domain_errors(exc: DomainError, page: Page) -> FormErrors:
    """A service's refusal on the field it names, in the page's language."""
    errors = FormErrors()
    for item in exc.extra.get("errors", []):
        rule = str(item.get("rule", ""))
        if rule in _RULES:
            errors.add(str(item.get("field")), page._(_RULES[rule]), FIELDS)
    if errors:
        return errors
    if exc.code == "conflict":
        errors.add("account", page._("This transmitter is already registered."), FIELDS)
        return errors
    if exc.extra.get("field") == "site_id":
        errors.add("site_id", page._("Choose a site within your scope."), FIELDS)
        return errors
    return from_domain(exc, FIELDS, page._)


def _site_names(
    page: Page, session: Session, ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    assert page.actor is not None
    return site_names(session, page.actor, ids)


@router.get("/alarms")
def list_alarms(page: PageDep, session: SessionDep) -> Response:
    """Received alarms, newest first: filter by site, transmitter, account, category and time
    (Swedish time), sort by time or priority, page; the count stops at ``COUNT_CAP``."""
    assert page.actor is not None
    state = read_list(page.request.query_params, ALARMS)
    filters = state.filters
    category = filters["category"]
    alarms, total = service.list_alarms(
        session,
        page.actor,
        limit=state.size,
        offset=state.offset,
        site_id=as_uuid(filters["site"]),
        transmitter_id=as_uuid(filters["transmitter"]),
        account=state.q or None,
        category=Category(category) if category else None,
        since=start_of(filters["from"]),
        until=end_of(filters["to"]),
        order=state.order,
        count_cap=COUNT_CAP,
    )
    context = {
        "nav": "alarms",
        "listing": state.result(alarms, total),
        "capped": total > COUNT_CAP,
        "count_cap": COUNT_CAP,
        "categories": labels("categories", page.lang),
        "sites": _site_names(page, session, (a.site_id for a in alarms)),
        "chosen_site": pick.chosen(page, session, "sites", filters["site"]),
        "chosen_transmitter": pick.chosen(page, session, "transmitters", filters["transmitter"]),
    }
    return page.render("alarms/alarms.html", context)


@router.get("/alarms/{alarm_id}")
def alarm_page(alarm_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """One alarm with its event data and the frame exactly as received."""
    assert page.actor is not None
    alarm = service.get_alarm(session, page.actor, alarm_id)
    context = {
        "nav": "alarms",
        "alarm": alarm,
        "sites": _site_names(page, session, [alarm.site_id]),
        "raw_text": service.raw_text(alarm.raw),
        "raw_hex": alarm.raw.hex().upper(),
    }
    return page.render("alarms/alarm_detail.html", context)


@router.get("/transmitters")
def list_transmitters(page: PageDep, session: SessionDep) -> Response:
    """Registered transmitters: search by account or name, filter by network (e.g. 2G),
    protocol and site, sort, page."""
    assert page.actor is not None
    state = read_list(page.request.query_params, TRANSMITTERS)
    filters = state.filters
    rows, total = service.list_transmitters(
        session,
        page.actor,
        limit=state.size,
        offset=state.offset,
        bearer=Bearer(filters["bearer"]) if filters["bearer"] else None,
        protocol=TransmitterProtocol(filters["protocol"]) if filters["protocol"] else None,
        site_id=as_uuid(filters["site"]),
        q=state.q or None,
        order=state.order,
        silent=filters["silent"] == "1",
    )
    context = {
        "nav": "transmitters",
        "listing": state.result(rows, total),
        "bearers": [b.value for b in Bearer],
        "protocols": [p.value for p in TransmitterProtocol],
        "sites": _site_names(page, session, (row.site_id for row in rows)),
        "chosen_site": pick.chosen(page, session, "sites", filters["site"]),
    }
    return page.render("alarms/transmitters.html", context)


def _form(
    page: Page,
    session: Session,
    *,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    context = {
        "nav": "transmitters",
        "values": values,
        "errors": errors or FormErrors(),
        "chosen_site": pick.chosen(page, session, "sites", values.get("site_id", "")),
        "protocols": [(p.value, p.value) for p in TransmitterProtocol],
        "bearers": [("", page._("Not known"))] + [(b.value, b.value) for b in Bearer],
    }
    return page.render("alarms/transmitter_new.html", context, status=status)


@router.get("/transmitters/new")
def new_transmitter_page(page: PageDep, session: SessionDep) -> Response:
    """The form for registering a transmitter."""
    defaults = {"protocol": "dc09-sia", "key_format": "hex", "encrypted_only": "false"}
    return _form(page, session, values=defaults)


@router.post("/transmitters/new", dependencies=[needs("transmitter.write")])
def create_transmitter(
    page: PageDep, session: SessionDep, services: ServicesDep, form: FormDep
) -> Response:
    """Register a transmitter; errors are shown next to their fields with the values kept."""
    assert page.actor is not None
    try:
        values = clean(form, FIELDS, optional=OPTIONAL)
        values["encrypted_only"] = form.get("encrypted_only") == "true"
        data = TransmitterCreate.model_validate(values, context=FORM_TEXT)
        row = service.create_transmitter(session, page.actor, services.box, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = (
            from_validation(exc, FIELDS, page._)
            if isinstance(exc, ValidationError)
            else _domain_errors(exc, page)
        )
        kept = {k: v for k, v in form.items() if k != "key"}  # never echo a key back
        return _form(page, session, values=kept, errors=errors, status=422)
    return see_other(f"/transmitters/{row.id}?saved=1")


@router.get("/transmitters/{transmitter_id}")
def transmitter_page(transmitter_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """A transmitter's registration (never its key)."""
    assert page.actor is not None
    row = service.get_transmitter(session, page.actor, transmitter_id)
    sites = _site_names(page, session, [row.site_id])
    context = {"nav": "transmitters", "row": row, "sites": sites}
    return page.render("alarms/transmitter_detail.html", context)
