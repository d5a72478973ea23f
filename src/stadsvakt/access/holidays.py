"""Holiday calendars resolved to dates: Swedish public holidays plus the municipality's own days.

Public holidays come from the ``holidays`` package (Sweden, in Swedish): the
statutory ones (röda dagar) and the de facto ones that workplaces close on
(midsommarafton, julafton, nyårsafton). Sundays are not listed: a schedule has
its own intervals for day 6.

This module is the one source of holidays: the API's list of a calendar's days
(:func:`resolve`) and the dates decisions use (:class:`CalendarDays`, built by
:func:`calendar_days` for the index) both come from :func:`swedish_public_holidays`,
worked out per year when a year is first asked for, so no range of years is compiled
in ahead (the package knows Sweden's holidays from 1953 to 2100).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import holidays as holiday_data

#: The ``holidays`` categories counted as public holidays.
PUBLIC_CATEGORIES = ("public", "de_facto")

#: In the ``holidays`` package's ``optional`` category, the days workplaces close early
#: (trettondagsafton, skärtorsdagen, valborgsmässoafton, allhelgonaafton) are named with
#: this mark; they are the *eves* a schedule's ``"eve"`` intervals apply on.
_EVE_MARK = "(från kl. 14.00)"


@dataclass(frozen=True, slots=True)
class Holiday:
    """One resolved holiday."""

    date: date
    name: str
    source: Literal["public", "local"]


@lru_cache(maxsize=512)
def swedish_public_holidays(year: int) -> tuple[tuple[date, str], ...]:
    """Sweden's public (and de facto) holidays of a year, with their Swedish names."""
    found = holiday_data.country_holidays(
        "SE", years=year, language="sv", categories=PUBLIC_CATEGORIES
    )
    return tuple(sorted(found.items()))


@lru_cache(maxsize=512)
def public_dates(year: int) -> frozenset[date]:
    """The dates of Sweden's public (and de facto) holidays in a year."""
    return frozenset(day for day, _ in swedish_public_holidays(year))


@lru_cache(maxsize=512)
def swedish_eves(year: int) -> tuple[tuple[date, str], ...]:
    """Sweden's eves with reduced hours in a year (trettondagsafton, skärtorsdagen,
    valborgsmässoafton, allhelgonaafton), with their Swedish names."""
    found = holiday_data.country_holidays("SE", years=year, language="sv", categories=("optional",))
    return tuple(
        sorted(
            (day, name.replace(_EVE_MARK, "").strip())
            for day, name in found.items()
            if _EVE_MARK in name
        )
    )


@lru_cache(maxsize=512)
def eve_dates(year: int) -> frozenset[date]:
    """The dates of Sweden's eves with reduced hours in a year."""
    return frozenset(day for day, _ in swedish_eves(year))


class RecurringDays:
    """A calendar's local days that come back every year: date ranges by month and day
    (``12-23`` to ``01-06`` runs over the new year) and ISO weeks (week 44: höstlov)."""

    __slots__ = ("ranges", "weeks")

    def __init__(
        self, ranges: tuple[tuple[tuple[int, int], tuple[int, int]], ...], weeks: frozenset[int]
    ) -> None:
        self.ranges = ranges
        self.weeks = weeks

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        if self.weeks and day.isocalendar().week in self.weeks:
            return True
        md = (day.month, day.day)
        for start, end in self.ranges:
            if (start <= md <= end) if start <= end else (md >= start or md <= end):
                return True
        return False

    def __bool__(self) -> bool:
        return bool(self.ranges or self.weeks)


_NO_RECURRING = RecurringDays((), frozenset())


class EveDays:
    """A calendar's eves: Sweden's eves with reduced hours, if the calendar includes public
    holidays (local days are closed days, never eves)."""

    __slots__ = ("include_public",)

    def __init__(self, include_public: bool) -> None:
        self.include_public = include_public

    def __contains__(self, day: object) -> bool:
        return self.include_public and isinstance(day, date) and day in eve_dates(day.year)


