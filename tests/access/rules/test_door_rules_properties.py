"""Property tests of the door rules in ``decide()``: card and PIN, lock-outs, emergency
open against lockdown, a site's own holiday calendar, eves with reduced hours."""

from __future__ import annotations

import math
import uuid
from collections.abc import Container, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from stadsvakt.access.decide import (
    GRANT_REASONS,
    CredentialEntry,
    Decision,
    DecisionRequest,
    DoorEntry,
    PersonEntry,
    PinEntry,
    ProfileEntry,
    Reason,
    Right,
    ScheduleEntry,
    decide,
)
from stadsvakt.access.holidays import (
    CalendarDays,
    RecurringDays,
    calendar_days,
    eve_dates,
    recurring_days,
)
from stadsvakt.access.index.state import CompiledIndex, SiteFacts
from stadsvakt.access.pin_attempts import LIMIT, WINDOW_SECONDS, PinAttempts
from stadsvakt.access.pins import door_pin_digest
from stadsvakt.access.timerules import NO_DAYS, STOCKHOLM, compile_schedule, parse_intervals

TENANT = uuid.uuid4()
ZONE = uuid.uuid4()
DOOR = uuid.uuid4()
SITE = uuid.uuid4()
PERSON = uuid.uuid4()
PROFILE = uuid.uuid4()
SCHEDULE = uuid.uuid4()
CALENDAR = uuid.uuid4()
CARD = "04A1B2C3D4"
PIN_SALT = uuid.uuid4().bytes
ALWAYS: list[dict[str, object]] = [{"day": d, "start": "00:00", "end": "24:00"} for d in range(7)]
OFFICE: list[dict[str, object]] = [{"day": d, "start": "07:00", "end": "18:00"} for d in range(5)]
EVE_HOURS: list[dict[str, object]] = [{"day": "eve", "start": "07:00", "end": "14:00"}]
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, 11:00 in Stockholm

pins = st.text(alphabet="0123456789", min_size=4, max_size=8)
typed = st.one_of(st.none(), st.just(""), st.text(alphabet="0123456789", max_size=9))
moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


def _index(
    *,
    intervals: Sequence[Mapping[str, object]] = ALWAYS,
    schedule_days: CalendarDays | None = None,
    mode: str = "secure",
    pin: str | None = None,
    pin_state: str = "active",
    **door: object,
) -> CompiledIndex:
    index = CompiledIndex()
    week = compile_schedule(parse_intervals(intervals), "closed")
    holidays: Container[date] = schedule_days if schedule_days is not None else NO_DAYS
    eves: Container[date] = schedule_days.eves if schedule_days is not None else NO_DAYS
    index.schedules[SCHEDULE] = ScheduleEntry(SCHEDULE, week, holidays, eves)
    index.set_profile(PROFILE, ProfileEntry(PROFILE, frozenset({ZONE}), SCHEDULE, None))
    entry = DoorEntry(DOOR, TENANT, ZONE, mode, None, 5, 20, site_id=SITE, **door)  # type: ignore[arg-type]
    index.set_door(DOOR, entry)
    # As given, as an edge snapshot builds it (the index would apply its own site facts).
    index.doors[DOOR] = entry
    entries: tuple[PinEntry, ...] = ()
    if pin is not None:
        entries = (
            PinEntry(PIN_SALT, door_pin_digest(PIN_SALT, pin), pin_state, -math.inf, math.inf),
        )
    right = Right(PROFILE, -math.inf, math.inf, Reason.GRANTED_BY_GRANT)
    index.people[PERSON] = PersonEntry(PERSON, True, False, (right,), {}, entries)
    cred = CredentialEntry(uuid.uuid4(), TENANT, CARD, PERSON, "active", -math.inf, math.inf)
    index.set_credential(cred.id, cred)
    return index


def _decide(
    index: CompiledIndex,
    now: datetime = NOW,
    pin: str | None = None,
    attempts: PinAttempts | None = None,
) -> Decision:
    d = decide(DecisionRequest(TENANT, DOOR, CARD, pin=pin), index, now, attempts)
    assert d.granted == (d.reason in GRANT_REASONS)
    return d


# -- card and PIN -------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(pins, typed)
def test_a_pin_door_opens_exactly_for_the_holders_pin(pin: str, attempt: str | None) -> None:
    d = _decide(_index(requires_pin=True, pin=pin), pin=attempt)
    if attempt == pin:
        assert (d.granted, d.reason) == (True, Reason.GRANTED_BY_GRANT)
    elif not attempt:
        assert (d.granted, d.reason) == (False, Reason.PIN_REQUIRED)
    else:
        assert (d.granted, d.reason) == (False, Reason.PIN_WRONG)


