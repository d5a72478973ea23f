"""The DC-09 header fields a reply must echo, and the shared formatting helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from stadsvakt.alarms.protocols.dc09.crc import crc16
from stadsvakt.alarms.protocols.errors import InvalidTimestamp


class Token(StrEnum):
    """The ID tokens a receiver accepts (without the ``*`` that marks encryption)."""

    SIA_DCS = "SIA-DCS"  # SIA DC-03 event data
    ADM_CID = "ADM-CID"  # Contact ID (SIA DC-05) event data
    NULL = "NULL"  # supervision / link test, no event


@dataclass(frozen=True, slots=True)
class Dc09Header:
    """The routing fields of a frame, kept as sent so that replies echo them exactly.

    ``receiver`` and ``line`` are the hex digits after ``R`` and ``L`` (``None`` when
    the field is absent; ``line`` is ``""`` for a bare ``L``, which real panels send).
    ``crc_binary`` records the quirk of panels that send the CRC as two raw bytes
    instead of four hex digits, so the reply uses the same form.
    """

    token: str
    encrypted: bool
    sequence: str
    receiver: str | None
    line: str | None
    account: str
    crc_binary: bool = False

    def routing(self) -> str:
        """``seq`` ``Rrcvr`` ``Lpref`` ``#acct`` as they appear between token and ``[``."""
        receiver = "" if self.receiver is None else f"R{self.receiver}"
        line = "" if self.line is None else f"L{self.line}"
        return f"{self.sequence}{receiver}{line}#{self.account}"


_TIMESTAMP = re.compile(r"_(\d\d):(\d\d):(\d\d),(\d\d)-(\d\d)-(\d{4})", re.ASCII)


def format_timestamp(moment: datetime) -> str:
    """``_HH:MM:SS,MM-DD-YYYY`` in UTC, as DC-09 writes timestamps."""
    return moment.astimezone(UTC).strftime("_%H:%M:%S,%m-%d-%Y")


def parse_timestamp(text: str) -> datetime:
    """Parse ``_HH:MM:SS,MM-DD-YYYY`` (UTC) into an aware datetime."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise InvalidTimestamp(f"timestamp {text!r} is not _HH:MM:SS,MM-DD-YYYY")
    hour, minute, second, month, day, year = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise InvalidTimestamp(f"timestamp {text!r} names no real time: {exc}") from None


def wrap(body: bytes, *, crc_binary: bool = False) -> bytes:
    """Frame ``body`` (from the opening quote on) as ``LF crc 0LLL body CR``."""
    if len(body) > 0xFFF:
        raise ValueError(f"frame content of {len(body)} bytes exceeds the 0xFFF length field")
    crc = crc16(body)
    crc_field = crc.to_bytes(2, "big") if crc_binary else f"{crc:04X}".encode("ascii")
    return b"\n" + crc_field + f"{len(body):04X}".encode("ascii") + body + b"\r"
