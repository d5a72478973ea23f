"""Receiver replies: ACK, NAK and DUH frames with correct CRC and length.

* ``ACK`` echoes sequence, receiver, line prefix and account; for an encrypted
  request it is ``*ACK`` with the receiver's timestamp encrypted under the same key
  and a fresh pad.
* ``NAK`` is always ``"NAK"0000R0L0A0[]_HH:MM:SS,MM-DD-YYYY`` with the receiver's
  time, so the panel can correct its clock (DC-09 sends it unencrypted because the
  receiver may not know or trust the key).
* ``DUH`` ("unable to process") echoes the header, for unsupported tokens and
  accounts the receiver does not know.
"""

from __future__ import annotations

from datetime import datetime

from stadsvakt.alarms.protocols.dc09 import _crypto
from stadsvakt.alarms.protocols.dc09.header import Dc09Header, format_timestamp, wrap
from stadsvakt.alarms.protocols.dc09.message import Dc09Message
from stadsvakt.alarms.protocols.errors import ProtocolError, TimestampOutOfWindow


def ack_header(
    header: Dc09Header, *, now: datetime, key: bytes | None = None, pad: str | None = None
) -> bytes:
    """The ACK for a frame with this header (``key`` required when it was encrypted)."""
    if not header.encrypted:
        return wrap(f'"ACK"{header.routing()}[]'.encode("ascii"), crc_binary=header.crc_binary)
    if key is None:
        raise ValueError("an encrypted frame must be acknowledged with its key")
    sealed = _crypto.encrypt(key, "]" + format_timestamp(now), pad)
    body = f'"*ACK"{header.routing()}[{sealed}'
    return wrap(body.encode("ascii"), crc_binary=header.crc_binary)


def ack(
    message: Dc09Message, *, now: datetime, key: bytes | None = None, pad: str | None = None
) -> bytes:
    """The ACK for a parsed message; pass the key it was decrypted with if encrypted."""
    return ack_header(message.header, now=now, key=key, pad=pad)


def nak(now: datetime, *, crc_binary: bool = False) -> bytes:
    """A NAK carrying the receiver's time ``now``."""
    body = f'"NAK"0000R0L0A0[]{format_timestamp(now)}'
    return wrap(body.encode("ascii"), crc_binary=crc_binary)


def duh(header: Dc09Header) -> bytes:
    """A DUH echoing the request's sequence, receiver, line prefix and account."""
    return wrap(f'"DUH"{header.routing()}[]'.encode("ascii"), crc_binary=header.crc_binary)


def reply_to_error(error: ProtocolError, now: datetime) -> bytes:
    """The reply DC-09 gives for ``error``: DUH when it asks for one and a header is known."""
    header = error.header if isinstance(error.header, Dc09Header) else None
    if error.reply == "DUH" and header is not None:
        return duh(header)
    if isinstance(error, TimestampOutOfWindow):
        now = error.receiver_time
    crc_binary = header.crc_binary if header is not None else False
    return nak(now, crc_binary=crc_binary)