@settings(max_examples=100, deadline=None)
@given(pins, typed)
def test_a_door_without_the_flag_ignores_whatever_is_typed(pin: str, attempt: str | None) -> None:
    assert _decide(_index(pin=pin), pin=attempt) == _decide(_index(pin=pin))


@settings(max_examples=50, deadline=None)
@given(pins, st.sampled_from(["suspended", "lost", "revoked"]))
def test_a_blocked_pin_credential_is_a_wrong_pin(pin: str, state: str) -> None:
    d = _decide(_index(requires_pin=True, pin=pin, pin_state=state), pin=pin)
    assert (d.granted, d.reason) == (False, Reason.PIN_WRONG)


@settings(max_examples=50, deadline=None)
@given(pins)
def test_the_pin_never_replaces_a_right(pin: str) -> None:
    index = _index(requires_pin=True, pin=pin, intervals=OFFICE)
    sunday = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert _decide(index, sunday, pin).reason is Reason.OUTSIDE_SCHEDULE


@settings(max_examples=60, deadline=None)
@given(pins, st.lists(st.tuples(st.booleans(), st.floats(0, 400)), max_size=14))
def test_lock_out_after_too_many_wrong_pins_within_the_window(
    pin: str, tries: list[tuple[bool, float]]
) -> None:
    """Against a model: locked out while LIMIT wrong PINs lie within the window, and a
    right PIN (not locked out) forgets the count."""
    index = _index(requires_pin=True, pin=pin)
    attempts = PinAttempts()
    wrong = str((int(pin) + 1) % 10 ** len(pin)).zfill(len(pin))
    failures: list[float] = []
    now = NOW
    for right, gap in tries:
        now += timedelta(seconds=gap)
        ts = now.timestamp()
        locked = len(failures) >= LIMIT and ts - failures[-LIMIT] < WINDOW_SECONDS
        d = _decide(index, now, pin if right else wrong, attempts)
        attempts.record(TENANT, d, ts)
        if locked:
            assert d.reason is Reason.PIN_LOCKED_OUT
        elif right:
            assert d.granted
            failures.clear()
        else:
            assert d.reason is Reason.PIN_WRONG
            failures.append(ts)


def test_a_lock_out_is_per_holder_and_ends_with_the_window() -> None:
    index = _index(requires_pin=True, pin="1234")
    attempts = PinAttempts()
    for _ in range(LIMIT):
        attempts.record(TENANT, _decide(index, pin="9999", attempts=attempts), NOW.timestamp())
    assert _decide(index, pin="1234", attempts=attempts).reason is Reason.PIN_LOCKED_OUT
    assert not attempts.locked_out(TENANT, uuid.uuid4(), NOW.timestamp())
    later = NOW + timedelta(seconds=WINDOW_SECONDS)
    assert _decide(index, later, "1234", attempts).granted


# -- emergency open against lockdown ------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["secure", "lockdown", "scheduled_unlock"]),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.sampled_from([CARD, "FFFF"]),
)
def test_emergency_open_opens_escape_routes_but_never_a_door_in_lockdown(
    mode: str, escape: bool, emergency: bool, pin_door: bool, card: str
) -> None:
    index = _index(
        mode=mode, escape_route=escape, emergency_open=emergency, requires_pin=pin_door, pin="1234"
    )
    d = decide(DecisionRequest(TENANT, DOOR, card), index, NOW)
    if mode == "lockdown":
        assert (d.granted, d.reason) == (False, Reason.DOOR_LOCKDOWN)
    elif escape and emergency:
        # Anyone, with or without a known card or PIN.
        assert (d.granted, d.reason) == (True, Reason.DOOR_EMERGENCY_OPEN)
    else:
        calm = _index(mode=mode, requires_pin=pin_door, pin="1234")
        assert d == decide(DecisionRequest(TENANT, DOOR, card), calm, NOW)


def test_a_sites_emergency_reaches_its_escape_doors_through_the_index() -> None:
    index = _index(escape_route=True)
    index.people.clear()  # nobody has a right: only the emergency can open it
    assert _decide(index).reason is Reason.PERSON_INACTIVE
    index.set_site(SITE, SiteFacts(None, True))
    assert _decide(index).reason is Reason.DOOR_EMERGENCY_OPEN
    index.set_site(SITE, SiteFacts(None, False))
    assert _decide(index).reason is Reason.PERSON_INACTIVE
    index.set_site(SITE, SiteFacts(None, True))
    index.set_site(SITE, None)
    assert _decide(index).reason is Reason.PERSON_INACTIVE


# -- site calendars -----------------------------------------------------------------------

local_dates = st.sets(st.dates(date(2025, 1, 1), date(2030, 12, 31)), max_size=30)


