"""Snapshots: the rights that matter for an edge's doors, compiled as the centre compiles
them, and signed for the edge.

The entries are compiled by the decision index's own loader
(:class:`stadsvakt.access.index.loader.Loader`) into a fresh
:class:`~stadsvakt.access.index.state.CompiledIndex` that holds only what the doors need:
the doors (with their site's door rules: emergency open, the site's own calendar), the
profiles that open their zones, the schedules of those profiles and doors, and the
people holding a right to one of those profiles (with only those rights, since only
those positions and grants are loaded, and their PINs' door digests) and their cards
and mobile keys. So the edge decides as the centre does. Holidays and eves are sent as
explicit dates for ``holiday_months`` months (:func:`holiday_window`). See
``docs/edge-snapshots.md``. The version is the access change feed's position, read
before the rows (a change committed meanwhile is sent again with the next delta: an
entry sent twice is harmless, one never sent is not).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Container
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.access.index.loader import Loader
from stadsvakt.access.index.state import CompiledIndex
from stadsvakt.access.models import (
    AccessChange,
    AccessProfile,
    Credential,
    Door,
    Grant,
    PositionProfile,
    ProfileZone,
    Schedule,
    SiteDoorRules,
)
from stadsvakt.access.timerules import STOCKHOLM
from stadsvakt.directory.models import Assignment, GroupMember
from stadsvakt.edge.envelope import seal
from stadsvakt.edge.snapshot.codec import (
    Json,
    credential_json,
    door_json,
    pack,
    person_json,
    profile_json,
    schedule_json,
)
from stadsvakt.edge.snapshot.settings import SnapshotSettings
from stadsvakt.org.models import OrgUnit

UUID = uuid.UUID

#: The entity kinds of a snapshot, in the order an edge reads them.
KINDS = ("doors", "schedules", "profiles", "people", "credentials")


def current_version(session: Session) -> int:
    """The access change feed's position (0 when it is empty)."""
    return int(session.execute(select(func.max(AccessChange.seq))).scalar() or 0)


