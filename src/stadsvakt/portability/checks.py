"""Checks an import makes before writing anything: the schema, the references between
objects, the schedules' rules and an empty target. Every problem names its path in the
document (``doors[2].zone_id``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from stadsvakt.access.timerules import ScheduleError, parse_intervals
from stadsvakt.errors import InvalidInput
from stadsvakt.org.models import Municipality
from stadsvakt.portability.format import ExportDocument


class ImportRefused(InvalidInput):
    """The document cannot be imported; ``problems`` lists each one with its path."""

    def __init__(self, problems: Sequence[str]) -> None:
        shown = "; ".join(problems[:5]) + ("; …" if len(problems) > 5 else "")
        super().__init__(f"import refused: {shown}", field="document", rule="import")
        self.problems = list(problems)


#: (kind, field) → the kind it refers to; None-able fields are skipped when null.
REFERENCES: dict[tuple[str, str], str] = {
    ("units", "parent_id"): "units",
    ("sites", "org_unit_id"): "units",
    ("people", "org_unit_id"): "units",
    ("assignments", "person_id"): "people",
    ("assignments", "org_unit_id"): "units",
    ("groups", "org_unit_id"): "units",
    ("groups", "member_ids"): "people",
    ("training", "person_id"): "people",
    ("schedules", "org_unit_id"): "units",
    ("schedules", "holiday_calendar_id"): "holiday_calendars",
    ("zones", "site_id"): "sites",
    ("doors", "site_id"): "sites",
    ("doors", "zone_id"): "zones",
    ("doors", "unlock_schedule_id"): "schedules",
    ("profiles", "org_unit_id"): "units",
    ("profiles", "schedule_id"): "schedules",
    ("profiles", "zone_ids"): "zones",
    ("position_profiles", "org_unit_id"): "units",
    ("position_profiles", "profile_id"): "profiles",
    ("grants", "org_unit_id"): "units",
    ("grants", "profile_id"): "profiles",
    ("grants", "person_id"): "people",
    ("grants", "group_id"): "groups",
    ("grants", "host_person_id"): "people",
    ("credentials", "person_id"): "people",
    ("site_services", "site_id"): "sites",
    ("site_services", "level_id"): "service_levels",
}


def _path(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def parse(text: str | bytes) -> ExportDocument:
    """The document, or :class:`ImportRefused` naming each path that breaks the schema."""
    try:
        raw = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportRefused([f"(document): not JSON ({exc})"]) from exc
    try:
        return ExportDocument.model_validate(raw)
    except ValidationError as exc:
        raise ImportRefused([f"{_path(e['loc'])}: {e['msg']}" for e in exc.errors()]) from exc


def _items(document: ExportDocument, kind: str) -> list[Any]:
    return list(getattr(document, kind))


def check_document(document: ExportDocument) -> None:
    """Refuse duplicate ids, references to unknown ids, impossible schedules and grants
    naming neither or both of a person and a group."""
    problems: list[str] = []
    ids: dict[str, set[uuid.UUID]] = {}
    for kind in ExportDocument.model_fields:
        if kind in ("format", "version", "municipality", "site_services"):
            continue
        seen: set[uuid.UUID] = set()
        for n, item in enumerate(_items(document, kind)):
            item_id = item.id
            if item_id in seen:
                problems.append(f"{kind}[{n}].id: {item_id} appears twice")
            seen.add(item_id)
        ids[kind] = seen
    for (kind, field), target in REFERENCES.items():
        for n, item in enumerate(_items(document, kind)):
            value = getattr(item, field)
            for ref in value if isinstance(value, list) else [value]:
                if ref is not None and ref not in ids[target]:
                    problems.append(f"{kind}[{n}].{field}: unknown {target} id {ref}")
    for n, schedule in enumerate(document.schedules):
        try:
            parse_intervals(schedule.intervals)
        except ScheduleError as exc:
            problems.append(f"schedules[{n}].{exc.field}: {exc.message}")
    for n, grant in enumerate(document.grants):
        if (grant.person_id is None) == (grant.group_id is None):
            problems.append(f"grants[{n}]: name exactly one of person_id and group_id")
    if problems:
        raise ImportRefused(problems)


def check_target(session: Session, document: ExportDocument) -> None:
    """Refuse unless the municipality is new: imports go into an empty database or beside
    other municipalities, never into an existing one."""
    m = document.municipality
    clash = session.execute(
        select(Municipality.name, Municipality.code).where(
            or_(Municipality.id == m.id, Municipality.name == m.name, Municipality.code == m.code)
        )
    ).first()
    if clash is not None:
        raise ImportRefused(
            [
                f"municipality: {clash[0]} ({clash[1]}) is already here; import only into an "
                "empty database or as a new municipality"
            ]
        )
