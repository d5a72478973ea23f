"""The normalised event the payload parsers (SIA DC-03, Contact ID, SCAIP) produce."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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

    @property
    def known(self) -> bool:
        """Whether the code was found in the code table."""
        return self.category is not Category.UNKNOWN
