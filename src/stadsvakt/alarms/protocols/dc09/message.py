"""Parsing one DC-09 frame into a typed, validated :class:`Dc09Message`.

Checks, in order: envelope (CRC and length fields), length, CRC, header (ID token,
sequence, receiver, line prefix, account), decryption for ``*`` tokens, block
structure, and the timestamp window. Each failure raises its own
:class:`~stadsvakt.alarms.protocols.errors.ProtocolError` subclass.

Tolerated quirks of real panels: the CRC as two binary bytes instead of four hex
digits, a bare ``L`` or ``L000`` line prefix, no receiver field, a missing LF/CR
(UDP payloads, logs), x-data in Windows-1252 (decoded byte-for-byte as latin-1),
and binary pad characters in encrypted frames.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from stadsvakt.alarms.protocols import contact_id, sia_codes
from stadsvakt.alarms.protocols.dc09 import _crypto
from stadsvakt.alarms.protocols.dc09.crc import crc16
from stadsvakt.alarms.protocols.dc09.header import Dc09Header, Token, parse_timestamp
from stadsvakt.alarms.protocols.errors import (
    CrcMismatch,
    DecryptionFailed,
    LengthMismatch,
    MalformedFrame,
    MissingTimestamp,
    ProtocolError,
    TimestampOutOfWindow,
    UnknownAccount,
    UnknownToken,
)
from stadsvakt.alarms.protocols.events import ParsedEvent

#: ``(account, receiver, line) -> key``: the AES key for a transmitter, or ``None``.
KeyLookup = Callable[[str, str | None, str | None], bytes | None]

_HEX_ENVELOPE = re.compile(rb"[0-9A-Fa-f]{8}")
_HEX_LENGTH = re.compile(rb"[0-9A-Fa-f]{4}")
_TOKEN = re.compile(r'"(\*?)([^"]{1,32})"')
_ROUTING = re.compile(
    # DC-09 numbers frames 0001-9999 in decimal; some diallers (dc09-spt) count in hex
    # (0009, 000A, ...). Accepting the hex digits costs nothing and echoing them as sent
    # keeps such a dialler working instead of NAKing its tenth frame forever.
    r"(?P<seq>[0-9A-Fa-f]{4})"
    r"(?:R(?P<rcv>[0-9A-Fa-f]{1,6}))?"
    r"(?:L(?P<line>[0-9A-Fa-f]{0,6}))?"
    r"#(?P<acct>[0-9A-Fa-f]{3,16})\["
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOKENS = frozenset(token.value for token in Token)


@dataclass(frozen=True, slots=True)
class TimestampWindow:
    """How far a frame's timestamp may lie behind (``past``) or ahead of receiver time."""

    past: timedelta = timedelta(seconds=40)
    future: timedelta = timedelta(seconds=20)

    def check(self, message_time: datetime, now: datetime, header: Dc09Header) -> None:
        """Raise :class:`TimestampOutOfWindow` when ``message_time`` is outside the window."""
        offset = message_time - now
        if offset < -self.past or offset > self.future:
            raise TimestampOutOfWindow(
                f"timestamp {message_time:%Y-%m-%d %H:%M:%S} is {offset.total_seconds():+.0f} s "
                f"from receiver time (window -{self.past.total_seconds():.0f}"
                f"/+{self.future.total_seconds():.0f} s)",
                receiver_time=now,
                message_time=message_time,
                header=header,
            )


DEFAULT_WINDOW = TimestampWindow()


@dataclass(frozen=True, slots=True)
class ExtendedData:
    """One ``[X…]`` block after the data: identifier letter and value (e.g. ``M`` MAC)."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class Dc09Message:
    """A validated DC-09 frame; ``raw`` is the frame exactly as received."""

    header: Dc09Header
    token: Token
    data: str
    extended: tuple[ExtendedData, ...]
    timestamp: datetime | None
    crc: int
    length: int
    raw: bytes

    @property
    def encrypted(self) -> bool:
        """Whether the frame used a ``*`` token."""
        return self.header.encrypted

    @property
    def sequence(self) -> str:
        """The four-digit sequence number, as sent."""
        return self.header.sequence

    @property
    def receiver(self) -> str | None:
        """Hex digits of the receiver field, or ``None`` if absent."""
        return self.header.receiver

    @property
    def line(self) -> str | None:
        """Hex digits of the line prefix (``""`` for a bare ``L``), or ``None`` if absent."""
        return self.header.line

    @property
    def account(self) -> str:
        """The account (3–16 hex digits) from the header."""
        return self.header.account

    @classmethod
    def parse(
        cls,
        frame: bytes,
        keys: KeyLookup,
        now: datetime,
        *,
        window: TimestampWindow = DEFAULT_WINDOW,
    ) -> Dc09Message:
        """Parse and validate one frame (with or without its LF and CR) at receiver time ``now``."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware (UTC)")
        crc, length, content, crc_binary = _split_envelope(frame)
        if length != len(content):
            raise LengthMismatch(f"length field says {length} bytes, content has {len(content)}")
        actual = crc16(content)
        if crc != actual:
            raise CrcMismatch(f"CRC field is {crc:04X}, content gives {actual:04X}")
        text = content.decode("latin-1")  # one char per byte: never fails, CRC already done
        header, rest = _parse_header(text, crc_binary)
        token = Token(header.token)
        if header.encrypted:
            data, extended, stamp = _decrypt_body(rest, header, keys)
            if stamp is None:
                raise MissingTimestamp("an encrypted frame must carry a timestamp", header=header)
        else:
            data, extended, stamp = _parse_body(rest, header)
        timestamp = None
        if stamp is not None:
            try:
                timestamp = parse_timestamp(stamp)
            except ProtocolError as exc:
                exc.header = header
                raise
            window.check(timestamp, now, header)
        return cls(header, token, data, extended, timestamp, crc, length, bytes(frame))

    def events(self) -> tuple[ParsedEvent, ...]:
        """The events in the data block (none for ``NULL``); raises ``MalformedContent``."""
        if self.token is Token.SIA_DCS:
            return sia_codes.parse_sia_data(self.data).events
        if self.token is Token.ADM_CID:
            return (contact_id.parse_adm_cid(self.data),)
        return ()