def holiday_window(now: datetime, months: int) -> tuple[date, date]:
    """The dates a snapshot lists holidays for: from yesterday (a night interval that
    began yesterday is judged by yesterday's date) to the first of the month ``months``
    months after this one (exclusive)."""
    today = now.astimezone(STOCKHOLM).date()
    month = today.month - 1 + months + 1
    return today - timedelta(days=1), date(today.year + month // 12, month % 12 + 1, 1)


@dataclass
class EdgeView:
    """What one edge's doors need, as JSON entries by id (the body of a snapshot)."""

    tenant_id: UUID
    version: int
    holidays_from: date
    holidays_until: date
    entries: dict[str, dict[str, Json]] = field(default_factory=dict)

    def body(self) -> Json:
        """The snapshot body: the entries of each kind, sorted by id."""
        body: Json = {
            "tenant": str(self.tenant_id),
            "version": self.version,
            "holidays_from": self.holidays_from.isoformat(),
            "holidays_until": self.holidays_until.isoformat(),
        }
        for kind in KINDS:
            found = self.entries.get(kind, {})
            body[kind] = [found[key] for key in sorted(found)]
        return body


def _subtree(units: dict[UUID, UUID | None], root: UUID) -> set[UUID]:
    children: dict[UUID, list[UUID]] = {}
    for unit, parent in units.items():
        if parent is not None:
            children.setdefault(parent, []).append(unit)
    found: set[UUID] = set()
    stack = [root]
    while stack:
        unit = stack.pop()
        if unit not in found:
            found.add(unit)
            stack.extend(children.get(unit, ()))
    return found


def _ids(session: Session, statement: Any) -> set[UUID]:
    rows: list[UUID | None] = list(session.execute(statement).scalars())
    return {row for row in rows if row is not None}


def edge_view(
    session: Session,
    tenant_id: UUID,
    door_ids: Collection[UUID],
    now: datetime,
    *,
    settings: SnapshotSettings,
) -> EdgeView:
    """Compile what ``door_ids`` (those of ``tenant_id``; others are left out) need at ``now``."""
    version = current_version(session)
    index = CompiledIndex()
    load = Loader(index)
    asked = list(door_ids)
    sites = _ids(
        session, select(Door.site_id).where(Door.id.in_(asked), Door.tenant_id == tenant_id)
    )
    # A site's own holiday calendar and emergency state apply to its doors (set on them
    # as they load, so the sites and their calendars come first).
    site_calendars = _ids(
        session,
        select(SiteDoorRules.holiday_calendar_id).where(SiteDoorRules.site_id.in_(sites)),
    )
    load.load_calendars(session, site_calendars)
    load.load_sites(session, sites)
    load.load_doors(session, set(asked))
    doors = {d.id: d for d in index.doors.values() if d.tenant_id == tenant_id}
    zones = {d.zone_id for d in doors.values()}
    profile_ids = _ids(
        session,
        select(ProfileZone.profile_id)
        .join(AccessProfile, AccessProfile.id == ProfileZone.profile_id)
        .where(ProfileZone.zone_id.in_(list(zones)), AccessProfile.tenant_id == tenant_id),
    )
    load.load_profiles(session, profile_ids)
    schedule_ids = {p.schedule_id for p in index.profiles.values()} | {
        d.unlock_schedule_id for d in doors.values() if d.unlock_schedule_id is not None
    }
    load.load_calendars(
        session,
        _ids(session, select(Schedule.holiday_calendar_id).where(Schedule.id.in_(schedule_ids)))
        - site_calendars,
    )
    load.load_schedules(session, schedule_ids)
    # Rights: only the positions and grants of these profiles, so compiled rights name no
    # other profile.
    units_of_tenant = select(OrgUnit.id).where(OrgUnit.tenant_id == tenant_id)
    load.load_units(session, _ids(session, units_of_tenant))
    positions = select(PositionProfile.id).where(PositionProfile.profile_id.in_(profile_ids))
    load.load_positions(session, _ids(session, positions))
    grant_ids = _ids(session, select(Grant.id).where(Grant.profile_id.in_(profile_ids)))
    load.load_grants(session, grant_ids, recompile=False)
    candidates = {g.person_id for g in index.grants.values() if g.person_id is not None}
    groups = {g.group_id for g in index.grants.values() if g.group_id is not None}
    if groups:
        candidates |= _ids(
            session, select(GroupMember.person_id).where(GroupMember.group_id.in_(groups))
        )
    units: set[UUID] = set()
    for position in index.positions.values():
        if position.subunits:
            units |= _subtree(index.unit_parent, position.unit_id)
        else:
            units.add(position.unit_id)
    if units:
        candidates |= _ids(
            session, select(Assignment.person_id).where(Assignment.org_unit_id.in_(units))
        )
    load.load_people(session, candidates)
    ts = now.timestamp()
    # A right that has ended never opens again: a person with none left is not sent.
    holders = {
        pid
        for pid, entry in index.people.items()
        if any(right.valid_to > ts for right in entry.rights)
    }
    # Their cards, mobile keys and PINs (a PIN is compiled into its holder's entry).
    load.load_credentials(
        session,
        _ids(
            session,
            select(Credential.id).where(
                Credential.tenant_id == tenant_id, Credential.person_id.in_(list(holders))
            ),
        ),
    )
    start, until = holiday_window(now, settings.holiday_months)

    def days(container: Container[date]) -> list[date]:
        return _dates_in(container, start, until)

    view = EdgeView(tenant_id, version, start, until)
    courses = {p.required_course for p in index.profiles.values() if p.required_course}
    view.entries["doors"] = {str(k): door_json(index.doors[k], days) for k in doors}
    view.entries["profiles"] = {str(k): profile_json(p) for k, p in index.profiles.items()}
    view.entries["schedules"] = {
        str(sid): schedule_json(
            sid,
            facts.intervals,
            facts.holiday_mode,
            days(index.schedules[sid].holidays),
            days(index.schedules[sid].eves),
        )
        for sid, facts in index.schedule_facts.items()
    }
    view.entries["people"] = {str(pid): person_json(index.people[pid], courses) for pid in holders}
    view.entries["credentials"] = {
        str(cid): credential_json(c)
        for cid, c in index.credentials_by_id.items()
        if c.person_id in holders and c.tenant_id == tenant_id
    }
    return view


def _dates_in(days: Container[date], start: date, until: date) -> list[date]:
    """The dates in ``days`` (a calendar's container) from ``start`` until ``until``."""
    if not days:
        return []
    found: list[date] = []
    day = start
    while day < until:
        if day in days:
            found.append(day)
        day += timedelta(days=1)
    return found


def build_snapshot(
    session: Session,
    tenant_id: UUID,
    door_ids: Collection[UUID],
    now: datetime,
    *,
    settings: SnapshotSettings,
) -> Json:
    """The snapshot body for an edge serving ``door_ids`` (see the module docstring)."""
    return edge_view(session, tenant_id, door_ids, now, settings=settings).body()


def seal_snapshot(body: Json, device_id: UUID, settings: SnapshotSettings) -> bytes:
    """A snapshot body packed and signed for one device, as the bytes to publish."""
    fields = {
        "kind": "snapshot",
        "device": str(device_id),
        "tenant": str(body["tenant"]),
        "version": int(body["version"]),
        "body": pack(body),
    }
    return seal(fields, settings.private_key())
