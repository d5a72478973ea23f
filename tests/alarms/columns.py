"""What the alarm table holds, read from the model: a record either fits it or not.

The limits come from :class:`stadsvakt.alarms.models.Alarm` itself (text widths,
32-bit integers), not from the code under test, so a parser and the table cannot
drift apart unnoticed.
"""

from __future__ import annotations

from sqlalchemy import Integer, String

from stadsvakt.alarms.models import Alarm
from stadsvakt.alarms.normalise import AlarmRecord
from stadsvakt.alarms.store import _row

#: The range of a 32-bit signed INTEGER column (PostgreSQL's; SQLite is held to it).
INT32 = (-(2**31), 2**31 - 1)


def misfits(record: AlarmRecord) -> list[str]:
    """Why the record's row would not go into the alarm table (empty: it fits)."""
    problems: list[str] = []
    row = _row(record)
    for column in Alarm.__table__.columns:
        value = row.get(column.name)
        if value is None:
            continue
        if isinstance(column.type, Integer) and not isinstance(value, bool):
            assert isinstance(value, int)
            if not INT32[0] <= value <= INT32[1]:
                problems.append(f"{column.name} {value} is not a 32-bit integer")
        if isinstance(value, str):
            length = column.type.length if isinstance(column.type, String) else None
            if length is not None and len(value) > length:
                problems.append(f"{column.name} has {len(value)} characters, at most {length}")
            if "\x00" in value:
                problems.append(f"{column.name} holds NUL, which PostgreSQL refuses")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                problems.append(f"{column.name} cannot be encoded as UTF-8")
    return problems
