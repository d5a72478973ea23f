"""From parsed protocol events to the rows the alarm store keeps; pure, no I/O.

Priority (1 most urgent … 9 least) follows the category:

=============  ========  ==================================================
category       priority  why
=============  ========  ==================================================
fire           1         life at risk
hold_up        1         överfall: a person under threat
medical        2         personal emergency
social         2         trygghetslarm from a care recipient
intrusion      3         inbrott
unknown        4         not in our tables: a person must look at it
tamper         4         sabotage, often the start of an intrusion
technical      5         driftlarm: water, heat, gas
fault          6         power, battery, communication trouble
open_close     8         arming and disarming, for the log
test, other    9         periodic tests, programming, logs
=============  ========  ==================================================

A restore (the condition ended) is for information: priority 7 unless its
category is already less urgent.

Every record is made to fit the alarm table before it leaves here (:func:`fitted`):
texts are cut to their columns and cleared of what a database refuses (NUL, lone
surrogates), and a number no column holds makes the record unreadable. A record the
database refuses all the same is stored as :func:`refused` gives it.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from uuid6 import uuid7

from stadsvakt.alarms.protocols.events import NUMBER_MAX, Category, ParsedEvent, Qualifier

PRIORITY: dict[Category, int] = {
    Category.FIRE: 1,
    Category.HOLD_UP: 1,
    Category.MEDICAL: 2,
    Category.SOCIAL: 2,
    Category.INTRUSION: 3,
    Category.UNKNOWN: 4,
    Category.TAMPER: 4,
    Category.TECHNICAL: 5,
    Category.FAULT: 6,
    Category.OPEN_CLOSE: 8,
    Category.TEST: 9,
    Category.OTHER: 9,
}
RESTORE_PRIORITY = 7
#: A re-sent frame is recognised for at least this long (one to two UTC days).
DEDUP_BUCKET_SECONDS = 86_400
#: The widths of the alarm table's bounded text columns (a test holds them to the model).
WIDTHS: dict[str, int] = {
    "protocol": 20,
    "account": 16,
    "sequence": 8,
    "code": 16,
    "description": 200,
    "text": 500,
}
#: The alarm table's integer columns, each bounded by ``NUMBER_MAX``.
NUMBERS = ("zone", "user_number", "partition")
_SURROGATE = re.compile("[\ud800-\udfff]")


def priority(category: Category, qualifier: Qualifier) -> int:
    """The priority of an event of this category and qualifier."""
    base = PRIORITY[category]
    return max(base, RESTORE_PRIORITY) if qualifier is Qualifier.RESTORE else base


@dataclass(frozen=True, slots=True)
class Source:
    """Where a message came from: the registered transmitter and its site."""

    tenant_id: uuid.UUID
    site_id: uuid.UUID | None
    transmitter_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class AlarmRecord:
    """One alarm ready to be stored: what every input (DC-09, SCAIP, JSON) hands the store.

    ``dedup_keys`` are the key of this copy and the key the same message would
    have had in the previous time bucket; the store treats a hit on either as a
    re-send.
    """

    id: uuid.UUID
    source: Source
    protocol: str
    account: str
    sequence: str | None
    received_at: datetime
    event_time: datetime | None
    category: Category
    priority: int
    code: str
    description: str
    qualifier: Qualifier
    zone: int | None
    user_number: int | None
    partition: int | None
    text: str | None
    encrypted: bool
    payload: str
    raw: bytes
    dedup_keys: tuple[str, str]


def dedup_keys(
    identity: str, sequence: str | None, content: str, index: int, received_at: datetime
) -> tuple[str, str]:
    """Keys for (sender, sequence, content, event index) in this and the previous bucket.

    ``content`` is the decrypted data (not the pad, not the timestamp), so a panel's
    retry with a fresh pad or a new timestamp is still the same message.
    """
    bucket = int(received_at.timestamp()) // DEDUP_BUCKET_SECONDS
    digest = hashlib.sha256(content.encode("utf-8", "surrogateescape")).hexdigest()
    base = f"{identity}|{sequence or ''}|{digest}|{index}|"
    return (
        hashlib.sha256(f"{base}{bucket}".encode()).hexdigest(),
        hashlib.sha256(f"{base}{bucket - 1}".encode()).hexdigest(),
    )


@dataclass(frozen=True, slots=True)
class Envelope:
    """What every event of one message shares: sender, times, and the message as received.

    ``payload`` is the event data as text (decrypted when the message was
    encrypted); ``raw`` the message's bytes exactly as they arrived.
    """

    source: Source
    protocol: str
    account: str
    sequence: str | None
    received_at: datetime
    event_time: datetime | None
    encrypted: bool
    payload: str
    raw: bytes

    def dedup_keys(self, index: int) -> tuple[str, str]:
        """The dedup keys of the ``index``-th event of this message."""
        identity = str(self.source.transmitter_id or f"{self.source.tenant_id}:{self.account}")
        return dedup_keys(identity, self.sequence, self.payload, index, self.received_at)


def _record(
    envelope: Envelope,
    index: int,
    *,
    category: Category,
    qualifier: Qualifier,
    code: str,
    description: str,
    zone: int | None = None,
    user_number: int | None = None,
    partition: int | None = None,
    text: str | None = None,
) -> AlarmRecord:
    record = AlarmRecord(
        # Time-ordered (UUIDv7): new alarms go to the end of the primary key's index,
        # not to a random page of it, so a commit writes fewer pages.
        id=uuid7(),
        source=envelope.source,
        protocol=envelope.protocol,
        account=envelope.account,
        sequence=envelope.sequence,
        received_at=envelope.received_at,
        event_time=envelope.event_time,
        category=category,
        priority=priority(category, qualifier),
        code=code,
        description=description,
        qualifier=qualifier,
        zone=zone,
        user_number=user_number,
        partition=partition,
        text=text or None,
        encrypted=envelope.encrypted,
        payload=envelope.payload,
        raw=envelope.raw,
        dedup_keys=envelope.dedup_keys(index),
    )
    return fitted(record)


def from_event(event: ParsedEvent, envelope: Envelope, index: int) -> AlarmRecord:
    """An alarm record for the ``index``-th event of a message."""
    return _record(
        envelope,
        index,
        category=event.category,
        qualifier=event.qualifier,
        code=event.code,
        description=event.description,
        zone=event.zone,
        user_number=event.user,
        partition=event.partition,
        text=event.text,
    )


def storable(text: str) -> str:
    """``text`` without what a database refuses: NUL (PostgreSQL) and lone surrogates
    (no UTF-8 encoder takes them); each becomes U+FFFD. The raw bytes keep the original."""
    if "\x00" not in text and (text.isascii() or _SURROGATE.search(text) is None):
        return text
    return _SURROGATE.sub("\ufffd", text).replace("\x00", "\ufffd")


def fitted(record: AlarmRecord) -> AlarmRecord:
    """``record`` as the alarm table holds it (the same record when it already fits).

    Texts are made storable and cut to their columns; a number outside 0 to
    ``NUMBER_MAX`` makes the record unreadable (its frame and payload still kept).
    """
    changes: dict[str, Any] = {}
    for name, width in WIDTHS.items():
        value = getattr(record, name)
        if value is not None and (fixed := storable(value)[:width]) != value:
            changes[name] = fixed
    if (payload := storable(record.payload)) != record.payload:
        changes["payload"] = payload
    wide = [
        f"{name} {value} is outside 0-{NUMBER_MAX}"
        for name in NUMBERS
        if (value := getattr(record, name)) is not None and not 0 <= value <= NUMBER_MAX
    ]
    if wide:
        return refused(replace(record, **changes), "; ".join(wide))
    return replace(record, **changes) if changes else record


def refused(record: AlarmRecord, reason: str) -> AlarmRecord:
    """The unreadable copy of a record that cannot be stored as it is.

    Same id, sender, times, payload, raw frame and dedup keys (a re-send is still
    recognised); what came from the event data is dropped, and ``reason`` says why.
    """
    return replace(
        record,
        category=Category.UNKNOWN,
        priority=priority(Category.UNKNOWN, Qualifier.NEW),
        code="",
        description=storable(f"Unreadable event data: {reason}")[: WIDTHS["description"]],
        qualifier=Qualifier.NEW,
        zone=None,
        user_number=None,
        partition=None,
        text=None,
    )


def unreadable(detail: str, envelope: Envelope) -> AlarmRecord:
    """An ``unknown`` alarm for event data that does not follow its grammar.

    The frame itself was intact (CRC, length, and the key when encrypted), so the
    event is stored for an operator rather than refused: a refusal would make the
    panel re-send the same data forever and the alarm would never be seen.
    """
    return _record(
        envelope,
        0,
        category=Category.UNKNOWN,
        qualifier=Qualifier.NEW,
        code="",
        description=f"Unreadable event data: {detail}",
    )
