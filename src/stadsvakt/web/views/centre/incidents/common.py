"""What the pages of incidents, tasks, tests and the situation share: choices of
municipalities and sites the actor serves, local times from forms, and messages for the
services' rules."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.auth.scope import subtree_ids
from stadsvakt.centre.tenancy import visible_tenants
from stadsvakt.context import Actor
from stadsvakt.errors import DomainError
from stadsvakt.org.models import Municipality, Site
from stadsvakt.web.deps import Page
from stadsvakt.web.forms import N_, FormErrors, from_domain, from_validation
from stadsvakt.web.localtime import STOCKHOLM

#: The services' rules, as the page says them.
RULES: dict[str, str] = {
    "site_or_address": N_("Choose a site or give an address."),
    "after_starts_at": N_("The end must be after the start."),
    "not_past": N_("The start must not be in the past."),
    "max_duration": N_("The test is longer than allowed."),
    "after_valid_from": N_("The last day must not be before the first."),
    "local_time": N_("Enter a date and time, for example 2026-12-05 23:00."),
}
SITE_LIMIT = 2000


def municipalities(session: Session, actor: Actor) -> list[Municipality]:
    """The municipalities the actor sees (their own first)."""
    tenants = visible_tenants(session, actor)
    stmt = select(Municipality).order_by(Municipality.name)
    if tenants is not None:
        stmt = stmt.where(Municipality.id.in_(sorted(tenants)))
    rows = list(session.execute(stmt).scalars())
    return sorted(rows, key=lambda m: (m.id != actor.tenant_id, m.name))


def sites(session: Session, actor: Actor, permission: str) -> list[Site]:
    """The sites of the municipalities the actor sees, within their units for ``permission``."""
    tenants = visible_tenants(session, actor)
    stmt = select(Site).order_by(Site.name).limit(SITE_LIMIT)
    if tenants is not None:
        stmt = stmt.where(Site.tenant_id.in_(sorted(tenants)))
    units = actor.scope(permission)
    if units is not None:
        stmt = stmt.where(Site.org_unit_id.in_(subtree_ids(units)))
    return list(session.execute(stmt).scalars())


def grouped_sites(
    session: Session, actor: Actor, permission: str
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Sites as ``<optgroup>`` per municipality: (municipality, [(id, "name, street")])."""
    names = {m.id: m.name for m in municipalities(session, actor)}
    groups: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for site in sites(session, actor, permission):
        groups.setdefault(site.tenant_id, []).append((str(site.id), f"{site.name}, {site.street}"))
    return [(names.get(tenant, ""), rows) for tenant, rows in groups.items()]


def utc_from_local(value: str) -> str | None:
    """An ISO time in UTC from a form's local date and time (``2026-12-05T23:00``), read
    in Europe/Stockholm; ``None`` when empty; the text unchanged when it is no time (the
    schema then names the field)."""
    text = value.strip()
    if not text:
        return None
    try:
        local = datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        return text
    if local.tzinfo is None:
        local = local.replace(tzinfo=STOCKHOLM)
    return local.astimezone(UTC).isoformat()


def local_input(moment: datetime | None) -> str:
    """A moment as a ``datetime-local`` field's value in Swedish time."""
    if moment is None:
        return ""
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%dT%H:%M")


def form_errors(
    exc: ValidationError | DomainError, fields: Collection[str], page: Page
) -> FormErrors:
    """A refusal as messages on the fields it names, in the page's language."""
    if isinstance(exc, ValidationError):
        return from_validation(exc, fields, page._)
    errors = FormErrors()
    for item in exc.extra.get("errors", []):
        rule = str(item.get("rule", ""))
        if rule in RULES:
            errors.add(str(item.get("field")), page._(RULES[rule]), fields)
    if errors:
        return errors
    if exc.code == "not_found" and exc.extra.get("field") in fields:
        errors.add(str(exc.extra["field"]), page._("Choose one of the options."), fields)
        return errors
    return from_domain(exc, fields, page._)
