"""Bounds on the dates and times the API accepts, as pydantic types.

A date far from now is a typo (2999 for 2029, 20260 for 2026) or a probe, never a real
plan: stored, it outlives every retention rule (an access event dated 2999 is never
purged), and near the calendar's edges converting it to UTC overflows. So every date
and time an input schema takes is one of these types, between :data:`EARLIEST` and
:data:`LATEST` — wide enough for an assignment a personnel system dates from the
1980s and for an end date decades ahead, and the years the Swedish holiday data
covers at the top. The bound is in the OpenAPI schema as a ``pattern`` on the year
(which every JSON Schema validator and fuzzer understands) and as ``formatMinimum`` /
``formatMaximum``, and a value outside it is a 422 problem naming the field with the
rule ``date_range``.

Input is text in ISO 8601 form and nothing else: pydantic would otherwise read a
number (``0``, ``"0.5"``) as seconds since 1970, which the schema (a string with
``format: date-time``) forbids. The rule is ``datetime_format``.

A datetime is checked by its date in its own zone (``2100-12-31T23:00:00-05:00`` is
in range); every datetime must also carry a zone (pydantic's ``AwareDatetime``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

#: The first and the last day an input may name.
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)

#: The rule a 422 problem names for a date or time out of range.
RULE = "date_range"
_MESSAGE = "must be between {earliest} and {latest}"

_D = TypeVar("_D", bound=date)

#: The years EARLIEST to LATEST as a pattern on an ISO 8601 date or time.
YEAR_PATTERN = rf"^(19[0-9]{{2}}|20[0-9]{{2}}|{LATEST.year})-"
assert EARLIEST.year == 1900 and LATEST.year == 2100, "YEAR_PATTERN spells these years"
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")


def in_range(value: date) -> bool:
    """Whether a date (or a datetime, by its date in its own zone) lies within the bounds."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST


def _check(value: _D) -> _D:
    if not in_range(value):
        raise PydanticCustomError(
            RULE,
            _MESSAGE,
            {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )
    return value


def _iso_text(value: Any) -> Any:
    """Refuse anything but ISO 8601 text (or a date a Python caller already made)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise PydanticCustomError(
            "datetime_format", "must be an ISO 8601 date or time, e.g. 2026-11-22T08:00:00Z"
        )
    return value


@dataclass(frozen=True, slots=True)
class _InSchema:
    """Shows the bound in the JSON schema (and so in the OpenAPI document)."""

    minimum: str
    maximum: str

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found: dict[str, Any] = handler(schema)
        target = handler.resolve_ref_schema(found)
        target["pattern"] = YEAR_PATTERN
        target["formatMinimum"] = self.minimum
        target["formatMaximum"] = self.maximum
        return found


#: A calendar date between :data:`EARLIEST` and :data:`LATEST`.
BoundedDate = Annotated[
    date,
    BeforeValidator(_iso_text),
    AfterValidator(_check),
    _InSchema(EARLIEST.isoformat(), LATEST.isoformat()),
]

#: A time with a zone whose date lies between :data:`EARLIEST` and :data:`LATEST`.
BoundedDatetime = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_text),
    AfterValidator(_check),
    _InSchema(f"{EARLIEST.isoformat()}T00:00:00Z", f"{LATEST.isoformat()}T23:59:59Z"),
]
