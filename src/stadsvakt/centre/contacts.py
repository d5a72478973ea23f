"""Site contacts and keyholders (kontaktpersoner, nyckelhållare): who to call, in order,
and when they may be called.

Each site has an ordered list of :class:`~stadsvakt.centre.plans.models.SiteContact`.
A contact's time windows are in Swedish local time (Europe/Stockholm, summer time
included): "weekdays 07:00-17:00" means those hours on the wall clock in Sweden, in
January and in July. :func:`callable_at` and :func:`callable_now` give who may be
called at a moment, in order. Services take ``session`` and never commit.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.audit.service import record, snapshot
from stadsvakt.auth.scope import require, subtree_ids
from stadsvakt.centre.plans.models import SiteContact
from stadsvakt.centre.plans.schemas import ContactIn, ContactUpdate, WindowIn
from stadsvakt.centre.plans.steps import ContactRole
from stadsvakt.centre.tenancy import restrict, visible_tenants
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.errors import InvalidInput, NotFound
from stadsvakt.org.models import Site

STOCKHOLM = ZoneInfo("Europe/Stockholm")
#: Who reads contacts, and who edits them.
READ = "centre.read"
ADMIN = "centre.admin"


# --- time windows (pure) -------------------------------------------------------------------


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_window(window: dict[str, Any], moment: datetime) -> bool:
    """Whether ``moment`` falls in one window (read in Swedish local time)."""
    local = moment.astimezone(STOCKHOLM)
    days = {int(day) for day in window.get("days", ())}
    start, end = _clock(str(window["start"])), _clock(str(window["end"]))
    now, today = local.time().replace(second=0, microsecond=0), local.isoweekday()
    if start == end:
        return today in days
    if start < end:
        return today in days and start <= now < end
    yesterday = (local - timedelta(days=1)).isoweekday()
    return (today in days and now >= start) or (yesterday in days and now < end)


def may_call(windows: Sequence[dict[str, Any]], moment: datetime) -> bool:
    """Whether a contact with these windows may be called at ``moment`` (none: always)."""
    return not windows or any(in_window(window, moment) for window in windows)


def callable_at(contacts: Iterable[SiteContact], moment: datetime) -> list[SiteContact]:
    """The contacts that may be called at ``moment``, in call order."""
    ordered = sorted(contacts, key=lambda contact: contact.position)
    return [contact for contact in ordered if may_call(contact.windows or [], moment)]


_DAY_NAMES: dict[str, int] = {
    **{name: n for n, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), 1)},
    **{name: n for n, name in enumerate(("mån", "tis", "ons", "tor", "fre", "lör", "sön"), 1)},
}
_WINDOW = re.compile(
    r"^\s*(?P<days>[^\s]+)\s+(?P<start>\d{1,2}(?::\d{2})?)\s*[-–]\s*(?P<end>\d{1,2}(?::\d{2})?)\s*$"
)


def _day(token: str) -> int:
    token = token.strip().lower()[:3]
    if token.isdigit() and 1 <= int(token) <= 7:
        return int(token)
    if token in _DAY_NAMES:
        return _DAY_NAMES[token]
    raise ValueError(token)


def _days(text: str) -> list[int]:
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        start = _day(first)
        end = _day(last) if last else start
        span = range(start, end + 1) if start <= end else [*range(start, 8), *range(1, end + 1)]
        days.update(span)
    return sorted(days)


def _hhmm(text: str) -> str:
    hours, _, minutes = text.partition(":")
    value = f"{int(hours):02d}:{int(minutes or 0):02d}"
    if value == "24:00":
        value = "00:00"
    _clock(value)
    return value


def parse_windows(text: str) -> list[dict[str, Any]]:
    """Windows written as people write them: ``mån-fre 07-17; lör 10:00-14:00`` (Swedish
    or English day names, or 1-7; one window per line or ``;``). Raises ValueError."""
    windows = []
    for line in re.split(r"[;\n]", text):
        if not line.strip():
            continue
        match = _WINDOW.match(line)
        if match is None:
            raise ValueError(line)
        try:
            window = {
                "days": _days(match["days"]),
                "start": _hhmm(match["start"]),
                "end": _hhmm(match["end"]),
            }
        except (KeyError, ValueError) as exc:
            raise ValueError(line) from exc
        windows.append(WindowIn.model_validate(window).model_dump())
    return windows


def format_windows(windows: Sequence[dict[str, Any]], day_names: Sequence[str]) -> str:
    """Windows as text, with the caller's seven day names (Monday first)."""
    parts = []
    for window in windows:
        days = sorted(int(day) for day in window.get("days", ()))
        if len(days) >= 2 and days == list(range(days[0], days[-1] + 1)):
            label = f"{day_names[days[0] - 1]}-{day_names[days[-1] - 1]}"
        else:
            label = ",".join(day_names[day - 1] for day in days)
        parts.append(f"{label} {window['start']}-{window['end']}")
    return "; ".join(parts)