def _split_envelope(frame: bytes) -> tuple[int, int, bytes, bool]:
    """``(crc, length, content, crc_binary)`` after stripping LF and CR."""
    body = frame[1:] if frame[:1] == b"\n" else frame
    body = body[:-1] if body[-1:] == b"\r" else body
    if body[8:9] == b'"' and _HEX_ENVELOPE.fullmatch(body[:8]):
        return int(body[:4], 16), int(body[4:8], 16), body[8:], False
    # Some panels (seen from OPAX) send the CRC as two binary bytes.
    if body[6:7] == b'"' and _HEX_LENGTH.fullmatch(body[2:6]):
        return int.from_bytes(body[:2], "big"), int(body[2:6], 16), body[6:], True
    raise MalformedFrame("frame does not start with CRC and 0LLL length before the ID token")


def _parse_header(text: str, crc_binary: bool) -> tuple[Dc09Header, str]:
    """The header, and the text after the ``[`` that opens the data block."""
    token_match = _TOKEN.match(text)
    if token_match is None:
        raise MalformedFrame('no quoted ID token such as "SIA-DCS" after the length')
    star, token = token_match.groups()
    routing = _ROUTING.match(text, token_match.end())
    header = None
    if routing is not None:
        header = Dc09Header(
            token=token,
            encrypted=bool(star),
            sequence=routing["seq"],
            receiver=routing["rcv"],
            line=routing["line"],
            account=routing["acct"],
            crc_binary=crc_binary,
        )
    if token not in _TOKENS:
        raise UnknownToken(f"ID token {star}{token!r} is not supported", header=header)
    if header is None or routing is None:
        raise MalformedFrame(
            "after the ID token expected seq (4 digits, decimal or hex), optional Rrcvr, Lpref, "
            "#acct (3-16 hex digits) and '['"
        )
    return header, text[routing.end() :]


def _parse_body(body: str, header: Dc09Header) -> tuple[str, tuple[ExtendedData, ...], str | None]:
    """Split ``data]`` ``[x-data]…`` ``_timestamp`` into its parts."""
    end = body.find("]")
    if end < 0:
        raise MalformedFrame("data block has no closing ']'", header=header)
    data = body[:end]
    extended: list[ExtendedData] = []
    pos = end + 1
    while body.startswith("[", pos):
        close = body.find("]", pos)
        if close < 0 or close == pos + 1:
            raise MalformedFrame("extended data block is empty or not closed", header=header)
        item = body[pos + 1 : close]
        extended.append(ExtendedData(item[0], item[1:]))
        pos = close + 1
    stamp = body[pos:] or None
    if stamp is not None and not stamp.startswith("_"):
        raise MalformedFrame(f"unexpected text {stamp[:20]!r} after the data", header=header)
    values = [data, *(item.kind + item.value for item in extended)]
    if any("[" in value or _CONTROL.search(value) for value in values):
        raise MalformedFrame("control characters or '[' inside a block", header=header)
    return data, tuple(extended), stamp


def _decrypt_body(
    hex_text: str, header: Dc09Header, keys: KeyLookup
) -> tuple[str, tuple[ExtendedData, ...], str | None]:
    """Decrypt, drop the pad, and split the plaintext like an unencrypted body."""
    key = keys(header.account, header.receiver, header.line)
    if key is None:
        raise UnknownAccount(f"no key for account {header.account}", header=header)
    try:
        plaintext = _crypto.decrypt(key, hex_text)
    except ProtocolError as exc:
        exc.header = header
        raise
    # The pad never contains '|', so the first '|' ends it. A pad with no '|' at all
    # (seen in real *NULL frames) is followed directly by the empty data's ']'.
    bar = plaintext.find("|")
    body = plaintext[bar + 1 :] if bar >= 0 else plaintext[max(plaintext.find("]"), 0) :]
    try:
        return _parse_body(body, header)
    except MalformedFrame:
        # Wrong keys produce random bytes; say so rather than blame the format.
        raise DecryptionFailed(
            "decrypted text has no DC-09 structure (wrong key?)", header=header
        ) from None
