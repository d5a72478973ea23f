"""Received alarms (larm) and the transmitter registry (larmsändare): lists, details, a form."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.alarms import service
from stadsvakt.alarms.models import Bearer, TransmitterProtocol
from stadsvakt.alarms.protocols.events import Category
from stadsvakt.alarms.schemas import TransmitterCreate
from stadsvakt.api.deps import ServicesDep, SessionDep
from stadsvakt.centre.texts import labels
from stadsvakt.errors import DomainError
from stadsvakt.org.service import list_sites
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, see_other
from stadsvakt.web.forms import (
    N_,
    FormErrors,
    clean,
    from_domain,
    from_validation,
    is_form_error,
)
from stadsvakt.web.localtime import STOCKHOLM

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
PAGE_SIZE = 50
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


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _site_names(page: Page, session: Session) -> dict[uuid.UUID, str]:
    assert page.actor is not None
    if not page.can("site.read"):
        return {}
    sites, _ = list_sites(session, page.actor, limit=500, offset=0)
    return {site.id: site.name for site in sites}


@router.get("/alarms")
def list_alarms(
    page: PageDep,
    session: SessionDep,
    site: Annotated[str, Query(max_length=40)] = "",
    category: Annotated[str, Query(max_length=20)] = "",
    day_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    day_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    p: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Received alarms, newest first: filter by site, category and days (Swedish time)."""
    assert page.actor is not None
    chosen = Category(category) if category in set(Category) else None
    try:
        site_id = uuid.UUID(site) if site else None
    except ValueError:
        site_id = None
    start, end = _day(day_from), _day(day_to)
    alarms, total = service.list_alarms(
        session,
        page.actor,
        limit=PAGE_SIZE,
        offset=(p - 1) * PAGE_SIZE,
        site_id=site_id,
        category=chosen,
        since=datetime.combine(start, time(), STOCKHOLM) if start else None,
        until=datetime.combine(end + timedelta(days=1), time(), STOCKHOLM) if end else None,
    )
    pages = max(1, math.ceil(total / PAGE_SIZE))
    filters = {
        "site": str(site_id) if site_id else "",
        "category": chosen.value if chosen else "",
        "from": start.isoformat() if start else "",
        "to": end.isoformat() if end else "",
    }

    def page_url(number: int) -> str:
        return "/alarms?" + urlencode({k: v for k, v in {**filters, "p": number}.items() if v})

    context = {
        "nav": "alarms",
        "alarms": alarms,
        "total": total,
        "filters": filters,
        "categories": labels("categories", page.lang),
        "sites": _site_names(page, session),
        "number": p,
        "pages": pages,
        "prev_url": page_url(p - 1) if p > 1 else None,
        "next_url": page_url(p + 1) if p < pages else None,
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
        "sites": _site_names(page, session),
        "raw_text": service.raw_text(alarm.raw),
        "raw_hex": alarm.raw.hex().upper(),
    }
    return page.render("alarms/alarm_detail.html", context)


@router.get("/transmitters")
def list_transmitters(
    page: PageDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    bearer: Annotated[str, Query(max_length=4)] = "",
    p: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Registered transmitters: search by account or name, filter by bearer (e.g. 2G)."""
    assert page.actor is not None
    chosen = Bearer(bearer) if bearer in set(Bearer) else None
    rows, total = service.list_transmitters(
        session,
        page.actor,
        limit=PAGE_SIZE,
        offset=(p - 1) * PAGE_SIZE,
        bearer=chosen,
        q=q.strip() or None,
    )
    pages = max(1, math.ceil(total / PAGE_SIZE))

    def page_url(number: int) -> str:
        params = {"q": q.strip(), "bearer": chosen.value if chosen else "", "p": number}
        return "/transmitters?" + urlencode({k: v for k, v in params.items() if v})

    context = {
        "nav": "transmitters",
        "transmitters": rows,
        "total": total,
        "q": q.strip(),
        "bearer": chosen.value if chosen else "",
        "bearers": [b.value for b in Bearer],
        "sites": _site_names(page, session),
        "number": p,
        "pages": pages,
        "prev_url": page_url(p - 1) if p > 1 else None,
        "next_url": page_url(p + 1) if p < pages else None,
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
    sites = _site_names(page, session)
    context = {
        "nav": "transmitters",
        "values": values,
        "errors": errors or FormErrors(),
        "site_choices": [("", page._("Choose a site"))] + [(str(k), v) for k, v in sites.items()],
        "protocols": [(p.value, p.value) for p in TransmitterProtocol],
        "bearers": [("", page._("Not known"))] + [(b.value, b.value) for b in Bearer],
    }
    return page.render("alarms/transmitter_new.html", context, status=status)


@router.get("/transmitters/new")
def new_transmitter_page(page: PageDep, session: SessionDep) -> Response:
    """The form for registering a transmitter."""
    defaults = {"protocol": "dc09-sia", "key_format": "hex", "encrypted_only": "false"}
    return _form(page, session, values=defaults)


@router.post("/transmitters/new")
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
    context = {"nav": "transmitters", "row": row, "sites": _site_names(page, session)}
    return page.render("alarms/transmitter_detail.html", context)
