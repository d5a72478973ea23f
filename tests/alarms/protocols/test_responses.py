"""ACK, NAK and DUH frames: format, CRC/length, echo, and encryption of *ACK."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stadsvakt.alarms.protocols.dc09 import _crypto, responses
from stadsvakt.alarms.protocols.dc09.builder import build_frame
from stadsvakt.alarms.protocols.dc09.crc import crc16
from stadsvakt.alarms.protocols.dc09.header import Dc09Header, Token, wrap
from stadsvakt.alarms.protocols.dc09.message import Dc09Message
from stadsvakt.alarms.protocols.errors import (
    CrcMismatch,
    TimestampOutOfWindow,
    UnknownAccount,
)

NOW = datetime(2019, 5, 7, 15, 39, 35, tzinfo=UTC)
KEY = b"0123456789ABCDEF"


def content_of(frame: bytes) -> bytes:
    """The part covered by CRC and length, after checking both."""
    assert frame[:1] == b"\n" and frame[-1:] == b"\r"
    content = frame[9:-1]
    assert int(frame[5:9], 16) == len(content)
    assert int(frame[1:5], 16) == crc16(content)
    return content


def test_nak_matches_a_published_nak() -> None:
    # ioBroker.sia's NAK from its issue #11 log, same receiver time.
    assert responses.nak(NOW) == b'\n3C3B0025"NAK"0000R0L0A0[]_15:39:35,05-07-2019\r'


def test_ack_echoes_sequence_receiver_line_and_account() -> None:
    frame = build_frame(Token.SIA_DCS, 1707, "0000", receiver="1A", line="", data="Nri0/RP0000")
    ack = responses.ack(Dc09Message.parse(frame, lambda *_: None, NOW), now=NOW)
    assert content_of(ack) == b'"ACK"1707R1AL#0000[]'


def test_ack_without_receiver_or_line() -> None:
    header = Dc09Header("NULL", False, "0001", None, None, "ABC")
    assert content_of(responses.ack_header(header, now=NOW)) == b'"ACK"0001#ABC[]'


def test_encrypted_ack_decrypts_to_receiver_time_with_fresh_pad() -> None:
    frame = build_frame(Token.NULL, 5, "ABC", timestamp=NOW, key=KEY)
    message = Dc09Message.parse(frame, lambda *_: KEY, NOW)
    first = responses.ack(message, now=NOW, key=KEY)
    second = responses.ack(message, now=NOW, key=KEY)
    assert first != second  # random pad: equal plaintexts never repeat on the wire
    for ack in (first, second):
        content = content_of(ack).decode()
        assert content.startswith('"*ACK"0005L0#ABC[')
        plaintext = _crypto.decrypt(KEY, content.split("[", 1)[1])
        assert plaintext.split("|", 1)[1] == "]_15:39:35,05-07-2019"


def test_encrypted_ack_needs_the_key() -> None:
    header = Dc09Header("NULL", True, "0001", None, "0", "ABC")
    with pytest.raises(ValueError, match="key"):
        responses.ack_header(header, now=NOW)


def test_duh_echoes_header() -> None:
    header = Dc09Header("SIA-DCX", False, "0042", "2", "3", "ABCD")
    assert content_of(responses.duh(header)) == b'"DUH"0042R2L3#ABCD[]'


def test_binary_crc_request_gets_binary_crc_reply() -> None:
    header = Dc09Header("NULL", False, "0000", "8", "0", "41213", crc_binary=True)
    reply = responses.ack_header(header, now=NOW)
    content = reply[7:-1]
    assert reply[1:3] == crc16(content).to_bytes(2, "big")
    assert content == b'"ACK"0000R8L0#41213[]'


def test_reply_to_errors() -> None:
    header = Dc09Header("*NULL", True, "0001", None, "0", "ABC")
    assert responses.reply_to_error(UnknownAccount("x", header=header), NOW).find(b'"DUH"') > 0
    assert responses.reply_to_error(CrcMismatch("x"), NOW) == responses.nak(NOW)
    late = datetime(2030, 1, 1, tzinfo=UTC)
    window = TimestampOutOfWindow("x", receiver_time=late, message_time=NOW, header=header)
    assert responses.reply_to_error(window, NOW) == responses.nak(late)


def test_wrap_refuses_content_beyond_length_field() -> None:
    with pytest.raises(ValueError):
        wrap(b"x" * 0x1000)