# --- service -------------------------------------------------------------------------------


def visible_site(session: Session, actor: Actor, site_id: uuid.UUID, permission: str) -> Site:
    """The site if the actor sees it with ``permission`` (centre staff: in every
    municipality their centre serves), else :class:`NotFound`."""
    require(actor, permission)
    stmt = select(Site).where(Site.id == site_id)
    tenants = visible_tenants(session, actor)
    if tenants is not None:
        stmt = stmt.where(Site.tenant_id.in_(sorted(tenants)))
    units = actor.scope(permission)
    if units is not None:
        stmt = stmt.where(Site.org_unit_id.in_(subtree_ids(units)))
    site = session.execute(stmt).scalar_one_or_none()
    if site is None:
        raise NotFound(f"site_id: no site {site_id}", field="site_id")
    return site


def site_contacts(session: Session, site_id: uuid.UUID) -> list[SiteContact]:
    """A site's contacts in call order (no permission check: for the plan's own use)."""
    return list(
        session.execute(
            select(SiteContact)
            .where(SiteContact.site_id == site_id)
            .order_by(SiteContact.position, SiteContact.name)
        ).scalars()
    )


def list_contacts(session: Session, actor: Actor, site_id: uuid.UUID) -> list[SiteContact]:
    """A site's contacts in call order, for an actor who sees the site."""
    visible_site(session, actor, site_id, READ)
    return site_contacts(session, site_id)


def callable_now(
    session: Session,
    site_id: uuid.UUID,
    *,
    at: datetime | None = None,
    roles: Sequence[ContactRole] = (),
) -> list[SiteContact]:
    """Who may be called about a site now (or ``at``), in order; only ``roles`` if given."""
    wanted = {role.value for role in roles}
    contacts = [c for c in site_contacts(session, site_id) if not wanted or c.role in wanted]
    return callable_at(contacts, at or utcnow())


def get_contact(
    session: Session, actor: Actor, contact_id: uuid.UUID, permission: str = READ
) -> SiteContact:
    """One contact the actor sees, else :class:`NotFound`."""
    stmt = restrict(
        select(SiteContact).where(SiteContact.id == contact_id),
        session,
        actor,
        permission,
        model=SiteContact,
    )
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound("contact not found")
    return found


def _audit(session: Session, action: str, row: SiteContact, before: dict[str, Any] | None) -> None:
    record(
        session,
        action=f"site_contact.{action}",
        object_type="site_contact",
        object_id=row.id,
        object_text=f"{row.name} ({row.role})",
        tenant_id=row.tenant_id,
        before=before,
        after=None if action == "delete" else snapshot(row),
    )


def create_contact(
    session: Session, actor: Actor, site_id: uuid.UUID, data: ContactIn
) -> SiteContact:
    """Add a contact last in a site's call order."""
    site = visible_site(session, actor, site_id, ADMIN)
    last = session.execute(
        select(func.max(SiteContact.position)).where(SiteContact.site_id == site.id)
    ).scalar_one()
    row = SiteContact(
        id=uuid.uuid4(),
        tenant_id=site.tenant_id,
        site_id=site.id,
        position=(last or 0) + 1,
        name=data.name,
        role=data.role.value,
        phone=data.phone,
        email=data.email,
        windows=[window.model_dump() for window in data.windows],
        notes=data.notes,
    )
    session.add(row)
    session.flush()
    _audit(session, "create", row, None)
    return row


def update_contact(
    session: Session, actor: Actor, contact_id: uuid.UUID, data: ContactUpdate
) -> SiteContact:
    """Change a contact; a new ``position`` moves it in the call order."""
    row = get_contact(session, actor, contact_id, ADMIN)
    before = snapshot(row)
    changes = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None:
            raise InvalidInput(f"{name}: cannot be emptied", field=name, rule="not_null")
    position = changes.pop("position", None)
    if "role" in changes:
        changes["role"] = ContactRole(changes["role"]).value
    for name, value in changes.items():
        setattr(row, name, value)
    if position is not None:
        _move_to(session, row, int(position))
    session.flush()
    _audit(session, "update", row, before)
    return row


def _move_to(session: Session, row: SiteContact, position: int) -> None:
    others = [c for c in site_contacts(session, row.site_id) if c.id != row.id]
    index = max(0, min(position - 1, len(others)))
    ordered = [*others[:index], row, *others[index:]]
    for number, contact in enumerate(ordered, 1):
        contact.position = number


def delete_contact(session: Session, actor: Actor, contact_id: uuid.UUID) -> None:
    """Remove a contact; the others keep their order."""
    row = get_contact(session, actor, contact_id, ADMIN)
    before = snapshot(row)
    session.delete(row)
    session.flush()
    _audit(session, "delete", row, before)