class CalendarDays:
    """A holiday calendar's dates in every year, for decisions: its local days (single dates
    and :class:`RecurringDays`), and Sweden's public holidays if it includes them, looked up
    in the year of the date asked about; ``eves`` are its eves (:class:`EveDays`)."""

    __slots__ = ("eves", "include_public", "local", "recurring")

    def __init__(
        self,
        include_public: bool,
        local: frozenset[date],
        recurring: RecurringDays = _NO_RECURRING,
    ) -> None:
        self.include_public = include_public
        self.local = local
        self.recurring = recurring
        self.eves = EveDays(include_public)

    def __contains__(self, day: object) -> bool:
        if day in self.local:
            return True
        if self.recurring and day in self.recurring:
            return True
        return self.include_public and isinstance(day, date) and day in public_dates(day.year)

    def __bool__(self) -> bool:
        return self.include_public or bool(self.local) or bool(self.recurring)

    def __repr__(self) -> str:
        return f"CalendarDays(include_public={self.include_public}, local={sorted(self.local)})"


def _month_day(value: object) -> tuple[int, int] | None:
    """``MM-DD`` as (month, day), or None if it is no day of a year (29 February is one)."""
    try:
        day = date.fromisoformat(f"2024-{value}")
    except ValueError:
        return None
    return (day.month, day.day)


def recurring_days(items: Iterable[Mapping[str, str]] | None) -> RecurringDays:
    """A calendar's recurring days (as stored in ``holiday_calendars.recurring_days``); an
    item that is not valid is skipped (validated when saved; a broken one must not stop
    the index from loading)."""
    ranges: list[tuple[tuple[int, int], tuple[int, int]]] = []
    weeks: set[int] = set()
    for item in items or []:
        if "week" in item:
            try:
                week = int(item["week"])
            except ValueError:
                continue
            if 1 <= week <= 53:
                weeks.add(week)
            continue
        start, end = _month_day(item.get("start")), _month_day(item.get("end"))
        if start is not None and end is not None:
            ranges.append((start, end))
    if not ranges and not weeks:
        return _NO_RECURRING
    return RecurringDays(tuple(ranges), frozenset(weeks))


def _local_dates(local_days: Iterable[Mapping[str, str]] | None) -> frozenset[date]:
    """The dates of a calendar's local days; one that is no date is skipped (it was
    validated when saved, and a broken one must not stop the index from loading)."""
    days: set[date] = set()
    for item in local_days or []:
        try:
            days.add(date.fromisoformat(str(item.get("date", ""))))
        except ValueError:
            continue
    return frozenset(days)


def calendar_days(
    include_public: bool,
    local_days: Iterable[Mapping[str, str]] | None,
    recurring: Iterable[Mapping[str, str]] | None = None,
) -> CalendarDays:
    """A calendar's holiday dates in every year (for ``timerules`` and ``decide()``)."""
    return CalendarDays(include_public, _local_dates(local_days), recurring_days(recurring))


def resolve(
    include_public: bool,
    local_days: Iterable[Mapping[str, str]],
    year: int,
    recurring: Iterable[Mapping[str, str]] | None = None,
) -> list[Holiday]:
    """A calendar's holidays in one year, by date; a local day on a public holiday wins."""
    days: dict[date, Holiday] = {}
    if include_public:
        for day, name in swedish_public_holidays(year):
            days[day] = Holiday(day, name, "public")
    for item in recurring or []:
        one = recurring_days([item])
        day = date(year, 1, 1)
        while day.year == year:
            if day in one:
                days[day] = Holiday(day, item.get("name", ""), "local")
            day += timedelta(days=1)
    for item in local_days:
        day = date.fromisoformat(item["date"])
        if day.year == year:
            days[day] = Holiday(day, item["name"], "local")
    return [days[d] for d in sorted(days)]
