"""The normalised event the payload parsers (SIA DC-03, Contact ID, SCAIP) produce.

A number taken from a device (zone, user, area) is checked here, where it is parsed,
against the columns it is stored in: :data:`NUMBER_MAX` bounds them all. A device
that sends a larger one gets its event stored as unreadable (``MalformedContent``),
never a database error that would refuse the frame forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from stadsvakt.alarms.protocols.errors import MalformedContent

#: The largest zone, user or area number an alarm holds: its columns are 32-bit signed
#: integers on PostgreSQL, and SQLite is held to the same.
NUMBER_MAX = 2**31 - 1
_NUMBER_DIGITS = len(str(NUMBER_MAX))


def device_number(text: str, what: str) -> int:
    """``text`` (ASCII digits) as a number an alarm can store; ``MalformedContent`` if not.

    The length is checked before ``int()``: a frame of 4,000 digits must cost nothing.
    """
    if not (text.isascii() and text.isdigit()):
        raise MalformedContent(f"{what} {text[:20]!r} is not a number")
    digits = text.lstrip("0") or "0"
    if len(digits) > _NUMBER_DIGITS or int(digits) > NUMBER_MAX:
        raise MalformedContent(f"{what} {text[:20]} is larger than {NUMBER_MAX}")
    return int(digits)


class Category(StrEnum):
    """What kind of alarm an event is; drives priority and routing later."""

    FIRE = "fire"
    HOLD_UP = "hold_up"  # överfall / assault, duress, panic
    MEDICAL = "medical"  # personal / medical emergency
    SOCIAL = "social"  # trygghetslarm: social-care alarms, inactivity
    INTRUSION = "intrusion"  # inbrott
    TAMPER = "tamper"  # sabotage
    TECHNICAL = "technical"  # driftlarm: water, freeze, gas, equipment
    FAULT = "fault"  # fel: power, battery, communication, trouble
    OPEN_CLOSE = "open_close"  # till- och frånkoppling: arming and disarming
    TEST = "test"  # provlarm and periodic tests
    OTHER = "other"  # known codes of no alarm value: programming, logs, access
    UNKNOWN = "unknown"  # not in our tables; still stored and shown


class Qualifier(StrEnum):
    """Whether an event starts a condition, ends it, or reports it again."""

    NEW = "new"
    RESTORE = "restore"
    STATUS = "status"  # Contact ID qualifier 6: previously reported, still present


class PayloadFormat(StrEnum):
    """Which event grammar a payload used."""

    SIA = "sia"  # SIA DC-03, carried as "SIA-DCS"
    CONTACT_ID = "contact_id"  # SIA DC-05, carried as "ADM-CID"
    SCAIP = "scaip"  # SS 91100 social-care alarms, an <mrq> over SIP


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One row of an event-code table."""

    description: str
    category: Category
    qualifier: Qualifier = Qualifier.NEW


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    """One event from a payload, in stadsvakt's own terms.

    ``raw`` is the text the event was parsed from, kept verbatim for operators.
    """

    format: PayloadFormat
    code: str
    description: str
    category: Category
    qualifier: Qualifier
    zone: int | None = None
    user: int | None = None
    partition: int | None = None
    account: str | None = None
    text: str | None = None
    event_time: str | None = None
    raw: str = ""

    def __post_init__(self) -> None:
        # Every parser builds its events here, so a number no column holds is caught
        # even where a parser forgot to check it.
        for what, number in (("zone", self.zone), ("user", self.user), ("area", self.partition)):
            if number is not None and not 0 <= number <= NUMBER_MAX:
                raise MalformedContent(f"{what} {number} is outside 0-{NUMBER_MAX}")

    @property
    def known(self) -> bool:
        """Whether the code was found in the code table."""
        return self.category is not Category.UNKNOWN
