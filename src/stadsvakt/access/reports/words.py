"""A schedule in words, for reports: ``mån–fre 07:00–18:00, helgdagar stängt``.

Pure code. Days with the same intervals are joined into runs (``mån–fre``); an
interval that crosses midnight is written as it is entered (``22:00–06:00``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stadsvakt.access.timerules import HOLIDAY, Interval, ScheduleError, parse_intervals

_DAYS = {
    "sv": ("mån", "tis", "ons", "tor", "fre", "lör", "sön"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_WORDS = {
    "sv": {
        "closed": "stängt",
        "holidays": "helgdagar",
        "holiday_closed": "helgdagar stängt",
        "holiday_normal": "helgdagar som vardagar",
        "never": "aldrig öppet",
    },
    "en": {
        "closed": "closed",
        "holidays": "holidays",
        "holiday_closed": "holidays closed",
        "holiday_normal": "holidays as weekdays",
        "never": "never open",
    },
}


def _time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _spans(intervals: Sequence[Interval]) -> str:
    return ", ".join(f"{_time(i.start)}–{_time(i.end)}" for i in sorted(intervals, key=_key))


def _key(interval: Interval) -> tuple[int, int]:
    return (interval.start, interval.end)


def _runs(days: list[int], names: Sequence[str]) -> str:
    """``[0, 1, 2, 3, 4, 6]`` → ``mån–fre, sön``."""
    parts: list[str] = []
    start = prev = days[0]
    for day in [*days[1:], None]:
        if day is not None and day == prev + 1:
            prev = day
            continue
        if prev == start:
            parts.append(names[start])
        elif prev == start + 1:
            parts.append(f"{names[start]}, {names[prev]}")
        else:
            parts.append(f"{names[start]}–{names[prev]}")
        if day is not None:
            start = prev = day
    return ", ".join(parts)


def describe(raw: Sequence[Mapping[str, Any]], holiday_mode: str, language: str = "sv") -> str:
    """The schedule's intervals and holiday rule in words, in Swedish (``sv``) or English."""
    lang = language if language in _DAYS else "sv"
    words, names = _WORDS[lang], _DAYS[lang]
    try:
        intervals = parse_intervals(raw)
    except ScheduleError:
        return words["never"]
    by_day: dict[int, list[Interval]] = {}
    for interval in intervals:
        by_day.setdefault(interval.day, []).append(interval)
    # Weekdays grouped by identical interval lists, in the order of their first day.
    groups: dict[str, list[int]] = {}
    for day in range(7):
        if day in by_day:
            groups.setdefault(_spans(by_day[day]), []).append(day)
    parts = [f"{_runs(days, names)} {spans}" for spans, days in groups.items()]
    if holiday_mode == "closed":
        parts.append(words["holiday_closed"])
    elif holiday_mode == "normal":
        parts.append(words["holiday_normal"])
    else:
        spans = _spans(by_day.get(HOLIDAY, []))
        parts.append(f"{words['holidays']} {spans or words['closed']}")
    if not groups and holiday_mode != "holiday_intervals":
        return words["never"]
    return ", ".join(parts)