@settings(max_examples=150, deadline=None)
@given(local_dates, local_dates, st.booleans(), moments)
def test_a_door_follows_its_sites_calendar_instead_of_the_schedules(
    site_days: set[date], schedule_days: set[date], public: bool, now: datetime
) -> None:
    site = CalendarDays(public, frozenset(site_days))
    own = CalendarDays(not public, frozenset(schedule_days))
    at_site = _index(intervals=OFFICE, schedule_days=own, holidays=site, eves=site.eves)
    as_if_own = _index(intervals=OFFICE, schedule_days=site)
    assert _decide(at_site, now) == _decide(as_if_own, now)
    # Without a site calendar, the schedule's own holds.
    assert _decide(_index(intervals=OFFICE, schedule_days=own), now) == _decide(
        _index(intervals=OFFICE, schedule_days=own, holidays=None), now
    )


def test_a_profile_over_two_sites_follows_each_doors_site() -> None:
    """The same profile and schedule: closed on the study day at the school's door, open at
    the town hall's (whose site has no calendar of its own)."""
    study_day = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # a Tuesday
    index = _index(intervals=OFFICE)
    index.calendars[CALENDAR] = calendar_days(False, [{"date": "2026-03-03", "name": "Studiedag"}])
    other_site, other_door = uuid.uuid4(), uuid.uuid4()
    index.set_door(
        other_door, DoorEntry(other_door, TENANT, ZONE, "secure", None, 5, 20, site_id=other_site)
    )
    index.set_site(SITE, SiteFacts(CALENDAR, False))
    assert _decide(index, study_day).reason is Reason.HOLIDAY
    other = decide(DecisionRequest(TENANT, other_door, CARD), index, study_day)
    assert other.granted
    # The calendar changes: the door follows.
    index.set_calendar(CALENDAR, calendar_days(False, []))
    assert _decide(index, study_day).granted


# -- recurring local days -----------------------------------------------------------------

month_days = st.dates(date(2024, 1, 1), date(2024, 12, 31)).map(lambda d: (d.month, d.day))


@settings(max_examples=200, deadline=None)
@given(month_days, month_days, st.sets(st.integers(1, 53), max_size=3), st.dates())
def test_recurring_days_are_yearly_ranges_and_iso_weeks(
    start: tuple[int, int], end: tuple[int, int], weeks: set[int], day: date
) -> None:
    items = [{"start": f"{start[0]:02d}-{start[1]:02d}", "end": f"{end[0]:02d}-{end[1]:02d}"}]
    items += [{"week": str(w)} for w in weeks]
    days = recurring_days(items)
    md = (day.month, day.day)
    in_range = start <= md <= end if start <= end else md >= start or md <= end
    assert (day in days) == (in_range or day.isocalendar().week in weeks)
    assert (day in calendar_days(False, [], items)) == (day in days)


def test_christmas_break_runs_over_the_new_year() -> None:
    days = recurring_days([{"start": "12-23", "end": "01-06", "name": "Jullov"}])
    assert isinstance(days, RecurringDays)
    assert date(2026, 12, 23) in days and date(2027, 1, 6) in days
    assert date(2027, 1, 7) not in days and date(2026, 12, 22) not in days


# -- eves with reduced hours --------------------------------------------------------------


def test_the_eves_are_the_swedish_half_days() -> None:
    assert eve_dates(2026) == {
        date(2026, 1, 5),  # trettondagsafton
        date(2026, 4, 2),  # skärtorsdagen
        date(2026, 4, 30),  # valborgsmässoafton
        date(2026, 10, 30),  # allhelgonaafton
    }


@settings(max_examples=300, deadline=None)
@given(moments, st.booleans())
def test_a_schedule_uses_its_eve_hours_on_eves_and_its_week_otherwise(
    now: datetime, with_eve: bool
) -> None:
    calendar = calendar_days(True, [])
    intervals = OFFICE + (EVE_HOURS if with_eve else [])
    d = _decide(_index(intervals=intervals, schedule_days=calendar), now)
    local = now.astimezone(STOCKHOLM)
    minute = local.hour * 60 + local.minute
    today = local.date()
    if today in calendar:
        expected = False  # holiday mode closed
    elif with_eve and today in eve_dates(today.year):
        expected = 7 * 60 <= minute < 14 * 60
    else:
        expected = today.weekday() < 5 and 7 * 60 <= minute < 18 * 60
    assert d.granted == expected


def test_eve_hours_at_a_site_come_from_the_sites_calendar() -> None:
    maundy_thursday_afternoon = datetime(2026, 4, 2, 13, 0, tzinfo=UTC)  # 15:00 local
    intervals = OFFICE + EVE_HOURS
    without = _index(intervals=intervals, schedule_days=calendar_days(False, []))
    assert _decide(without, maundy_thursday_afternoon).granted
    site = calendar_days(True, [])
    at_site = _index(intervals=intervals, holidays=site, eves=site.eves)
    assert _decide(at_site, maundy_thursday_afternoon).reason is Reason.OUTSIDE_SCHEDULE
