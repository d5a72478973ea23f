"""SIA DC-03 event blocks, as carried in DC-09 ``"SIA-DCS"`` frames.

A data block looks like ``#1234|Nri1/BA01^Hall^/BA02|Atext``: an optional account
(``#`` optional too, as real panels differ) and ``|``, then ``N`` (new event) or
``O`` (old event), then items separated by ``/``. An item is modifiers (``ti``
time, ``id`` user, ``ri`` area/partition, ``pi`` …) followed by a two-letter code
and an address number, optionally ``^text^``; an item of bare digits repeats the
previous code for another address. ``|A…`` segments carry free text.

Unknown codes are never an error: they become events of category ``unknown``. A
number no alarm column holds (``Nid99999999999999999999``) is: the block is then
stored as unreadable, with the frame kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from stadsvakt.alarms.protocols.errors import MalformedContent
from stadsvakt.alarms.protocols.events import (
    Category,
    CodeInfo,
    ParsedEvent,
    PayloadFormat,
    Qualifier,
    device_number,
)
from stadsvakt.alarms.protocols.sia_code_table import AREA_CODES, SIA_CODES, USER_CODES

# re.ASCII: \d is 0-9 only, never another script's digits.
_ACCOUNT = re.compile(r"#?([0-9A-Fa-f]{0,16})\|")
_MODIFIER = re.compile(r"([a-z]{2})(\d\d:\d\d(?::\d\d)?|[0-9-]*)", re.ASCII)
_CODE = re.compile(r"([A-Z]{2})(\d{0,8})", re.ASCII)
_DIGITS = re.compile(r"\d{1,8}", re.ASCII)


@dataclass(frozen=True, slots=True)
class SiaBlock:
    """A parsed SIA data block: the account it names, its events and free text."""

    account: str | None
    events: tuple[ParsedEvent, ...]
    text: str | None = None


def lookup(code: str) -> CodeInfo:
    """The table row for ``code``, or an ``unknown`` row: never raises."""
    info = SIA_CODES.get(code)
    if info is None:
        return CodeInfo(f"Unknown SIA code {code}", Category.UNKNOWN, Qualifier.NEW)
    return info


@dataclass(slots=True)
class _State:
    """Modifiers seen so far; DC-03 modifiers apply to the events after them."""

    raw: str
    account: str | None
    partition: int | None = None
    user: int | None = None
    time: str | None = None
    events: list[ParsedEvent] = field(default_factory=list)

    def emit(self, code: str, address: str) -> None:
        """Add an event for ``code`` with ``address`` read as zone, user or area."""
        info = lookup(code)
        number = device_number(address, f"{code} address") if address else None
        zone, user, partition = number, self.user, self.partition
        if code in USER_CODES:
            zone, user = None, number if number is not None else self.user
        elif code in AREA_CODES:
            zone, partition = None, number if number is not None else self.partition
        self.events.append(
            ParsedEvent(
                format=PayloadFormat.SIA,
                code=code,
                description=info.description,
                category=info.category,
                qualifier=info.qualifier,
                zone=zone,
                user=user,
                partition=partition,
                account=self.account,
                event_time=self.time,
                raw=self.raw,
            )
        )

    def modifier(self, name: str, value: str) -> None:
        """Apply a modifier; unknown modifiers are kept out of the event, not rejected."""
        if name == "ti":
            self.time = value or None
        elif name == "id" and value.isdigit():
            self.user = device_number(value, "user (id)")
        elif name == "ri" and value.isdigit():
            self.partition = device_number(value, "area (ri)")


def parse_sia_data(data: str) -> SiaBlock:
    """Parse a SIA-DCS data block (the text between ``[`` and ``]``)."""
    account_match = _ACCOUNT.match(data)
    account = (account_match.group(1) or None) if account_match else None
    rest = data[account_match.end() :] if account_match else data
    event_part, *segments = rest.split("|")
    texts = []
    for segment in segments:
        if not segment.startswith("A"):
            raise MalformedContent(f"SIA segment {segment[:20]!r} is neither events nor |A text")
        texts.append(segment[1:])
    state = _State(raw=data, account=account)
    if event_part:
        _scan_events(event_part, state)
    return SiaBlock(account, tuple(state.events), "|".join(texts) if texts else None)


def _scan_events(part: str, state: _State) -> None:
    """Walk one ``N…`` event string, emitting events into ``state``."""
    pos = 1 if part[0] in "NO" else 0  # real panels sometimes omit the N
    item_start = True
    last_code: str | None = None
    last_was_event = False
    while pos < len(part):
        char = part[pos]
        if char == "/":
            pos, item_start, last_was_event = pos + 1, True, False
            continue
        if char == "^":
            end = part.find("^", pos + 1)
            if end < 0:
                raise MalformedContent(f"unterminated ^text^ at position {pos} of {part!r}")
            if last_was_event:
                state.events[-1] = replace(state.events[-1], text=part[pos + 1 : end].strip())
            pos = end + 1
            continue
        if item_start and (digits := _DIGITS.match(part, pos)) and last_code is not None:
            # A bare number repeats the previous code for another zone (NBA01/02/03).
            state.emit(last_code, digits.group())
            pos, item_start, last_was_event = digits.end(), False, True
            continue
        if (modifier := _MODIFIER.match(part, pos)) is not None:
            state.modifier(*modifier.groups())
            pos, item_start, last_was_event = modifier.end(), False, False
            continue
        if (code := _CODE.match(part, pos)) is not None:
            last_code = code.group(1)
            state.emit(last_code, code.group(2))
            pos, item_start, last_was_event = code.end(), False, True
            continue
        raise MalformedContent(f"unexpected {part[pos : pos + 12]!r} at position {pos} of {part!r}")
