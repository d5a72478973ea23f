"""Which events reach the queue, and how: the pure core of the safety centre's intake.

:func:`route` decides for one stored event, given what is open, whether it stays in the
log only, joins an open activation (a count and a timeline line rather than another
row in the queue), restores one, confirms one (intrusion in a second zone), joins a
storm, or opens a new activation. It reads no database and no clock: the intake
(:mod:`stadsvakt.centre.intake`) loads the open activations it may join, calls this
for each event in order and writes what it says.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

#: Categories that never join a storm, whatever the settings say: a fire or an assault
#: during a power cut must be on top of every queue on its own.
NEVER_STORM = frozenset({"fire", "hold_up", "medical", "social", "intrusion"})
#: The rank a category missing from the priority table gets.
DEFAULT_RANK = 5
#: Categories that can be confirmed by a second zone (sequential confirmation).
CONFIRMABLE = frozenset({"intrusion"})


class Action(StrEnum):
    """What the intake does with an event."""

    LOG_ONLY = "log_only"  # stays in the log, nobody needs to act
    IN_TEST = "in_test"  # its site or transmitter is in test: log only
    OPEN = "open"  # a new activation
    JOIN = "join"  # counted on an open activation of its site and category
    RESTORE = "restore"  # a restore noted on its open activation
    STORM = "storm"  # joins (or opens) its storm's grouped activation


@dataclass(frozen=True, slots=True)
class Event:
    """One stored event, as routing sees it."""

    tenant_id: uuid.UUID
    site_id: uuid.UUID | None
    category: str
    qualifier: str  # "new", "restore" or "status"
    code: str
    zone: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Open:
    """An open activation that an event may join."""

    id: uuid.UUID
    group_key: str
    priority: int
    last_event_at: datetime
    opened_at: datetime
    zones: frozenset[int] = frozenset()
    confirmed: bool = False


@dataclass(frozen=True, slots=True)
class Rules:
    """The centre's settings that routing follows (from ``Settings.centre``)."""

    priority: Mapping[str, int]
    log_only: frozenset[str]
    join_window: timedelta
    confirm_window: timedelta
    storm_threshold: int
    storm_window: timedelta
    storm_categories: frozenset[str] = field(default_factory=frozenset)

    def rank(self, category: str) -> int:
        """The queue priority of a category (1 first)."""
        return self.priority.get(category, DEFAULT_RANK)

    def may_storm(self, category: str) -> bool:
        """Whether events of this category may be grouped into a storm."""
        return category in self.storm_categories and category not in NEVER_STORM


@dataclass(frozen=True, slots=True)
class Route:
    """What to do with one event. ``activation`` is the one joined, restored or stormed
    (``None`` for a new one); ``priority`` the activation's priority afterwards."""

    action: Action
    group_key: str = ""
    activation: uuid.UUID | None = None
    priority: int = DEFAULT_RANK
    confirms: bool = False
    zones: frozenset[int] = frozenset()


def group_key(event: Event) -> str:
    """Which activation an event joins: one per site (or transmitter-less tenant) and category."""
    where = event.site_id or f"tenant-{event.tenant_id}"
    return f"site|{where}|{event.category}"


def storm_key(event: Event) -> str:
    """Which storm an event joins: one per municipality, category and code."""
    return f"storm|{event.tenant_id}|{event.category}|{event.code}"


def route(
    event: Event,
    *,
    rules: Rules,
    joinable: Open | None,
    storm: Open | None,
    recent_openings: int,
    in_test: bool,
) -> Route:
    """Decide what one event does to the queue.

    ``joinable`` is the open activation with the event's :func:`group_key`, if any;
    ``storm`` the open storm activation with its :func:`storm_key`; ``recent_openings``
    how many activations of the event's category and code its municipality opened
    within the storm window (this event not counted).
    """
    if in_test:
        return Route(Action.IN_TEST)
    key = group_key(event)
    if event.qualifier == "restore":
        if joinable is None:
            return Route(Action.LOG_ONLY, key)
        return Route(Action.RESTORE, key, joinable.id, joinable.priority, zones=joinable.zones)
    if event.category in rules.log_only:
        return Route(Action.LOG_ONLY, key)
    if joinable is not None and event.at - joinable.last_event_at <= _window(event, rules):
        return _join(event, joinable, rules, key)
    if rules.may_storm(event.category):
        skey = storm_key(event)
        if storm is not None and event.at - storm.last_event_at <= rules.storm_window:
            return Route(Action.STORM, skey, storm.id, storm.priority)
        if recent_openings + 1 >= rules.storm_threshold:
            return Route(Action.STORM, skey, None, rules.rank(event.category))
    zones = frozenset() if event.zone is None else frozenset({event.zone})
    return Route(Action.OPEN, key, None, rules.rank(event.category), zones=zones)


def _window(event: Event, rules: Rules) -> timedelta:
    # A second zone confirms within the confirmation window even when that is longer
    # than the join window: it must join the first zone's activation to confirm it.
    if event.category in CONFIRMABLE:
        return max(rules.join_window, rules.confirm_window)
    return rules.join_window


def _join(event: Event, joinable: Open, rules: Rules, key: str) -> Route:
    zones = joinable.zones | ({event.zone} if event.zone is not None else set())
    confirms = (
        event.category in CONFIRMABLE
        and not joinable.confirmed
        and len(zones) >= 2
        and event.at - joinable.opened_at <= rules.confirm_window
    )
    priority = max(1, joinable.priority - 1) if confirms else joinable.priority
    return Route(Action.JOIN, key, joinable.id, priority, confirms=confirms, zones=zones)
