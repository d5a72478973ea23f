"""Protocol errors: one base, one subclass per failure kind.

Every parser in :mod:`stadsvakt.alarms.protocols` raises only these. Each class has a
stable ``reason`` (used as a metrics label and in logs) and the ``reply`` the DC-09
standard prescribes for it (``NAK`` or ``DUH``), so a receiver can answer and count a
rejected frame without a table of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

Reply = Literal["NAK", "DUH"]


class ProtocolError(ValueError):
    """Base of every parse failure; ``reason`` is stable, ``reply`` is the DC-09 answer."""

    reason: ClassVar[str] = "protocol_error"
    reply: ClassVar[Reply] = "NAK"

    def __init__(self, detail: str, *, header: object | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        # The parsed header (a DC-09 ``Dc09Header``), when parsing got that far, so a DUH
        # can echo it. Typed as ``object``: errors know no parser's types (the parsers
        # import this module), so a reader narrows it with ``isinstance``.
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
        header: object | None = None,
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


# --- SIP and SCAIP (social-care alarms, SS 91100) -------------------------------------
# A SIP failure is answered with a SIP status (``status``); a SCAIP failure inside an
# intact MESSAGE is answered 200 OK with an ``<mrs>`` whose status number is ``snu``,
# as SCAIP defines one per kind. ``reply`` (a DC-09 notion) does not apply to them.


class SipError(ProtocolError):
    """The bytes are not a SIP message this receiver can take; ``status`` is the answer."""

    reason = "sip_format"
    status: ClassVar[int] = 400

    def __init__(self, detail: str, *, request: object | None = None) -> None:
        super().__init__(detail)
        # The request as far as it was parsed (a ``SipRequest``: start line and headers),
        # so the error response can copy Via, From, To, Call-ID and CSeq; narrowed by the
        # reader with ``isinstance``, as ``header`` above.
        self.request = request


class SipHeaderTooLarge(SipError):
    """The start line and headers exceed the configured bound."""

    reason = "header_too_large"
    status = 513


class SipBodyTooLarge(SipError):
    """The body (or its announced Content-Length) exceeds the configured bound."""

    reason = "body_too_large"
    status = 413


class ScaipError(ProtocolError):
    """A SCAIP body that is not a safe, well-formed ``<mrq>``; answered 400, no ``<mrs>``."""

    reason = "scaip_xml"
    #: The ``<snu>`` of the 200 OK that reports it, or ``None`` for a SIP 400.
    snu: ClassVar[int | None] = None


class ScaipXmlForbidden(ScaipError):
    """The body declares a DTD or entities (billion laughs, external entities)."""

    reason = "xml_forbidden"


class ScaipContentError(ScaipError):
    """A well-formed ``<mrq>`` whose content breaks SCAIP; answered 200 with an error ``<snu>``."""

    reason = "scaip_content"
    snu = 3

    def __init__(self, detail: str, *, ref: str | None = None) -> None:
        super().__init__(detail)
        # The reference to echo in the <mrs>, when the message had a valid one.
        self.ref = ref


class ScaipMissingTag(ScaipContentError):
    """A mandatory element (``ref``, ``cid``, ``dty``) is missing or empty."""

    reason = "mandatory_tag_missing"
    snu = 7


class ScaipBadContent(ScaipContentError):
    """An element's value breaks the SCAIP schema (pattern, length, message type)."""

    reason = "wrong_data_content"
    snu = 3
