"""Weekly schedules in Europe/Stockholm local time: parsing, validation and "is it open now?".

Pure code, no I/O. A schedule is a list of intervals ``{"day": 0-6 | "holiday",
"start": "HH:MM", "end": "HH:MM"}`` (Monday = 0). The start is inclusive and the end
exclusive. An end at or before the start crosses midnight: the interval runs on into
the next calendar day (its *spill-over*). ``"24:00"`` is allowed as an end and means
the end of the day (no crossing). A zero-length interval (start equal to end, or
``00:00``–``00:00``) is refused: write ``00:00``–``24:00`` for a whole day.

**Holidays.** A schedule's holiday mode says how a holiday (a date in the calendar)
counts:

* ``closed`` — nothing is open at any time of a holiday's date, not even the
  spill-over of the previous evening's interval;
* ``normal`` — a holiday is an ordinary weekday;
* ``holiday_intervals`` — on a holiday the intervals whose day is ``"holiday"`` apply
  instead of the weekday's; the spill-over of the previous day's interval still runs
  into the holiday morning (a night shift that began on a normal day ends normally), and
  a holiday interval that crosses midnight spills into the next day whatever it is.

**Eves.** Intervals whose day is ``"eve"`` are a schedule's reduced hours on the day
before a holiday (the calendar's *eves*, see :mod:`stadsvakt.access.holidays`). On an eve
that is not itself a holiday, a schedule with eve intervals uses them instead of the
weekday's; a schedule without any keeps its weekday hours. An eve interval that crosses
midnight spills into the next day, as a holiday's does.

**Daylight saving time.** Times are wall-clock times in Europe/Stockholm; an aware
datetime is converted to that zone first, a naive one is taken as already local.

* On the last Sunday of March the clock jumps from 02:00 to 03:00: no instant has a
  wall time in [02:00, 03:00), so an interval lying inside that hour never opens that
  day, and an interval 01:00–04:00 is open for two real hours (01:00–02:00 and
  03:00–04:00 local).
* On the last Sunday of October the hour 02:00–03:00 happens twice: both passes are
  evaluated by their wall time, so an interval covering 02:30 is open at both 02:30s,
  and an interval 01:00–04:00 is open for four real hours.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from stadsvakt.errors import InvalidInput

#: The zone every schedule is written in.
STOCKHOLM = ZoneInfo("Europe/Stockholm")

#: The day index used for the intervals whose day is ``"holiday"``.
HOLIDAY = 7
#: The day index used for the intervals whose day is ``"eve"`` (reduced hours on the day
#: before a holiday: trettondagsafton, skärtorsdagen, valborgsmässoafton, allhelgonaafton).
EVE = 8

#: No days: the empty calendar.
NO_DAYS: frozenset[date] = frozenset()

MINUTES_PER_DAY = 24 * 60

_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class HolidayRule(StrEnum):
    """How a schedule treats holidays (the same values as ``access.models.HolidayMode``)."""

    CLOSED = "closed"
    NORMAL = "normal"
    HOLIDAY_INTERVALS = "holiday_intervals"


class ScheduleError(InvalidInput):
    """An impossible schedule; names the offending field (``intervals[2].end``) and the rule."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message, field=field, rule=rule)
        self.field = field
        self.rule = rule
        self.message = message


