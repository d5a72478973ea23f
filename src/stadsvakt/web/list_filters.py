"""Checks for list filters that are not a fixed set of words (see :class:`ListSpec`):
an id chosen in a picker, a Swedish date and time. Each refuses a bad value with a
:class:`ListParameterError` naming the filter."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from stadsvakt.errors import InvalidInput
from stadsvakt.web.forms import N_
from stadsvakt.web.listing import ListParameterError
from stadsvakt.web.localtime import parse_local_datetime


def as_uuid(text: str) -> uuid.UUID | None:
    """The id in a (checked) filter value; None for an empty one."""
    return uuid.UUID(text) if text else None


def chosen_id(name: str) -> Callable[[str], str]:
    """A filter holding an id chosen in a picker."""

    def check(text: str) -> str:
        try:
            return str(uuid.UUID(text))
        except ValueError:
            raise ListParameterError(name, "uuid", N_("Choose from the list.")) from None

    return check


def local_moment(name: str) -> Callable[[str], str]:
    """A filter holding a Swedish date (``2026-12-05``) or date and time (``2026-12-05 14:30``)."""

    def check(text: str) -> str:
        try:
            parse_local_datetime(text, name, default_time="00:00")
        except InvalidInput:
            raise ListParameterError(
                name, "datetime", N_("Give a date, or a date and time, as YYYY-MM-DD HH:MM.")
            ) from None
        return " ".join(text.split())

    return check


def start_of(text: str) -> datetime | None:
    """The moment a checked ``local_moment`` value starts (a date: its midnight)."""
    return parse_local_datetime(text, "from", default_time="00:00") if text else None


def end_of(text: str) -> datetime | None:
    """The first moment after a checked ``local_moment`` value: a date's next midnight,
    a time's next minute (the minute typed is included)."""
    if not text:
        return None
    moment = parse_local_datetime(text, "to", default_time="00:00")
    return moment + (timedelta(days=1) if len(text) == 10 else timedelta(minutes=1))
