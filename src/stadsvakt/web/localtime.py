"""Times as people in Sweden read them: Europe/Stockholm, with the zone shown.

The API and the database keep UTC (ISO 8601 with an offset); every time the web UI
shows goes through :func:`local_time`, so a winter alarm at 22:05 UTC reads
"2026-12-05 23:05:00 CET" and a summer one carries "CEST".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from stadsvakt.errors import InvalidInput

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


#: What a person may type in a date-and-time field: ``2026-12-06 14:30`` (Swedish
#: format), ``2026-12-06T14:30`` (a browser's datetime-local), seconds optional.
_INPUT_SHAPES = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def parse_local_datetime(text: str, field: str, *, default_time: str | None = None) -> datetime:
    """A Swedish wall-clock time typed in a form, as an aware Stockholm datetime.

    A date alone (``2026-12-06``) is accepted when ``default_time`` (``"00:00"``,
    ``"23:59"``) says what time of that day it means. Anything else is refused with
    :class:`~stadsvakt.errors.InvalidInput` naming the field and the rule ``datetime``.
    """
    value = " ".join(text.split())
    if default_time is not None and len(value) == 10:
        value = f"{value} {default_time}"
    for shape in _INPUT_SHAPES:
        try:
            naive = datetime.strptime(value, shape)
        except ValueError:
            continue
        if not 1900 <= naive.year <= 2100:
            break
        return naive.replace(tzinfo=STOCKHOLM)
    raise InvalidInput(
        f"{field}: give a date and time as YYYY-MM-DD HH:MM (Swedish time)",
        field=field,
        rule="datetime",
    )


def parse_local_date(text: str, field: str) -> date:
    """A date typed as ``2026-12-06``; refused with the rule ``date`` otherwise."""
    try:
        parsed = date.fromisoformat(text.strip())
    except ValueError:
        parsed = None
    if parsed is None or len(text.strip()) != 10 or not 1900 <= parsed.year <= 2100:
        raise InvalidInput(f"{field}: give a date as YYYY-MM-DD", field=field, rule="date")
    return parsed


def input_value(moment: datetime | None) -> str:
    """A moment as a form field shows it: ``2026-12-06 14:30`` in Swedish time."""
    return "" if moment is None else to_local(moment).strftime("%Y-%m-%d %H:%M")
