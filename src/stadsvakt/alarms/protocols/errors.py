"""Protocol errors: one base, one subclass per failure kind.

Every parser in :mod:`stadsvakt.alarms.protocols` raises only these. Each class has a
stable ``reason`` (used as a metrics label and in logs) and the ``reply`` the DC-09
standard prescribes for it (``NAK`` or ``DUH``), so a receiver can answer and count a
rejected frame without a table of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:  # only for annotations: the header module imports this one
    from stadsvakt.alarms.protocols.dc09.header import Dc09Header

Reply = Literal["NAK", "DUH"]


class ProtocolError(ValueError):
    """Base of every parse failure; ``reason`` is stable, ``reply`` is the DC-09 answer."""

    reason: ClassVar[str] = "protocol_error"
    reply: ClassVar[Reply] = "NAK"

    def __init__(self, detail: str, *, header: Dc09Header | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        # The parsed header, when parsing got that far, so a DUH can echo it.
        self.header = header


class FramingError(ProtocolError):
    """The bytes are not a DC-09 frame (no LF … CR structure)."""

    reason = "framing"


class FrameTooLarge(FramingError):
    """A frame exceeded the configured maximum size."""

    reason = "frame_too_large"


class MalformedFrame(ProtocolError):
    """The frame's header or block structure does not follow DC-09."""

    reason = "format"


class CrcMismatch(ProtocolError):
    """The CRC in the frame does not match the CRC of its content."""

    reason = "crc"


class LengthMismatch(ProtocolError):
    """The length field does not match the length of the content."""

    reason = "length"


class UnknownToken(ProtocolError):
    """The ID token (e.g. ``"SIA-DCS"``) is not one this receiver supports."""

    reason = "unknown_token"
    reply = "DUH"


class UnknownAccount(ProtocolError):
    """An encrypted frame arrived for an account with no key."""

    reason = "unknown_account"
    reply = "DUH"


class InvalidKey(ProtocolError):
    """The configured key is not 16, 24 or 32 bytes long."""

    reason = "invalid_key"


class DecryptionFailed(ProtocolError):
    """The encrypted part is not valid ciphertext, or decrypts to nonsense (wrong key)."""

    reason = "decryption"


class InvalidTimestamp(ProtocolError):
    """The timestamp is not ``_HH:MM:SS,MM-DD-YYYY`` or names an impossible time."""

    reason = "timestamp_format"


class MissingTimestamp(ProtocolError):
    """An encrypted frame carried no timestamp; DC-09 requires one."""

    reason = "timestamp_missing"


class TimestampOutOfWindow(ProtocolError):
    """The frame's timestamp is too old or too far ahead; a replay is never ACKed."""

    reason = "timestamp_window"

    def __init__(
        self,
        detail: str,
        *,
        receiver_time: datetime,
        message_time: datetime,
        header: Dc09Header | None = None,
    ) -> None:
        super().__init__(detail, header=header)
        # The NAK carries the receiver's time so the panel can correct its clock.
        self.receiver_time = receiver_time
        self.message_time = message_time


class MalformedContent(ProtocolError):
    """An event block (SIA or Contact ID data) does not follow its grammar."""

    reason = "content"


class ContactIdChecksumError(MalformedContent):
    """A raw 16-digit Contact ID message failed its mod-15 checksum."""

    reason = "cid_checksum"


class EncryptionRequired(ProtocolError):
    """A plain frame came from a transmitter registered as "encrypted only"."""

    reason = "encryption_required"
    reply = "DUH"
