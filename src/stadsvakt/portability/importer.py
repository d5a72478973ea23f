"""Importing an export document as a new municipality, all or nothing.

Ids are kept, so rows are written directly rather than through the services (which
choose new ids); the checks the services make on the way in are made on the whole
document first (``checks``). The audit trail gets one summary row per kind
(``portability.import``, with the count and the ids), and every object that can alter
an access decision is noted in the change feed so running processes pick it up.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from stadsvakt.access.changes import Entity, note_change
from stadsvakt.access.models import (
    AccessProfile,
    Credential,
    Door,
    Grant,
    HolidayCalendar,
    PositionProfile,
    ProfileZone,
    Schedule,
    ServiceLevel,
    SiteService,
    Zone,
)
from stadsvakt.audit.service import record, snapshot
from stadsvakt.auth.service import ensure_builtin_roles
from stadsvakt.context import Actor
from stadsvakt.directory.models import Assignment, Group, GroupMember, Person, TrainingRecord
from stadsvakt.errors import Forbidden
from stadsvakt.org.models import Municipality, OrgUnit, Site
from stadsvakt.portability.checks import ImportRefused, check_document, check_target
from stadsvakt.portability.export import KINDS
from stadsvakt.portability.format import ExportDocument, UnitItem

#: kind → (table, the change-feed entity or None when decisions do not depend on it).
_TABLES: dict[str, tuple[Any, Entity | None]] = {
    "units": (OrgUnit, Entity.ORG_UNIT),
    "sites": (Site, None),
    "people": (Person, Entity.PERSON),
    "assignments": (Assignment, Entity.ASSIGNMENT),
    "groups": (Group, Entity.GROUP),
    "training": (TrainingRecord, Entity.TRAINING),
    "holiday_calendars": (HolidayCalendar, Entity.HOLIDAY_CALENDAR),
    "schedules": (Schedule, Entity.SCHEDULE),
    "zones": (Zone, Entity.ZONE),
    "doors": (Door, Entity.DOOR),
    "profiles": (AccessProfile, Entity.PROFILE),
    "position_profiles": (PositionProfile, Entity.POSITION_PROFILE),
    "grants": (Grant, Entity.GRANT),
    "credentials": (Credential, Entity.CREDENTIAL),
    "service_levels": (ServiceLevel, None),
    "site_services": (SiteService, None),
}
#: Fields of the document that are links, written to their own tables.
_LINKS = {"groups": "member_ids", "profiles": "zone_ids"}


def _units_in_order(units: list[UnitItem]) -> list[UnitItem]:
    """Parents before children; a cycle is refused."""
    by_id = {u.id: u for u in units}
    ordered: list[UnitItem] = []
    placed: set[uuid.UUID] = set()
    pending = sorted(units, key=lambda u: str(u.id))
    while pending:
        ready = [u for u in pending if u.parent_id is None or u.parent_id in placed]
        if not ready:
            cycle = ", ".join(str(u.id) for u in pending[:3])
            raise ImportRefused([f"units: the parent links form a cycle ({cycle})"])
        for unit in ready:
            ordered.append(by_id[unit.id])
            placed.add(unit.id)
        pending = [u for u in pending if u.id not in placed]
    return ordered


def _key(item: BaseModel) -> str:
    """An object's id (a site service is keyed by its site)."""
    return str(getattr(item, "id", None) or getattr(item, "site_id", ""))


def _links(session: Session, kind: str, item: Any) -> None:
    if kind == "groups":
        for person_id in item.member_ids:
            session.add(GroupMember(group_id=item.id, person_id=person_id))
    elif kind == "profiles":
        for zone_id in item.zone_ids:
            session.add(ProfileZone(profile_id=item.id, zone_id=zone_id))


def import_document(
    session: Session,
    actor: Actor,
    document: ExportDocument,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Create the document's municipality with everything in it; returns counts per kind.

    Only the installation's operator (a system actor, the CLI) may import.
    """
    if actor.kind != "system":
        raise Forbidden("imports are made by the installation's operator (CLI)")
    check_document(document)
    check_target(session, document)
    m = document.municipality
    tenant = Municipality(id=m.id, name=m.name, code=m.code)
    session.add(tenant)
    session.flush()
    ensure_builtin_roles(session, tenant.id)
    record(
        session,
        action="municipality.import",
        object_type="municipality",
        object_id=tenant.id,
        object_text=tenant.name,
        tenant_id=tenant.id,
        after=snapshot(tenant),
    )
    counts: dict[str, int] = {}
    for kind in KINDS:
        items: list[BaseModel] = list(getattr(document, kind))
        if kind == "units":
            items = list(_units_in_order(document.units))
        table, entity = _TABLES[kind]
        for item in items:
            values = item.model_dump(exclude={_LINKS.get(kind, "")})
            session.add(table(tenant_id=tenant.id, **values))
            if kind == "units":
                session.flush()  # a child's parent must exist first
        session.flush()
        for item in items:
            _links(session, kind, item)
            if entity is not None:
                note_change(session, tenant_id=tenant.id, entity=entity, entity_id=_key(item))
        session.flush()
        counts[kind] = len(items)
        record(
            session,
            action="portability.import",
            object_type=kind,
            object_id=None,
            object_text=f"{len(items)} {kind} imported",
            tenant_id=tenant.id,
            after={
                "count": len(items),
                "ids": sorted(_key(i) for i in items),
            },
        )
        if progress is not None:
            progress(kind, len(items))
    return counts
