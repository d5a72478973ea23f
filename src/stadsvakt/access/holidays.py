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
from datetime import date
from functools import lru_cache
from typing import Literal

import holidays as holiday_data

#: The ``holidays`` categories counted as public holidays.
PUBLIC_CATEGORIES = ("public", "de_facto")


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


class CalendarDays:
    """A holiday calendar's dates in every year, for decisions: its local days, and Sweden's
    public holidays if it includes them, looked up in the year of the date asked about."""

    __slots__ = ("include_public", "local")

    def __init__(self, include_public: bool, local: frozenset[date]) -> None:
        self.include_public = include_public
        self.local = local

    def __contains__(self, day: object) -> bool:
        if day in self.local:
            return True
        return self.include_public and isinstance(day, date) and day in public_dates(day.year)

    def __bool__(self) -> bool:
        return self.include_public or bool(self.local)

    def __repr__(self) -> str:
        return f"CalendarDays(include_public={self.include_public}, local={sorted(self.local)})"


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
    include_public: bool, local_days: Iterable[Mapping[str, str]] | None
) -> CalendarDays:
    """A calendar's holiday dates in every year (for ``timerules`` and ``decide()``)."""
    return CalendarDays(include_public, _local_dates(local_days))


def resolve(
    include_public: bool, local_days: Iterable[Mapping[str, str]], year: int
) -> list[Holiday]:
    """A calendar's holidays in one year, by date; a local day on a public holiday wins."""
    days: dict[date, Holiday] = {}
    if include_public:
        for day, name in swedish_public_holidays(year):
            days[day] = Holiday(day, name, "public")
    for item in local_days:
        day = date.fromisoformat(item["date"])
        if day.year == year:
            days[day] = Holiday(day, item["name"], "local")
    return [days[d] for d in sorted(days)]
