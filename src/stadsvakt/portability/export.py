"""Writing the export document of one municipality: deterministic, so that export →
import → export gives the same bytes (keys sorted, lists sorted by id, fixed indentation)."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

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
from stadsvakt.auth.scope import require
from stadsvakt.context import Actor
from stadsvakt.directory.models import Assignment, Group, GroupMember, Person, TrainingRecord
from stadsvakt.org.models import Municipality, OrgUnit, Site
from stadsvakt.portability import format as fmt

M = TypeVar("M", bound=BaseModel)

#: The permissions an export needs: it holds everything a municipality has.
EXPORT_PERMISSIONS = (
    "org.read",
    "site.read",
    "person.read",
    "training.read",
    "access.read",
    "grant.read",
    "credential.read",
)

#: The kinds in the order they are written and imported (references point backwards).
KINDS = (
    "units",
    "sites",
    "people",
    "assignments",
    "groups",
    "training",
    "holiday_calendars",
    "schedules",
    "zones",
    "doors",
    "profiles",
    "position_profiles",
    "grants",
    "credentials",
    "service_levels",
    "site_services",
)


def _rows(session: Session, model: Any, tenant: uuid.UUID, item: type[M]) -> list[M]:
    found: list[Any] = list(
        session.execute(select(model).where(model.tenant_id == tenant)).scalars()
    )
    return sorted((item.model_validate(row) for row in found), key=_key)


def _key(item: BaseModel) -> str:
    return str(getattr(item, "id", None) or getattr(item, "site_id", ""))


def _links(
    session: Session, stmt: Select[uuid.UUID, uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    links: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for owner, target in session.execute(stmt):
        links[owner].append(target)
    return {owner: sorted(targets, key=str) for owner, targets in links.items()}


def build_document(
    session: Session,
    actor: Actor,
    tenant: Municipality,
    progress: Callable[[str], None] | None = None,
) -> fmt.ExportDocument:
    """The export document of a municipality (needs every read permission)."""
    for permission in EXPORT_PERMISSIONS:
        require(actor, permission)
    t = tenant.id
    step = progress or (lambda _kind: None)
    members = _links(
        session,
        select(GroupMember.group_id, GroupMember.person_id)
        .join(Group, Group.id == GroupMember.group_id)
        .where(Group.tenant_id == t),
    )
    zones = _links(
        session,
        select(ProfileZone.profile_id, ProfileZone.zone_id)
        .join(AccessProfile, AccessProfile.id == ProfileZone.profile_id)
        .where(AccessProfile.tenant_id == t),
    )
    kinds: dict[str, Sequence[BaseModel]] = {}
    simple: dict[str, tuple[Any, type[BaseModel]]] = {
        "units": (OrgUnit, fmt.UnitItem),
        "sites": (Site, fmt.SiteItem),
        "people": (Person, fmt.PersonItem),
        "assignments": (Assignment, fmt.AssignmentItem),
        "training": (TrainingRecord, fmt.TrainingItem),
        "holiday_calendars": (HolidayCalendar, fmt.HolidayCalendarItem),
        "schedules": (Schedule, fmt.ScheduleItem),
        "zones": (Zone, fmt.ZoneItem),
        "doors": (Door, fmt.DoorItem),
        "position_profiles": (PositionProfile, fmt.PositionProfileItem),
        "grants": (Grant, fmt.GrantItem),
        "credentials": (Credential, fmt.CredentialItem),
        "service_levels": (ServiceLevel, fmt.ServiceLevelItem),
        "site_services": (SiteService, fmt.SiteServiceItem),
    }
    for kind in KINDS:
        if kind == "groups":
            groups = session.execute(select(Group).where(Group.tenant_id == t)).scalars()
            kinds[kind] = sorted(
                (
                    fmt.GroupItem(
                        id=g.id,
                        org_unit_id=g.org_unit_id,
                        display_name=g.display_name,
                        external_id=g.external_id,
                        member_ids=members.get(g.id, []),
                    )
                    for g in groups
                ),
                key=_key,
            )
        elif kind == "profiles":
            profiles = session.execute(
                select(AccessProfile).where(AccessProfile.tenant_id == t)
            ).scalars()
            kinds[kind] = sorted(
                (
                    fmt.ProfileItem(
                        id=p.id,
                        org_unit_id=p.org_unit_id,
                        code=p.code,
                        name=p.name,
                        schedule_id=p.schedule_id,
                        required_course=p.required_course,
                        zone_ids=zones.get(p.id, []),
                    )
                    for p in profiles
                ),
                key=_key,
            )
        else:
            model, item = simple[kind]
            kinds[kind] = _rows(session, model, t, item)
        step(kind)
    return fmt.ExportDocument.model_validate(
        {
            "format": fmt.FORMAT,
            "version": fmt.VERSION,
            "municipality": fmt.MunicipalityItem.model_validate(tenant),
            **kinds,
        }
    )


def dumps(document: fmt.ExportDocument) -> str:
    """The document as text: UTF-8 JSON, keys sorted, two-space indent, final newline."""
    data = document.model_dump(mode="json")
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