@dataclass(frozen=True, slots=True)
class Interval:
    """One weekly interval: ``day`` 0-6 (Monday = 0) or :data:`HOLIDAY`, minutes after midnight.

    ``end`` is at most 1440; ``end <= start`` means the interval crosses midnight.
    """

    day: int
    start: int
    end: int

    @property
    def crosses_midnight(self) -> bool:
        """Whether the interval runs on into the next day."""
        return self.end <= self.start

    def own_part(self) -> tuple[int, int]:
        """The minutes covered on the interval's own day."""
        return (self.start, MINUTES_PER_DAY if self.crosses_midnight else self.end)

    def spill_part(self) -> tuple[int, int] | None:
        """The minutes covered on the next day, if the interval crosses midnight."""
        return (0, self.end) if self.crosses_midnight and self.end > 0 else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in ``schedules.intervals``."""
        day: int | str = _SPECIAL_NAMES.get(self.day, self.day)
        return {"day": day, "start": _format_time(self.start), "end": _format_time(self.end)}


_SPECIAL_NAMES = {HOLIDAY: "holiday", EVE: "eve"}


def _format_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_time(value: object, field: str, *, allow_24: bool) -> int:
    if not isinstance(value, str) or not (match := _TIME.match(value)):
        raise ScheduleError(field, "format", f"{field}: expected a time HH:MM, got {value!r}")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > MINUTES_PER_DAY or (minutes == MINUTES_PER_DAY and not allow_24):
        raise ScheduleError(field, "format", f"{field}: {value} is not a time of day")
    return minutes


def _parse_day(value: object, field: str) -> int:
    if value == "holiday":
        return HOLIDAY
    if value == "eve":
        return EVE
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    raise ScheduleError(
        field, "day", f'{field}: expected 0-6 (Monday = 0), "holiday" or "eve", got {value!r}'
    )


def _parse_one(raw: object, index: int) -> Interval:
    prefix = f"intervals[{index}]"
    if not isinstance(raw, Mapping):
        raise ScheduleError(prefix, "format", f"{prefix}: expected an object with day, start, end")
    for key in ("day", "start", "end"):
        if key not in raw:
            raise ScheduleError(f"{prefix}.{key}", "required", f"{prefix}.{key} is required")
    unknown = sorted(set(raw) - {"day", "start", "end"})
    if unknown:
        raise ScheduleError(
            f"{prefix}.{unknown[0]}", "unknown_key", f"{prefix}: unknown key {unknown[0]!r}"
        )
    day = _parse_day(raw["day"], f"{prefix}.day")
    start = _parse_time(raw["start"], f"{prefix}.start", allow_24=False)
    end = _parse_time(raw["end"], f"{prefix}.end", allow_24=True)
    if start == end:
        raise ScheduleError(
            f"{prefix}.end",
            "zero_length",
            f"{prefix}: start and end are both {raw['start']}; an interval must have a length"
            " (write 00:00-24:00 for a whole day)",
        )
    return Interval(day, start, end)


def _day_name(day: int) -> str:
    if day in _SPECIAL_NAMES:
        return _SPECIAL_NAMES[day]
    return ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[day]


def _check_overlaps(intervals: Sequence[Interval]) -> None:
    """Refuse intervals that cover the same minute of the same day (spill-over included)."""
    # Per day: (start, end, index of the interval, whether this is a spill-over part).
    parts: dict[int, list[tuple[int, int, int, bool]]] = {d: [] for d in range(EVE + 1)}
    for index, interval in enumerate(intervals):
        parts[interval.day].append((*interval.own_part(), index, False))
        spill = interval.spill_part()
        if spill is not None:
            # A weekday spills into the next weekday; a holiday may be followed by another
            # holiday (Christmas Eve, Christmas Day), so its spill is checked against itself;
            # an eve's spill lands on a holiday, so it is checked against the holiday's.
            target = HOLIDAY if interval.day >= HOLIDAY else (interval.day + 1) % 7
            parts[target].append((*spill, index, True))
    for day, day_parts in parts.items():
        day_parts.sort()
        # Sorted by start, any overlap shows up between neighbours.
        for (_, prev_end, prev_index, prev_spill), (start, _, index, is_spill) in zip(
            day_parts, day_parts[1:], strict=False
        ):
            if start < prev_end:
                first, second = sorted((prev_index, index))
                how = " (after crossing midnight)" if prev_spill or is_spill else ""
                raise ScheduleError(
                    f"intervals[{second}]",
                    "overlap",
                    f"intervals[{second}] overlaps intervals[{first}] on {_day_name(day)}{how}",
                )


def parse_intervals(raw: Sequence[Mapping[str, Any]]) -> tuple[Interval, ...]:
    """Parse and validate JSON intervals; raise :class:`ScheduleError` if impossible."""
    if isinstance(raw, str | bytes) or not isinstance(raw, Sequence):
        raise ScheduleError("intervals", "format", "intervals: expected a list of intervals")
    intervals = tuple(_parse_one(item, index) for index, item in enumerate(raw))
    _check_overlaps(intervals)
    return intervals


class WeekSchedule:
    """A schedule compiled for fast lookups: per day kind, the covered minute ranges."""

    __slots__ = ("has_eve", "holiday_rule", "own", "spill")

    def __init__(self, intervals: Sequence[Interval], holiday_rule: HolidayRule) -> None:
        own: list[list[tuple[int, int]]] = [[] for _ in range(EVE + 1)]
        spill: list[list[tuple[int, int]]] = [[] for _ in range(EVE + 1)]
        for interval in intervals:
            own[interval.day].append(interval.own_part())
            spill_part = interval.spill_part()
            if spill_part is not None:
                spill[interval.day].append(spill_part)
        self.holiday_rule = holiday_rule
        self.has_eve = any(interval.day == EVE for interval in intervals)
        self.own: tuple[tuple[tuple[int, int], ...], ...] = tuple(tuple(sorted(d)) for d in own)
        self.spill: tuple[tuple[tuple[int, int], ...], ...] = tuple(tuple(sorted(d)) for d in spill)

    def _kind(self, day: date, holidays: Container[date], eves: Container[date]) -> int | None:
        """Which intervals a date uses: a weekday, :data:`HOLIDAY`, :data:`EVE` or None
        (closed)."""
        if holidays and day in holidays:
            if self.holiday_rule is HolidayRule.CLOSED:
                return None
            if self.holiday_rule is HolidayRule.HOLIDAY_INTERVALS:
                return HOLIDAY
            return day.weekday()
        if self.has_eve and day in eves:
            return EVE
        return day.weekday()

    def is_open(
        self, holidays: Container[date], moment: datetime, eves: Container[date] = NO_DAYS
    ) -> bool:
        """Whether the schedule is open at ``moment`` (see the module docstring for DST)."""
        return self.open_at(holidays, LocalTime.of(moment), eves)

    def open_at(
        self, holidays: Container[date], local: LocalTime, eves: Container[date] = NO_DAYS
    ) -> bool:
        """:meth:`is_open` for a moment already in local time (one decision checks several
        schedules at the same moment: the conversion is done once)."""
        kind = self._kind(local.today, holidays, eves)
        if kind is None:
            return False
        minute = local.minute
        for start, end in self.own[kind]:
            if start <= minute < end:
                return True
        yesterday = self._kind(local.yesterday, holidays, eves)
        if yesterday is None:
            return False
        return any(start <= minute < end for start, end in self.spill[yesterday])


class LocalTime:
    """A moment as the schedules see it: the Stockholm date, the day before, the minute."""

    __slots__ = ("minute", "today", "yesterday")

    def __init__(self, today: date, minute: int) -> None:
        self.today = today
        self.yesterday = today - timedelta(days=1)
        self.minute = minute

    @classmethod
    def of(cls, moment: datetime) -> LocalTime:
        """``moment`` in Europe/Stockholm (aware: converted; naive: taken as local)."""
        local = moment.astimezone(STOCKHOLM) if moment.tzinfo is not None else moment
        return cls(local.date(), local.hour * 60 + local.minute)


@lru_cache(maxsize=4096)
def compile_schedule(intervals: tuple[Interval, ...], holiday_mode: str) -> WeekSchedule:
    """A :class:`WeekSchedule` for the intervals and holiday mode (cached)."""
    return WeekSchedule(intervals, HolidayRule(holiday_mode))


def is_open(
    intervals: tuple[Interval, ...],
    holiday_mode: str,
    holidays: Container[date],
    local_dt: datetime,
    eves: Container[date] = NO_DAYS,
) -> bool:
    """Whether a schedule is open at ``local_dt`` (aware: converted to Stockholm; naive: local)."""
    return compile_schedule(intervals, str(holiday_mode)).is_open(holidays, local_dt, eves)
