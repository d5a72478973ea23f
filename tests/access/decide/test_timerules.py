"""Schedules: validation messages, interval edges, midnight, holidays and the DST days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.access.timerules import STOCKHOLM, ScheduleError, is_open, parse_intervals
from stadsvakt.errors import InvalidInput


def local(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM, fold=fold)  # type: ignore[misc,arg-type]


@pytest.mark.parametrize(
    ("raw", "field", "rule"),
    [
        ([{"day": 0, "start": "7:00", "end": "18:00"}], "intervals[0].start", "format"),
        ([{"day": 0, "start": "07:00", "end": "24:01"}], "intervals[0].end", "format"),
        ([{"day": 0, "start": "24:00", "end": "02:00"}], "intervals[0].start", "format"),
        ([{"day": 7, "start": "07:00", "end": "18:00"}], "intervals[0].day", "day"),
        ([{"day": "måndag", "start": "07:00", "end": "18:00"}], "intervals[0].day", "day"),
        ([{"day": True, "start": "07:00", "end": "18:00"}], "intervals[0].day", "day"),
        ([{"day": 0, "start": "07:00", "end": "07:00"}], "intervals[0].end", "zero_length"),
        ([{"day": 0, "start": "07:00"}], "intervals[0].end", "required"),
        ([{"day": 0, "start": "07:00", "end": "08:00", "x": 1}], "intervals[0].x", "unknown_key"),
        (
            [
                {"day": 1, "start": "07:00", "end": "12:00"},
                {"day": 1, "start": "11:00", "end": "13:00"},
            ],
            "intervals[1]",
            "overlap",
        ),
        (
            # Monday 22-06 spills into Tuesday morning, over Tuesday's 05:00 start.
            [
                {"day": 0, "start": "22:00", "end": "06:00"},
                {"day": 1, "start": "05:00", "end": "09:00"},
            ],
            "intervals[1]",
            "overlap",
        ),
        (
            [
                {"day": 6, "start": "23:00", "end": "01:00"},
                {"day": 0, "start": "00:30", "end": "02:00"},
            ],
            "intervals[1]",
            "overlap",
        ),
        (
            [
                {"day": "holiday", "start": "20:00", "end": "08:00"},
                {"day": "holiday", "start": "07:00", "end": "09:00"},
            ],
            "intervals[1]",
            "overlap",
        ),
    ],
)
def test_impossible_schedules_name_field_and_rule(raw: list, field: str, rule: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ScheduleError) as caught:
        parse_intervals(raw)
    assert (caught.value.field, caught.value.rule) == (field, rule)
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.extra["errors"][0]["field"] == field


def test_touching_intervals_and_whole_days_are_fine() -> None:
    parse_intervals(
        [
            {"day": 0, "start": "00:00", "end": "24:00"},
            {"day": 1, "start": "07:00", "end": "12:00"},
            {"day": 1, "start": "12:00", "end": "18:00"},
            {"day": 1, "start": "22:00", "end": "06:00"},
            {"day": 2, "start": "06:00", "end": "07:00"},
        ]
    )


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@given(
    day=st.integers(0, 6),
    start=st.integers(0, 24 * 60 - 1),
    length=st.integers(1, 24 * 60 - 1),
    week=st.integers(0, 50),
)
def test_start_is_inclusive_and_end_exclusive(day: int, start: int, length: int, week: int) -> None:
    end = (start + length) % (24 * 60)
    raw = [
        {
            "day": day,
            "start": f"{start // 60:02d}:{start % 60:02d}",
            "end": f"{end // 60:02d}:{end % 60:02d}",
        }
    ]
    intervals = parse_intervals(raw)
    # A naive datetime is local wall time; 2025-01-06 is a Monday (no DST in winter weeks).
    monday = datetime(2025, 1, 6) + timedelta(weeks=week % 8)
    opens = monday + timedelta(days=day, minutes=start)
    closes = opens + timedelta(minutes=length)
    assert is_open(intervals, "normal", frozenset(), opens)
    assert is_open(intervals, "normal", frozenset(), closes - timedelta(minutes=1))
    assert not is_open(intervals, "normal", frozenset(), closes)
    assert (
        not is_open(intervals, "normal", frozenset(), opens - timedelta(minutes=1))
        or length == 24 * 60 - 1
    )


NIGHT = parse_intervals([{"day": 6, "start": "01:00", "end": "04:00"}])
INSIDE_GAP = parse_intervals([{"day": 6, "start": "02:10", "end": "02:50"}])


def test_spring_forward_skips_the_hour() -> None:
    # 2026-03-29 (Sunday): 02:00 CET jumps to 03:00 CEST.
    assert is_open(NIGHT, "normal", frozenset(), datetime(2026, 3, 29, 0, 59, tzinfo=UTC))  # 01:59
    assert is_open(NIGHT, "normal", frozenset(), datetime(2026, 3, 29, 1, 0, tzinfo=UTC))  # 03:00
    assert not is_open(
        NIGHT, "normal", frozenset(), datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    )  # 04:00
    # Two real hours open; an interval inside the missing hour never opens.
    minutes = [datetime(2026, 3, 28, 22, tzinfo=UTC) + timedelta(minutes=m) for m in range(360)]
    assert sum(is_open(NIGHT, "normal", frozenset(), m) for m in minutes) == 120
    assert not any(is_open(INSIDE_GAP, "normal", frozenset(), m) for m in minutes)


def test_fall_back_repeats_the_hour() -> None:
    # 2026-10-25 (Sunday): 03:00 CEST falls back to 02:00 CET; 02:00-03:00 happens twice.
    minutes = [datetime(2026, 10, 24, 22, tzinfo=UTC) + timedelta(minutes=m) for m in range(360)]
    assert sum(is_open(NIGHT, "normal", frozenset(), m) for m in minutes) == 240
    assert sum(is_open(INSIDE_GAP, "normal", frozenset(), m) for m in minutes) == 80
    first = local(2026, 10, 25, 2, 30, fold=0)
    second = local(2026, 10, 25, 2, 30, fold=1)
    assert first.astimezone(UTC) != second.astimezone(UTC)
    assert is_open(INSIDE_GAP, "normal", frozenset(), first.astimezone(UTC))
    assert is_open(INSIDE_GAP, "normal", frozenset(), second.astimezone(UTC))


WEEKDAYS = parse_intervals(
    [{"day": d, "start": "07:00", "end": "18:00"} for d in range(5)]
    + [
        {"day": 3, "start": "22:00", "end": "02:00"},
        {"day": "holiday", "start": "10:00", "end": "14:00"},
    ]
)
ASCENSION = date(2026, 5, 14)  # a Thursday
HOLIDAYS = frozenset({ASCENSION})


@pytest.mark.parametrize(
    ("mode", "hour", "expected"),
    [
        ("closed", 8, False),
        ("closed", 11, False),
        ("normal", 8, True),
        ("normal", 11, True),
        ("holiday_intervals", 8, False),
        ("holiday_intervals", 11, True),
        ("holiday_intervals", 15, False),
    ],
)
def test_holiday_modes(mode: str, hour: int, expected: bool) -> None:
    at = local(2026, 5, 14, hour)
    assert is_open(WEEKDAYS, mode, HOLIDAYS, at) is expected
    # The day before is an ordinary Wednesday in every mode.
    assert is_open(WEEKDAYS, mode, HOLIDAYS, local(2026, 5, 13, 8))


def test_midnight_spill_on_holidays() -> None:
    # Thursday 22-02 spills into Friday; the Thursday is a holiday.
    friday_1am = local(2026, 5, 15, 1)
    assert is_open(WEEKDAYS, "normal", HOLIDAYS, friday_1am)
    assert not is_open(WEEKDAYS, "closed", HOLIDAYS, friday_1am)  # the interval never started
    assert not is_open(WEEKDAYS, "holiday_intervals", HOLIDAYS, friday_1am)
    # A closed holiday is closed all day, even the spill from the previous evening.
    wednesday_night = parse_intervals([{"day": 2, "start": "22:00", "end": "02:00"}])
    assert is_open(wednesday_night, "normal", HOLIDAYS, local(2026, 5, 14, 1))
    assert not is_open(wednesday_night, "closed", HOLIDAYS, local(2026, 5, 14, 1))
    assert is_open(wednesday_night, "holiday_intervals", HOLIDAYS, local(2026, 5, 14, 1))
