"""Times as people in Sweden read them: Europe/Stockholm, with the zone shown.

The API and the database keep UTC (ISO 8601 with an offset); every time the web UI
shows goes through :func:`local_time`, so a winter alarm at 22:05 UTC reads
"2026-12-05 23:05:00 CET" and a summer one carries "CEST".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def to_local(moment: datetime) -> datetime:
    """A moment in Swedish time (a naive value is taken as UTC, as the database gives it)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(STOCKHOLM)


def local_time(moment: datetime | None, *, seconds: bool = True) -> str:
    """``2026-12-05 23:05:00 CET``; an empty string for no time."""
    if moment is None:
        return ""
    local = to_local(moment)
    shape = "%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z"
    return local.strftime(shape)


def local_clock(moment: datetime | None) -> str:
    """Only the time of day, ``23:05:00``, for today's rows in a busy list."""
    return "" if moment is None else to_local(moment).strftime("%H:%M:%S")


def local_date(moment: datetime | date | None) -> str:
    """``2026-12-05`` (the Swedish date of a moment)."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return to_local(moment).strftime("%Y-%m-%d")
    return moment.isoformat()
