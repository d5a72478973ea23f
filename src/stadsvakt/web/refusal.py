"""What the 403 page says: what was refused, that the user's role lacks it, which
permission it needs and which roles of the municipality include it, and where to go back.

:func:`refusal` is a template global (``{% set why = refusal() %}`` in the forbidden
page): it reads the error and the page from the render context. The permission comes
from the refusal itself (``auth.scope`` says "this needs the X permission", or an error
may carry ``permission``); a refusal for another reason (a department administrator's
own unit, an expired form) names no permission and the page says so in general words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.auth import explain
from stadsvakt.errors import N_, DomainError

#: "this needs the site.write permission" (auth.scope's wording).
_NEEDS = re.compile(r"needs (?:the )?([a-z_]+\.[a-z_]+) permission")

#: Each permission in words (what it lets a person do), for the forbidden page.
PERMISSION_TEXTS: dict[str, str] = {
    "org.read": N_("Read organisation units"),
    "org.write": N_("Create, change and remove organisation units"),
    "site.read": N_("Read sites"),
    "site.write": N_("Create, change and remove sites"),
    "user.read": N_("Read user accounts"),
    "user.write": N_("Create and change user accounts and their roles"),
    "role.read": N_("Read roles and their permissions"),
    "role.write": N_("Change roles"),
    "token.read": N_("List API tokens"),
    "token.write": N_("Create and revoke API tokens"),
    "audit.read": N_("Read the audit trail"),
    "access.read": N_("Read zones, doors, schedules, profiles and the service catalogue"),
    "access.write": N_("Change zones, doors, schedules, profiles and the service catalogue"),
    "grant.read": N_("Read grants to guests, contractors, bookings and employees"),
    "grant.write": N_("Give, change and end grants"),
    "credential.read": N_("Read cards, tags, PINs and mobile keys"),
    "credential.write": N_("Issue cards, tags, PINs and mobile keys and block or revoke them"),
    "person.read": N_("Read people, their assignments and groups"),
    "person.write": N_("Create, change and deactivate people, assignments and groups"),
    "training.read": N_("Read training records"),
    "training.write": N_("Record training"),
    "scim.provision": N_("Provision people and groups over SCIM"),
    "access.decide": N_("Ask for access decisions (door controllers)"),
    "alarm.read": N_("Read received alarms"),
    "transmitter.read": N_("Read the alarm transmitter registry"),
    "transmitter.write": N_("Register, change and remove alarm transmitters"),
    "alarm.input": N_("Send technical and door alarms over HTTP"),
    "centre.read": N_("Read the safety centre's activations and statistics"),
    "centre.operate": N_("Handle activations in the safety centre"),
    "centre.lead": N_("Lead a shift in the safety centre"),
    "centre.admin": N_("Set up the safety centre"),
    "unit.report": N_("Report a field unit's status and position"),
    "device.read": N_("Read edge devices and enrolment codes"),
    "device.write": N_("Make enrolment codes for edge devices and revoke devices"),
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """The forbidden page's facts, in the page's language."""

    #: The permission needed (``site.write``), or None when the refusal names none.
    permission: str | None
    #: What the permission allows, translated.
    what: str | None
    #: The user's roles and the municipality's roles that include the permission.
    my_roles: list[str]
    holders: list[str]
    #: Where to go back to: the page the user came from (on this site), else the overview.
    back: str
    #: Whether the user was trying to change something (a form) rather than open a page.
    changing: bool


def needed_permission(error: DomainError | None) -> str | None:
    """The permission a refusal says is missing, if it says."""
    if error is None:
        return None
    named = error.extra.get("permission") or error.params.get("permission")
    if isinstance(named, str) and named in PERMISSION_TEXTS:
        return named
    found = _NEEDS.search(error.detail)
    return found.group(1) if found and found.group(1) in PERMISSION_TEXTS else None


def back_link(referer: str | None, current: str) -> str:
    """The referring page when it is a page of this site other than this one, else ``/``."""
    if not referer:
        return "/"
    parts = urlsplit(referer)
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or path == current:
        return "/"
    return path + (f"?{parts.query}" if parts.query else "")


def _roles(page: Any, permission: str | None) -> tuple[list[str], list[str]]:
    actor = page.actor
    if actor is None or actor.id is None or actor.tenant_id is None:
        return [], []
    factory: sessionmaker[Session] = page.request.app.state.services.session_factory
    # A session of its own: the request's unit of work was rolled back by the refusal.
    with factory() as session:
        mine = [r.label(page.lang) for r in explain.roles_of_user(session, actor.id)]
        if permission is None:
            return mine, []
        holders = explain.roles_with(session, actor.tenant_id, permission)
        return mine, [r.label(page.lang) for r in holders]


@pass_context
def refusal(context: Context) -> Refusal:
    """The facts of the 403 page being drawn (see the module docstring)."""
    page = context["page"]
    error = context.get("error")
    permission = needed_permission(error if isinstance(error, DomainError) else None)
    my_roles, holders = _roles(page, permission)
    request = page.request
    return Refusal(
        permission=permission,
        what=page._(PERMISSION_TEXTS[permission]) if permission else None,
        my_roles=my_roles,
        holders=holders,
        back=back_link(request.headers.get("referer"), request.url.path),
        changing=request.method not in {"GET", "HEAD"},
    )
