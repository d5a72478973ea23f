"""Holiday calendars resolved to dates: Swedish public holidays plus the municipality's own days.

Public holidays come from the ``holidays`` package (Sweden, in Swedish): the
statutory ones (röda dagar) and the de facto ones that workplaces close on
(midsommarafton, julafton, nyårsafton). Sundays are not listed: a schedule has
its own intervals for day 6.
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


@lru_cache(maxsize=64)
def swedish_public_holidays(year: int) -> tuple[tuple[date, str], ...]:
    """Sweden's public (and de facto) holidays of a year, with their Swedish names."""
    found = holiday_data.country_holidays(
        "SE", years=year, language="sv", categories=PUBLIC_CATEGORIES
    )
    return tuple(sorted(found.items()))


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


def holiday_dates(
    include_public: bool, local_days: Iterable[Mapping[str, str]], years: Iterable[int]
) -> frozenset[date]:
    """The dates of a calendar's holidays in the given years (for ``timerules.is_open``)."""
    local = list(local_days)
    return frozenset(h.date for y in years for h in resolve(include_public, local, y))
