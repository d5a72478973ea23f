"""One DC-09 frame in, one reply out: parse, look up, store, then acknowledge.

The reply follows DC-09: ``ACK`` (``*ACK`` for an encrypted frame) once the events
are committed, also for a re-sent frame already stored; ``NAK`` with the
receiver's time for a damaged frame, a timestamp outside the window, or when the
database cannot take the alarm (the panel will try again); ``DUH`` for an
unsupported token or an account the registry does not know. Every refusal is
counted by reason and logged.

An intact frame whose event data cannot be read (against its grammar, a number no
column holds, or a parser's own failure) is stored as unreadable and ACKed: refused,
the panel would send it again forever. Before a frame is refused for what the
registry says (unknown account, wrong key, "encrypted only"), the registry is read
once more (:meth:`~stadsvakt.alarms.lookup.TransmitterDirectory.recheck`), so a
panel registered or re-keyed a moment ago is served on its first frame.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from stadsvakt.alarms.lookup import KnownTransmitter, TransmitterDirectory
from stadsvakt.alarms.metrics import FRAMES, REJECTED, UNREADABLE, Metrics
from stadsvakt.alarms.normalise import AlarmRecord, Envelope, Source, from_event, unreadable
from stadsvakt.alarms.protocols.dc09.header import Token
from stadsvakt.alarms.protocols.dc09.message import Dc09Message, TimestampWindow
from stadsvakt.alarms.protocols.dc09.responses import ack, nak, reply_to_error
from stadsvakt.alarms.protocols.errors import (
    DecryptionFailed,
    EncryptionRequired,
    MalformedContent,
    ProtocolError,
    UnknownAccount,
)
from stadsvakt.alarms.receivers.writer import AlarmWriter
from stadsvakt.alarms.store import describe
from stadsvakt.db import utcnow

log = logging.getLogger(__name__)

_PROTOCOLS = {Token.SIA_DCS: "dc09-sia", Token.ADM_CID: "dc09-cid", Token.NULL: "dc09-null"}
#: Refusals that follow from the registry, which may have changed since it was read.
_REGISTRY_REFUSALS = (UnknownAccount, DecryptionFailed, EncryptionRequired)


class Dc09Handler:
    """Turns frames into replies; shared by the TCP and UDP transports."""

    def __init__(
        self,
        directory: TransmitterDirectory,
        writer: AlarmWriter,
        metrics: Metrics,
        *,
        window: TimestampWindow,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._directory = directory
        self._writer = writer
        self._metrics = metrics
        self._window = window
        self._clock = clock

    def reject(self, reason: str, reply: str, transport: str, peer: str, detail: str) -> None:
        """Count and log a refused frame or connection."""
        self._metrics.inc(REJECTED, reason=reason, reply=reply, transport=transport)
        log.info("dc09 %s from %s refused (%s, %s): %s", transport, peer, reason, reply, detail)

    def refuse(self, error: ProtocolError, now: datetime, transport: str, peer: str) -> bytes:
        """The reply DC-09 gives for ``error``, counted and logged."""
        reply = reply_to_error(error, now)
        kind = "DUH" if error.reply == "DUH" and error.header is not None else "NAK"
        self.reject(error.reason, kind, transport, peer, error.detail)
        return reply

    async def handle(self, frame: bytes, transport: str, peer: str) -> bytes:
        """The reply to one frame; returns only after any alarm in it is committed."""
        now = self._clock()
        try:
            try:
                message, known = self._accept(frame, now)
            except _REGISTRY_REFUSALS:
                # Registered, re-keyed or changed a moment ago? Read the registry again.
                await self._directory.recheck()
                message, known = self._accept(frame, now)
        except ProtocolError as exc:
            return self.refuse(exc, now, transport, peer)
        self._metrics.inc(FRAMES, transport=transport, token=message.token.value)
        key = known.key if message.encrypted else None
        if message.token is Token.NULL:
            self._writer.seen(known.id, now)
            return ack(message, now=now, key=key)
        try:
            await self._writer.store(self._records(message, known, now))
        except Exception as exc:  # the database is unavailable: the panel must retry
            self.reject("storage", "NAK", transport, peer, f"alarm not stored: {describe(exc)}")
            return nak(now, crc_binary=message.header.crc_binary)
        return ack(message, now=now, key=key)

    def _accept(self, frame: bytes, now: datetime) -> tuple[Dc09Message, KnownTransmitter]:
        """The parsed frame and its registered transmitter; raises ``ProtocolError``."""
        message = Dc09Message.parse(frame, self._directory.key_for, now, window=self._window)
        known = self._directory.find(message.account, message.receiver, message.line)
        if known is None:
            raise UnknownAccount(
                f"account {message.account} is not registered", header=message.header
            )
        if known.encrypted_only and not message.encrypted:
            raise EncryptionRequired(
                f"account {message.account} must send encrypted frames", header=message.header
            )
        return message, known

    def _records(
        self, message: Dc09Message, known: KnownTransmitter, now: datetime
    ) -> list[AlarmRecord]:
        envelope = Envelope(
            source=Source(known.tenant_id, known.site_id, known.id),
            protocol=_PROTOCOLS[message.token],
            account=message.account,
            sequence=message.sequence,
            received_at=now,
            event_time=message.timestamp,
            encrypted=message.encrypted,
            payload=_payload(message),
            raw=message.raw,
        )
        try:
            events = message.events()
        except MalformedContent as exc:
            self._metrics.inc(UNREADABLE, reason=exc.reason)
            return [unreadable(exc.detail, envelope)]
        except Exception as exc:  # a parser's own failure: still an intact, authentic frame
            self._metrics.inc(UNREADABLE, reason="parser")
            log.warning(
                "dc09 account %s: event data not parsed: %s", message.account, describe(exc)
            )
            return [unreadable(f"the parser failed ({type(exc).__name__})", envelope)]
        if not events:
            return [unreadable("no event in the data block", envelope)]
        return [from_event(event, envelope, index) for index, event in enumerate(events)]


def _payload(message: Dc09Message) -> str:
    """The data and extended-data blocks as text (decrypted), for operators and dedup."""
    extended = "".join(f"[{item.kind}{item.value}]" for item in message.extended)
    return f"[{message.data}]{extended}"
