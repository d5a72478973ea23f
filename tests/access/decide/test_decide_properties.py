"""Property tests of ``decide()``: what must hold whatever the rights look like."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from stadsvakt.access.decide import (
    GRANT_REASONS,
    CredentialEntry,
    DecisionRequest,
    DoorEntry,
    PersonEntry,
    ProfileEntry,
    Reason,
    Right,
    ScheduleEntry,
    decide,
)
from stadsvakt.access.index.state import CompiledIndex
from stadsvakt.access.timerules import compile_schedule, parse_intervals

TENANT = uuid.uuid4()
ZONE, OTHER_ZONE = uuid.uuid4(), uuid.uuid4()
DOOR = uuid.uuid4()
PERSON = uuid.uuid4()
CARD = "04A1B2C3D4"
SCHEDULES = {
    "always": [{"day": d, "start": "00:00", "end": "24:00"} for d in range(7)],
    "office": [{"day": d, "start": "07:00", "end": "18:00"} for d in range(5)],
    "night": [{"day": d, "start": "22:00", "end": "06:00"} for d in range(7)],
}
SCHEDULE_IDS = {name: uuid.uuid4() for name in SCHEDULES}
SOURCES = [Reason.GRANTED_BY_POSITION, Reason.GRANTED_BY_GRANT, Reason.GRANTED_BY_GROUP_GRANT]
CRED_STATES = ["active", "suspended", "lost", "revoked"]
BASE = datetime(2026, 1, 1, tzinfo=UTC).timestamp()


@dataclass
class World:
    index: CompiledIndex
    now: datetime


windows = st.tuples(
    st.one_of(st.just(-math.inf), st.floats(BASE, BASE + 3e7)),
    st.one_of(st.just(math.inf), st.floats(BASE, BASE + 3e7)),
)


@st.composite
def rights(draw: st.DrawFn) -> tuple[Right, ProfileEntry]:
    profile_id = uuid.uuid4()
    zones = frozenset(draw(st.sets(st.sampled_from([ZONE, OTHER_ZONE]), min_size=1)))
    schedule = SCHEDULE_IDS[draw(st.sampled_from(sorted(SCHEDULES)))]
    course = draw(st.sampled_from([None, "brand"]))
    start, end = draw(windows)
    return Right(profile_id, start, end, draw(st.sampled_from(SOURCES))), ProfileEntry(
        profile_id, zones, schedule, course
    )


@st.composite
def worlds(draw: st.DrawFn, *, mode: str | None = None) -> World:
    index = CompiledIndex()
    for name, raw in SCHEDULES.items():
        week = compile_schedule(parse_intervals(raw), "normal")
        index.schedules[SCHEDULE_IDS[name]] = ScheduleEntry(SCHEDULE_IDS[name], week, frozenset())
    door_mode = mode or draw(st.sampled_from(["secure", "lockdown", "scheduled_unlock"]))
    unlock = SCHEDULE_IDS[draw(st.sampled_from(sorted(SCHEDULES)))]
    index.set_door(DOOR, DoorEntry(DOOR, TENANT, ZONE, door_mode, unlock, 5, 20))
    pairs = draw(st.lists(rights(), max_size=4))
    for _, profile in pairs:
        index.set_profile(profile.id, profile)
    training = draw(st.sampled_from([{}, {"brand": math.inf}, {"brand": BASE}]))
    index.people[PERSON] = PersonEntry(
        PERSON, draw(st.booleans()), draw(st.booleans()), tuple(r for r, _ in pairs), training
    )
    start, end = draw(windows)
    cred = CredentialEntry(
        uuid.uuid4(), TENANT, CARD, PERSON, draw(st.sampled_from(CRED_STATES)), start, end
    )
    index.set_credential(cred.id, cred)
    now = datetime.fromtimestamp(draw(st.floats(BASE, BASE + 3e7)), UTC)
    return World(index, now)


def _decide(world: World) -> tuple[bool, Reason]:
    d = decide(DecisionRequest(TENANT, DOOR, CARD), world.index, world.now)
    assert d.granted == (d.reason in GRANT_REASONS)
    return d.granted, d.reason


@settings(max_examples=400)
@given(worlds(mode="secure"))
def test_a_blocked_or_out_of_window_credential_never_opens(world: World) -> None:
    cred = world.index.credentials[(TENANT, CARD)]
    ts = world.now.timestamp()
    if cred.state != "active" or not cred.valid_from <= ts < cred.valid_to:
        assert _decide(world)[0] is False


@settings(max_examples=400)
@given(worlds())
def test_whatever_the_door_a_blocked_credential_is_never_granted_by_a_right(world: World) -> None:
    cred = world.index.credentials[(TENANT, CARD)]
    if cred.state != "active" or world.now.timestamp() >= cred.valid_to:
        granted, reason = _decide(world)
        # Only a door standing open by its own schedule lets anyone through.
        assert not granted or reason is Reason.DOOR_UNLOCKED_BY_SCHEDULE


@settings(max_examples=400)
@given(worlds(mode="secure"))
def test_an_inactive_person_never_opens(world: World) -> None:
    person = world.index.people[PERSON]
    person.active = False
    assert _decide(world)[0] is False


@settings(max_examples=300)
@given(worlds(mode="lockdown"))
def test_lockdown_never_opens(world: World) -> None:
    assert _decide(world) == (False, Reason.DOOR_LOCKDOWN)


@settings(max_examples=500)
@given(worlds(), rights())
def test_adding_a_right_never_turns_a_grant_into_a_deny(
    world: World, extra: tuple[Right, ProfileEntry]
) -> None:
    before = _decide(world)
    right, profile = extra
    world.index.set_profile(profile.id, profile)
    person = world.index.people[PERSON]
    person.rights = (*person.rights, right)
    if before[0]:
        assert _decide(world)[0]


@settings(max_examples=300)
@given(worlds(mode="secure"))
def test_a_grant_names_the_person_and_an_unlock_time(world: World) -> None:
    d = decide(DecisionRequest(TENANT, DOOR, CARD), world.index, world.now)
    if d.granted:
        assert d.person_id == PERSON
        assert d.unlock_seconds in (5, 20)
        assert d.reason in SOURCES


def test_unknown_door_of_another_municipality() -> None:
    index = CompiledIndex()
    index.set_door(DOOR, DoorEntry(DOOR, uuid.uuid4(), ZONE, "secure", None, 5, 20))
    d = decide(DecisionRequest(TENANT, DOOR, CARD), index, datetime.now(UTC))
    assert (d.granted, d.reason) == (False, Reason.UNKNOWN_DOOR)


def test_training_missing_and_expired_training() -> None:
    index = CompiledIndex()
    always = SCHEDULE_IDS["always"]
    index.schedules[always] = ScheduleEntry(
        always, compile_schedule(parse_intervals(SCHEDULES["always"]), "normal"), frozenset()
    )
    index.set_door(DOOR, DoorEntry(DOOR, TENANT, ZONE, "secure", None, 5, 20))
    profile = ProfileEntry(uuid.uuid4(), frozenset({ZONE}), always, "brand")
    index.set_profile(profile.id, profile)
    now = datetime(2026, 5, 5, 12, tzinfo=UTC)
    person = PersonEntry(
        PERSON, True, False, (Right(profile.id, -math.inf, math.inf, SOURCES[0]),), {}
    )
    index.people[PERSON] = person
    index.set_credential(
        uuid.UUID(int=1),
        CredentialEntry(uuid.UUID(int=1), TENANT, CARD, PERSON, "active", -math.inf, math.inf),
    )
    request = DecisionRequest(TENANT, DOOR, CARD)
    assert decide(request, index, now).reason is Reason.TRAINING_MISSING
    person.training = {"brand": (now - timedelta(days=1)).timestamp()}
    assert decide(request, index, now).reason is Reason.TRAINING_MISSING
    person.training = {"brand": (now + timedelta(days=1)).timestamp()}
    assert decide(request, index, now).reason is Reason.GRANTED_BY_POSITION
