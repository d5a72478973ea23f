"""Contact ID (SIA DC-05): the ``ADM-CID`` data block and the raw 16-digit message.

In DC-09 a Contact ID event travels as ``#acct|QEEE GG CCC``: qualifier (1 new
event or opening, 3 restore or closing, 6 previously reported and still present),
event code, group (partition) and zone or user. The raw form, as a dialler sends
it over a phone line, is ``ACCT MT Q EEE GG CCC S`` with a mod-15 checksum ``S``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stadsvakt.alarms.protocols.contact_id_table import (
    CONTACT_ID_CODES,
    OPEN_CLOSE_CODES,
    USER_CODES,
)
from stadsvakt.alarms.protocols.errors import ContactIdChecksumError, MalformedContent
from stadsvakt.alarms.protocols.events import Category, ParsedEvent, PayloadFormat, Qualifier

_QUALIFIERS = {"1": Qualifier.NEW, "3": Qualifier.RESTORE, "6": Qualifier.STATUS}
_ADM_CID = re.compile(
    r"(?:#?(?P<acct>[0-9A-Fa-f]{0,16})\|)?"
    r"(?P<q>\d)(?P<code>\d{3}) ?(?P<group>\d{2}) ?(?P<point>\d{3})",
    re.ASCII,  # \d is 0-9 only, never another script's digits
)
# The raw form: digits, plus B-F (values 11-15) and A as another way to write 0.
_RAW = re.compile(r"[0-9A-Fa-f]{16}")
_RAW_MESSAGE_TYPES = frozenset({"18", "98"})


@dataclass(frozen=True, slots=True)
class RawContactId:
    """A checked raw Contact ID message and its event."""

    account: str
    message_type: str
    event: ParsedEvent


def make_event(
    qualifier: str,
    code: str,
    group: str,
    point: str,
    *,
    account: str | None,
    raw: str,
) -> ParsedEvent:
    """Normalise Contact ID fields into a :class:`ParsedEvent`; unknown codes are kept."""
    mapped = _QUALIFIERS.get(qualifier)
    if mapped is None:
        raise MalformedContent(f"Contact ID qualifier {qualifier!r} is not 1, 3 or 6")
    row = CONTACT_ID_CODES.get(code)
    description, category = row if row else (f"Unknown Contact ID code {code}", Category.UNKNOWN)
    if code in OPEN_CLOSE_CODES and mapped is not Qualifier.STATUS:
        # For openings and closings the qualifier says which: 1 opening, 3 closing.
        description += " (opening)" if mapped is Qualifier.NEW else " (closing)"
    number = int(point)
    is_user = code in USER_CODES
    return ParsedEvent(
        format=PayloadFormat.CONTACT_ID,
        code=code,
        description=description,
        category=category,
        qualifier=mapped,
        zone=None if is_user else number,
        user=number if is_user else None,
        partition=int(group),
        account=account,
        raw=raw,
    )


def parse_adm_cid(data: str) -> ParsedEvent:
    """Parse an ``ADM-CID`` data block such as ``#1234|1130 01 015``."""
    match = _ADM_CID.fullmatch(data.strip())
    if match is None:
        raise MalformedContent(f"ADM-CID block {data[:40]!r} is not [#acct|]QEEE GG CCC")
    return make_event(
        match["q"],
        match["code"],
        match["group"],
        match["point"],
        account=match["acct"] or None,
        raw=data,
    )


def _digit_value(char: str) -> int:
    """A Contact ID digit's checksum value: 0 (and A) count as 10, B-F as 11-15."""
    value = int(char, 16)
    return 10 if value == 0 else value


def checksum_digit(first15: str) -> str:
    """The 16th digit that makes the digit sum of ``first15`` a multiple of 15."""
    if not re.fullmatch(r"[0-9A-Fa-f]{15}", first15):
        raise ValueError("need exactly 15 hex digits")
    needed = 15 - sum(_digit_value(ch) for ch in first15) % 15
    # A needed value of 10 is written as 0; 15 (sum already a multiple) as F.
    return "0" if needed == 10 else f"{needed:X}"


def parse_raw_contact_id(text: str) -> RawContactId:
    """Check and parse ``ACCT MT Q EEE GG CCC S`` (spaces optional)."""
    digits = "".join(text.split()).upper()
    if _RAW.fullmatch(digits) is None:
        raise MalformedContent(f"raw Contact ID {text[:40]!r} is not 16 hex digits")
    if sum(_digit_value(ch) for ch in digits) % 15:
        raise ContactIdChecksumError(f"raw Contact ID {digits} fails its mod-15 checksum")
    account, message_type = digits[:4], digits[4:6]
    if message_type not in _RAW_MESSAGE_TYPES:
        raise MalformedContent(f"Contact ID message type {message_type} is not 18 or 98")
    fields = digits[6:15].replace("A", "0")  # A is a DTMF spelling of 0
    if not fields.isdigit():
        raise MalformedContent(f"Contact ID event digits {fields} must be decimal")
    event = make_event(fields[0], fields[1:4], fields[4:6], fields[6:9], account=account, raw=text)
    return RawContactId(account, message_type, event)
