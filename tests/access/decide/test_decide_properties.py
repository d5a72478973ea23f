"""Property tests of ``decide()``: what must hold whatever the rights look like."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
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
from stadsvakt.errors import InvalidInput

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
    cred = world.index.credentials[(TENANT, "card", CARD)]
    ts = world.now.timestamp()
    if cred.state != "active" or not cred.valid_from <= ts < cred.valid_to:
        assert _decide(world)[0] is False


@settings(max_examples=400)
@given(worlds())
def test_whatever_the_door_a_blocked_credential_is_never_granted_by_a_right(world: World) -> None:
    cred = world.index.credentials[(TENANT, "card", CARD)]
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


@settings(max_examples=200)
@given(worlds(), st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)))
def test_a_naive_moment_is_refused_whatever_the_world(world: World, naive: datetime) -> None:
    # A naive time has no instant: its timestamp would follow the machine's zone.
    with pytest.raises(InvalidInput) as refused:
        decide(DecisionRequest(TENANT, DOOR, CARD), world.index, naive)
    assert refused.value.extra["errors"][0]["rule"] == "timezone"


@settings(max_examples=300)
@given(worlds(), st.sampled_from(["Europe/Stockholm", "America/New_York", "Asia/Tokyo"]))
def test_the_same_instant_in_any_zone_is_the_same_decision(world: World, zone: str) -> None:
    elsewhere = World(world.index, world.now.astimezone(ZoneInfo(zone)))
    assert _decide(elsewhere) == _decide(world)


#: Another person holding a mobile key whose text, read as a card, is the first person's card.
OTHER_PERSON = uuid.uuid4()


@settings(max_examples=300)
@given(
    worlds(mode="secure"),
    st.sampled_from(["", ":", "-", " ", "."]),
    st.booleans(),
)
def test_a_card_and_a_mobile_key_with_the_same_text_are_two_credentials(
    world: World, separator: str, lower: bool
) -> None:
    """Whatever the rights, a card reader never finds the mobile key and a mobile reader
    never finds the card, and each decision names only its own holder."""
    text = separator.join(CARD[i : i + 2] for i in range(0, len(CARD), 2))
    text = text.lower() if lower else text
    index = world.index
    mobile = CredentialEntry(
        uuid.uuid4(), TENANT, text, OTHER_PERSON, "active", -math.inf, math.inf, "mobile"
    )
    index.set_credential(mobile.id, mobile)
    index.people[OTHER_PERSON] = PersonEntry(OTHER_PERSON, True, False, (), {})
    as_card = decide(DecisionRequest(TENANT, DOOR, text, "card"), index, world.now)
    assert as_card.person_id in (PERSON, None)
    as_mobile = decide(DecisionRequest(TENANT, DOOR, text, "mobile"), index, world.now)
    assert as_mobile.person_id == OTHER_PERSON
    assert as_mobile.reason is Reason.NO_RIGHT
    # Removing the mobile key leaves the card where it was.
    before = _decide(world)
    index.set_credential(mobile.id, None)
    assert _decide(world) == before
    assert index.credentials[(TENANT, "card", CARD)].person_id == PERSON


def test_a_card_read_with_separators_or_in_lower_case_is_the_stored_card() -> None:
    index = CompiledIndex()
    card = CredentialEntry(uuid.uuid4(), TENANT, CARD, PERSON, "active", -math.inf, math.inf)
    index.set_credential(card.id, card)
    for presented in ("04:a1:b2:c3:d4", " 04-A1-B2-C3-D4 ", "04 a1 b2 c3 d4", "04a1b2c3d4"):
        assert index.credential(TENANT, "card", presented) is card
        assert index.credential(TENANT, "mobile", presented) is None


def test_mobile_keys_that_differ_only_in_case_are_two_keys() -> None:
    index = CompiledIndex()
    upper = CredentialEntry(uuid.uuid4(), TENANT, "KEY-AB", PERSON, "active", 0, 1, "mobile")
    lower = CredentialEntry(uuid.uuid4(), TENANT, "key-ab", OTHER_PERSON, "active", 0, 1, "mobile")
    index.set_credential(upper.id, upper)
    index.set_credential(lower.id, lower)
    assert index.credential(TENANT, "mobile", "KEY-AB") is upper
    assert index.credential(TENANT, "mobile", " key-ab ") is lower
    index.set_credential(upper.id, None)
    assert index.credential(TENANT, "mobile", "key-ab") is lower
    assert index.credential(TENANT, "mobile", "KEY-AB") is None
