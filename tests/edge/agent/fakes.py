"""Test doubles for the edge agent: a dict-backed decision state built from the real
entry classes, a clock the test moves, and an edge.toml for one door."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stadsvakt.access.decide import (
    CredentialEntry,
    DoorEntry,
    PersonEntry,
    ProfileEntry,
    Reason,
    Right,
    ScheduleEntry,
)
from stadsvakt.access.identifiers import presented
from stadsvakt.access.timerules import HolidayRule, Interval, WeekSchedule
from stadsvakt.edge.agent.config import EdgeConfig, parse_config

GRANTED_CARD = "04A1B2C3"
UNKNOWN_CARD = "04FFFFFF"


@dataclass
class DictState:
    """A :class:`~stadsvakt.access.decide.DecisionState` held in dicts."""

    doors: dict[uuid.UUID, DoorEntry] = field(default_factory=dict)
    credentials: dict[tuple[uuid.UUID, str, str], CredentialEntry] = field(default_factory=dict)
    people: dict[uuid.UUID, PersonEntry] = field(default_factory=dict)
    profiles: dict[uuid.UUID, ProfileEntry] = field(default_factory=dict)
    schedules: dict[uuid.UUID, ScheduleEntry] = field(default_factory=dict)

    def door(self, door_id: uuid.UUID) -> DoorEntry | None:
        return self.doors.get(door_id)

    def credential(self, tenant_id: uuid.UUID, kind: str, text: str) -> CredentialEntry | None:
        normal = presented(kind, text)
        return None if normal is None else self.credentials.get((tenant_id, kind, normal))

    def person(self, person_id: uuid.UUID) -> PersonEntry | None:
        return self.people.get(person_id)

    def profile(self, profile_id: uuid.UUID) -> ProfileEntry | None:
        return self.profiles.get(profile_id)

    def schedule(self, schedule_id: uuid.UUID) -> ScheduleEntry | None:
        return self.schedules.get(schedule_id)


def one_door_state(tenant_id: uuid.UUID, door_id: uuid.UUID) -> DictState:
    """A door whose zone one person may open at any hour with :data:`GRANTED_CARD`."""
    zone_id, profile_id, schedule_id, person_id = (uuid.uuid4() for _ in range(4))
    always = WeekSchedule(tuple(Interval(d, 0, 1440) for d in range(7)), HolidayRule.NORMAL)
    state = DictState()
    state.doors[door_id] = DoorEntry(door_id, tenant_id, zone_id, "secure", None, 5, 20)
    state.schedules[schedule_id] = ScheduleEntry(schedule_id, always, frozenset())
    state.profiles[profile_id] = ProfileEntry(profile_id, frozenset({zone_id}), schedule_id, None)
    right = Right(profile_id, -math.inf, math.inf, Reason.GRANTED_BY_GRANT)
    state.people[person_id] = PersonEntry(person_id, True, False, (right,), {})
    state.credentials[(tenant_id, "card", GRANTED_CARD)] = CredentialEntry(
        uuid.uuid4(), tenant_id, GRANTED_CARD, person_id, "active", -math.inf, math.inf
    )
    return state


class Clock:
    """A clock that moves only when the test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


SCBK = "000102030405060708090a0b0c0d0e0f"


def edge_toml(
    tmp_path: Path,
    *,
    device_id: uuid.UUID,
    tenant_id: uuid.UUID,
    door_id: uuid.UUID,
    centre_url: str = "https://centre.test",
) -> str:
    """An edge.toml with one loopback reader and one door."""
    return f"""
device_id = "{device_id}"
tenant_id = "{tenant_id}"
centre_url = "{centre_url}"
key_file = "{tmp_path / "device.key"}"
buffer_path = "{tmp_path / "events.sqlite"}"
clock_drift_limit_seconds = 5

[[readers]]
name = "entrance"
device = "loopback"
address = 101
scbk = "{SCBK}"

[[doors]]
door_id = "{door_id}"
reader = "entrance"
lock_output = 17
contact_input = 27
exit_input = 22
unlock_seconds = 4
held_open_seconds = 30
"""


def one_door_config(
    tmp_path: Path,
    *,
    device_id: uuid.UUID,
    tenant_id: uuid.UUID,
    door_id: uuid.UUID,
    centre_url: str = "https://centre.test",
) -> EdgeConfig:
    """The parsed :func:`edge_toml`."""
    toml = edge_toml(
        tmp_path, device_id=device_id, tenant_id=tenant_id, door_id=door_id, centre_url=centre_url
    )
    return parse_config(toml)
