"""The period a statistic covers: whole Swedish days, and the hours they are bucketed by.

A period runs from local midnight (Europe/Stockholm) of its first day to local midnight
after its last, so "1-31 March" holds the 743 hours of March, daylight saving time
included. The database groups rows by UTC hour, the one bucket both SQLite and
PostgreSQL can name the same way; every UTC hour lies wholly inside one Swedish hour,
day and month (the zone's offsets are whole hours), so Python folds the hours into
Swedish days and months without splitting any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal_column
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.errors import InvalidInput

STOCKHOLM = ZoneInfo("Europe/Stockholm")
#: The longest period one request may cover (a leap year).
MAX_DAYS = 366
#: The years a period may lie in (the database keeps nothing older, and far-off dates
#: would overflow when turned into moments).
FIRST_YEAR = 2000
LAST_YEAR = 2099
#: How a period is chosen when nothing is asked for: the last 30 days, today included.
DEFAULT_DAYS = 30
_BUCKET = "%Y-%m-%d %H"


@dataclass(frozen=True, slots=True)
class Period:
    """Swedish days ``first`` to ``last``, both included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        """Local midnight at the start of the first day, in UTC."""
        return _midnight(self.first)

    @property
    def end(self) -> datetime:
        """Local midnight after the last day, in UTC (excluded)."""
        return _midnight(self.last + timedelta(days=1))

    def days(self) -> list[date]:
        """Every day of the period."""
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def months(self) -> list[str]:
        """Every month the period touches, as ``YYYY-MM``."""
        return sorted({day.strftime("%Y-%m") for day in self.days()})

    def hours(self) -> int:
        """How many hours the period lasts (23 or 25 on the days the clock changes)."""
        return int((self.end - self.start).total_seconds() // 3600)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), STOCKHOLM).astimezone(UTC)


def local_today(now: datetime) -> date:
    """The Swedish date of a moment."""
    return now.astimezone(STOCKHOLM).date()


def default_period(now: datetime) -> Period:
    """The last :data:`DEFAULT_DAYS` Swedish days, today included."""
    today = local_today(now)
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)


def _day(value: str | date | None, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                f"{field} is not a date (YYYY-MM-DD)", field=field, rule="date"
            ) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(
            f"{field} must lie in the years {FIRST_YEAR}-{LAST_YEAR}",
            field=field,
            rule="year_range",
        )
    return day


def choose_period(first: str | date | None, last: str | date | None, now: datetime) -> Period:
    """The period asked for (either end may be missing: the default fills it), or
    :class:`~stadsvakt.errors.InvalidInput` naming the field and the rule."""
    start, stop = _day(first, "from"), _day(last, "to")
    default = default_period(now)
    if start is None and stop is None:
        return default
    if stop is None:
        assert start is not None
        stop = max(start, min(default.last, start + timedelta(days=DEFAULT_DAYS - 1)))
    if start is None:
        start = stop - timedelta(days=DEFAULT_DAYS - 1)
    if stop < start:
        raise InvalidInput("to must not be before from", field="to", rule="after_from")
    if (stop - start).days + 1 > MAX_DAYS:
        raise InvalidInput(f"a period covers at most {MAX_DAYS} days", field="to", rule="max_days")
    return Period(start, stop)


def hour_bucket(session: Session, column: Any) -> ColumnElement[str]:
    """The UTC hour of a timestamp column as text, ``2026-03-29 01``, named the same way
    on SQLite and PostgreSQL (the format is a literal, so GROUP BY matches the SELECT)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), literal_column("'YYYY-MM-DD HH24'"))
    return func.strftime(literal_column(f"'{_BUCKET}'"), column)


def bucket_hour(text: str) -> datetime:
    """The UTC hour a bucket names."""
    return datetime.strptime(text, _BUCKET).replace(tzinfo=UTC)


def local_hour(text: str) -> datetime:
    """A bucket's hour in Swedish time."""
    return bucket_hour(text).astimezone(STOCKHOLM)
