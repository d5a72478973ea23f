"""From a JSON body to alarm records; pure, no I/O, shared by the HTTP and MQTT inputs.

:func:`parse` checks a body against the schema and keeps each message's bytes as
received (a batch is cut into its elements, each verbatim). :func:`to_record` maps an
alarm message to an :class:`~stadsvakt.alarms.normalise.AlarmRecord`: the category
comes from the code table, or the sender's category for a code not in it, or
``unknown``. A re-send is recognised by transmitter, ``message_id`` and content: the
content is the message in a canonical form (keys sorted, defaults filled in, times in
UTC), so spacing, key order or an omitted default do not make it look new.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from stadsvakt.alarms.inputs.codes import lookup
from stadsvakt.alarms.inputs.schema import (
    BODY,
    MAX_BODY_BYTES,
    AlarmMessage,
    AlarmQualifier,
    HeartbeatMessage,
    InputResult,
    InvalidMessage,
)
from stadsvakt.alarms.normalise import AlarmRecord, Source, dedup_keys, fitted, priority
from stadsvakt.alarms.protocols.events import Category, Qualifier
from stadsvakt.alarms.store import Stored

PROTOCOL = "json"
_QUALIFIERS = {AlarmQualifier.NEW: Qualifier.NEW, AlarmQualifier.RESTORE: Qualifier.RESTORE}


@dataclass(frozen=True, slots=True)
class Item:
    """One message of a body, with its bytes as received.

    ``index`` is its place in a batch, or ``None`` when the body was one message;
    error messages name fields with it (``3.account``).
    """

    message: AlarmMessage | HeartbeatMessage
    raw: bytes
    index: int | None

    def field(self, name: str) -> str:
        """A field's name in error messages."""
        return name if self.index is None else f"{self.index}.{name}"

    @property
    def account(self) -> str:
        """The account, upper case as the registry keeps it."""
        return self.message.account.upper()


def parse(raw: bytes) -> list[Item]:
    """The messages of a body, or :class:`InvalidMessage` naming each broken rule."""
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidMessage.single(
            "body", "too_large", f"at most {MAX_BODY_BYTES} bytes", reason="too_large"
        )
    try:
        parsed = BODY.validate_json(raw)
    except ValidationError as exc:
        raise InvalidMessage.from_validation(exc) from None
    if not isinstance(parsed, list):
        return [Item(parsed, raw, None)]
    pieces = split_batch(raw)
    if pieces is None or len(pieces) != len(parsed):
        # The two JSON parsers disagree on this body; keep each message in canonical form.
        pieces = [canonical(message).encode() for message in parsed]
    pairs = zip(parsed, pieces, strict=True)
    return [Item(message, piece, i) for i, (message, piece) in enumerate(pairs)]


def split_batch(raw: bytes) -> list[bytes] | None:
    """The elements of a JSON array, each exactly as written; ``None`` if it is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    if pos >= len(text) or text[pos] != "[":
        return None
    pos = _skip(text, pos + 1)
    pieces: list[bytes] = []
    while pos < len(text) and text[pos] != "]":
        try:
            _, end = decoder.raw_decode(text, pos)
        except ValueError:
            return None
        pieces.append(text[pos:end].encode("utf-8"))
        pos = _skip(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
    return pieces


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def canonical(message: AlarmMessage | HeartbeatMessage) -> str:
    """The message as compact JSON with sorted keys and defaults filled in."""
    return json.dumps(
        message.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def classify(message: AlarmMessage) -> tuple[Category, str, str]:
    """Category, stored code and description (English, as the other inputs store them)."""
    known = lookup(message.code)
    restored = message.qualifier is AlarmQualifier.RESTORE
    if known is not None:
        description = f"{known.en} - restored" if restored else known.en
        return known.category, message.code.lower(), description
    category = message.category or Category.UNKNOWN
    description = f"Code {message.code} (not in the code table)"
    return category, message.code, f"{description} - restored" if restored else description


def to_record(
    message: AlarmMessage, raw: bytes, source: Source, received_at: datetime
) -> AlarmRecord:
    """The alarm record of one alarm message from a registered transmitter."""
    category, code, description = classify(message)
    qualifier = _QUALIFIERS[message.qualifier]
    content = canonical(message)
    identity = str(source.transmitter_id or f"{source.tenant_id}:{message.account.upper()}")
    record = AlarmRecord(
        id=uuid.uuid4(),
        source=source,
        protocol=PROTOCOL,
        account=message.account.upper(),
        # The sender's message_id is longer than the sequence column; it is in the payload
        # and in the dedup key instead.
        sequence=None,
        received_at=received_at,
        event_time=message.event_time,
        category=category,
        priority=priority(category, qualifier),
        code=code,
        description=description,
        qualifier=qualifier,
        zone=message.zone,
        user_number=None,
        partition=None,
        text=message.text,
        encrypted=False,
        payload=content,
        raw=raw,
        dedup_keys=dedup_keys(identity, message.message_id, content, 0, received_at),
    )
    # The schema already bounds every field; this holds the record to the table anyway.
    return fitted(record)


def results(
    items: Sequence[Item], records: Sequence[AlarmRecord | None], stored: Sequence[Stored]
) -> list[InputResult]:
    """One result per item; ``records`` has ``None`` for heartbeats, ``stored`` one per record."""
    answers = iter(stored)
    out: list[InputResult] = []
    for item, record in zip(items, records, strict=True):
        if record is None:
            out.append(
                InputResult(
                    kind="heartbeat",
                    account=item.account,
                    message_id=item.message.message_id,
                    alarm_id=None,
                    duplicate=False,
                    category=None,
                    priority=None,
                )
            )
            continue
        answer = next(answers)
        out.append(
            InputResult(
                kind="alarm",
                account=item.account,
                message_id=item.message.message_id,
                alarm_id=answer.alarm_id,
                duplicate=answer.duplicate,
                category=record.category,
                priority=record.priority,
            )
        )
    return out
