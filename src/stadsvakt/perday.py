"""Counting by local day in SQL: a moment's day as an index into given day boundaries, so
one grouped query counts a fortnight on either backend without time-zone functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case
from sqlalchemy.orm import QueryableAttribute


@dataclass(frozen=True, slots=True)
class DayCount:
    """How many of something fell on one day (an index into the days asked about) for one key."""

    day: int
    key: str
    count: int


def day_bounds(last: date, days: int, zone: ZoneInfo) -> list[datetime]:
    """The local midnights that start each of the ``days`` days ending with ``last``, and
    the one that ends it (``days + 1`` moments; a day has 23 or 25 hours across a clock
    change)."""
    first = last - timedelta(days=days - 1)
    return [datetime.combine(first + timedelta(days=n), time(), zone) for n in range(days + 1)]


def day_bucket(
    column: ColumnElement[datetime] | QueryableAttribute[datetime], bounds: Sequence[datetime]
) -> ColumnElement[int]:
    """The index of the day (between consecutive ``bounds``) a moment falls on, as SQL;
    -1 outside them."""
    whens = [(column < bound, index) for index, bound in enumerate(bounds[1:])]
    return case(*whens, else_=-1)
