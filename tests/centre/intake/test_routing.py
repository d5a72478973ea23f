"""The pure routing core: which events reach the queue, and how they join."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from stadsvakt.centre.intake import rules_from
from stadsvakt.centre.routing import (
    NEVER_STORM,
    Action,
    Event,
    Open,
    Route,
    group_key,
    route,
    storm_key,
)
from stadsvakt.settings import CentreSettings

RULES = rules_from(CentreSettings())
T0 = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)
TENANT = uuid.UUID(int=1)
SITE = uuid.UUID(int=2)
CATEGORIES = sorted(CentreSettings().priority)


def event(
    category: str = "intrusion",
    *,
    zone: int | None = 1,
    qualifier: str = "new",
    at: datetime = T0,
    code: str = "BA",
    site: uuid.UUID | None = SITE,
) -> Event:
    return Event(TENANT, site, category, qualifier, code, zone, at)


def open_for(
    e: Event,
    *,
    at: datetime = T0,
    zones: frozenset[int] = frozenset({1}),
    priority: int = 4,
    confirmed: bool = False,
) -> Open:
    return Open(uuid.UUID(int=9), group_key(e), priority, at, at, zones, confirmed)


def decide(
    e: Event,
    joinable: Open | None = None,
    storm: Open | None = None,
    openings: int = 0,
    in_test: bool = False,
) -> Route:
    return route(
        e, rules=RULES, joinable=joinable, storm=storm, recent_openings=openings, in_test=in_test
    )


def test_test_reports_and_opening_reports_stay_in_the_log() -> None:
    for category in ("test", "open_close", "other"):
        assert decide(event(category, code="RP")).action is Action.LOG_ONLY


def test_a_restore_updates_its_open_activation_and_never_opens_one() -> None:
    restore = event(qualifier="restore", code="BR")
    assert decide(restore).action is Action.LOG_ONLY
    joined = decide(restore, joinable=open_for(restore))
    assert joined.action is Action.RESTORE and joined.activation == uuid.UUID(int=9)


def test_a_second_event_within_the_window_joins_and_a_later_one_opens_anew() -> None:
    first = event(zone=1)
    within = event(zone=1, at=T0 + timedelta(seconds=RULES.join_window.total_seconds()))
    assert decide(within, joinable=open_for(first)).action is Action.JOIN
    fire = event("fire", zone=1, code="FA")
    late = event("fire", zone=1, code="FA", at=T0 + RULES.join_window + timedelta(seconds=1))
    assert decide(late, joinable=open_for(fire, priority=1)).action is Action.OPEN


def test_intrusion_in_a_second_zone_confirms_and_raises_the_priority() -> None:
    second = event(zone=2, at=T0 + timedelta(minutes=20))  # past the join window, within confirm
    decided = decide(second, joinable=open_for(event(zone=1), priority=4))
    assert decided.action is Action.JOIN and decided.confirms
    assert decided.priority == 3 and decided.zones == frozenset({1, 2})


def test_the_same_zone_again_never_confirms() -> None:
    decided = decide(event(zone=1), joinable=open_for(event(zone=1)))
    assert decided.action is Action.JOIN and not decided.confirms and decided.priority == 4


def test_a_second_zone_after_the_confirmation_window_is_a_new_activation() -> None:
    late = event(zone=2, at=T0 + RULES.confirm_window + timedelta(seconds=1))
    assert decide(late, joinable=open_for(event(zone=1))).action is Action.OPEN


def test_a_storm_groups_ac_loss_once_the_threshold_is_reached() -> None:
    ac = event("fault", code="AT", zone=None)
    assert decide(ac, openings=RULES.storm_threshold - 2).action is Action.OPEN
    stormed = decide(ac, openings=RULES.storm_threshold - 1)
    assert stormed.action is Action.STORM and stormed.activation is None
    assert stormed.group_key == storm_key(ac)
    storm = Open(uuid.UUID(int=7), storm_key(ac), 7, T0, T0)
    assert decide(ac, storm=storm, openings=0).activation == uuid.UUID(int=7)


def test_events_of_a_site_in_test_stay_in_the_log() -> None:
    assert decide(event("fire", code="FA"), in_test=True).action is Action.IN_TEST


@settings(max_examples=300)
@given(
    category=st.sampled_from(CATEGORIES),
    openings=st.integers(0, 10_000),
    zone=st.none() | st.integers(0, 999),
    storming=st.booleans(),
)
def test_fire_assault_and_personal_alarms_never_join_a_storm(
    category: str, openings: int, zone: int | None, storming: bool
) -> None:
    e = event(category, zone=zone, code="XX")
    storm = Open(uuid.UUID(int=7), storm_key(e), 7, T0, T0) if storming else None
    decided = decide(e, storm=storm, openings=openings)
    if category in NEVER_STORM:
        assert decided.action is Action.OPEN
        assert decided.priority == RULES.rank(category)
    if decided.action is Action.OPEN:
        assert decided.priority == RULES.rank(category)


@settings(max_examples=300)
@given(
    zones=st.lists(st.integers(0, 20), min_size=1, max_size=6),
    gap=st.integers(0, 4000),
    priority=st.integers(1, 9),
)
def test_joining_never_lowers_urgency_and_confirms_only_with_two_zones(
    zones: list[int], gap: int, priority: int
) -> None:
    first = event(zone=zones[0])
    joinable = open_for(first, zones=frozenset(zones[:-1]), priority=priority)
    decided = decide(event(zone=zones[-1], at=T0 + timedelta(seconds=gap)), joinable=joinable)
    if decided.action is Action.JOIN:
        assert decided.priority <= priority
        assert decided.confirms == (len(set(zones)) >= 2 and priority >= 1)
        assert decided.priority >= 1
