"""Bounds on the dates and times the API accepts, as pydantic types.

A date far from now is a typo (2999 for 2029, 20260 for 2026) or a probe, never a real
plan: stored, it outlives every retention rule (an access event dated 2999 is never
purged), and near the calendar's edges converting it to UTC overflows. So every date
and time an input schema takes is one of these types, between :data:`EARLIEST` and
:data:`LATEST` — wide enough for an assignment a personnel system dates from the
1980s and for an end date decades ahead, and the years the Swedish holiday data
covers at the top. The bound is in the OpenAPI schema (``formatMinimum`` /
``formatMaximum``), and a value outside it is a 422 problem naming the field with the
rule ``date_range``.

A datetime is checked by its date in its own zone (``2100-12-31T23:00:00-05:00`` is
in range); every datetime must also carry a zone (pydantic's ``AwareDatetime``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, AwareDatetime, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

#: The first and the last day an input may name.
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)

#: The rule a 422 problem names for a date or time out of range.
RULE = "date_range"
_MESSAGE = "must be between {earliest} and {latest}"

_D = TypeVar("_D", bound=date)


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


@dataclass(frozen=True, slots=True)
class _InSchema:
    """Shows the bound in the JSON schema (and so in the OpenAPI document)."""

    minimum: str
    maximum: str

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found: dict[str, Any] = handler(schema)
        found["formatMinimum"] = self.minimum
        found["formatMaximum"] = self.maximum
        return found


#: A calendar date between :data:`EARLIEST` and :data:`LATEST`.
BoundedDate = Annotated[
    date,
    AfterValidator(_check),
    _InSchema(EARLIEST.isoformat(), LATEST.isoformat()),
]

#: A time with a zone whose date lies between :data:`EARLIEST` and :data:`LATEST`.
BoundedDatetime = Annotated[
    AwareDatetime,
    AfterValidator(_check),
    _InSchema(f"{EARLIEST.isoformat()}T00:00:00Z", f"{LATEST.isoformat()}T23:59:59Z"),
]
