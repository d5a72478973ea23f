"""Dc09Message.parse: each failure kind, the timestamp window, and the quirks we accept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stadsvakt.alarms.protocols.dc09 import _crypto
from stadsvakt.alarms.protocols.dc09.builder import adm_cid_block, build_frame, sia_block
from stadsvakt.alarms.protocols.dc09.header import Dc09Header, Token, wrap
from stadsvakt.alarms.protocols.dc09.message import (
    Dc09Message,
    ExtendedData,
    KeyLookup,
    TimestampWindow,
)
from stadsvakt.alarms.protocols.errors import (
    CrcMismatch,
    DecryptionFailed,
    InvalidKey,
    InvalidTimestamp,
    LengthMismatch,
    MalformedFrame,
    MissingTimestamp,
    TimestampOutOfWindow,
    UnknownAccount,
    UnknownToken,
)
from stadsvakt.alarms.protocols.events import Category

NOW = datetime(2024, 5, 17, 14, 6, 21, tzinfo=UTC)
KEY = bytes(range(16))


def no_keys(account: str, receiver: str | None, line: str | None) -> bytes | None:
    """A key lookup for a receiver with no encrypted transmitters."""
    return None


def key_for(key: bytes) -> KeyLookup:
    """A key lookup that returns ``key`` for every account."""
    return lambda account, receiver, line: key


def test_plain_sia_frame_with_all_fields() -> None:
    frame = build_frame(
        Token.SIA_DCS,
        42,
        "1234",
        receiver="12",
        line="3",
        data=sia_block("1234", "Nri2/BA05^Hall^"),
        extended=[ExtendedData("M", "0026B9E4268B")],
        timestamp=NOW,
    )
    message = Dc09Message.parse(frame, no_keys, NOW)
    assert (message.sequence, message.receiver, message.line, message.account) == (
        "0042",
        "12",
        "3",
        "1234",
    )
    assert message.extended == (ExtendedData("M", "0026B9E4268B"),)
    assert message.timestamp == NOW
    assert message.raw == frame
    (event,) = message.events()
    assert (event.code, event.zone, event.partition, event.text) == ("BA", 5, 2, "Hall")
    assert event.category is Category.INTRUSION


def test_plain_frame_without_timestamp_is_accepted() -> None:
    frame = build_frame(Token.NULL, 1, "ABC", line="")
    message = Dc09Message.parse(frame, no_keys, NOW)
    assert message.timestamp is None
    assert message.events() == ()


def test_contact_id_frame() -> None:
    data = adm_cid_block("1234", 1, 130, 1, 15)
    frame = build_frame(Token.ADM_CID, 7, "1234", data=data, timestamp=NOW)
    (event,) = Dc09Message.parse(frame, no_keys, NOW).events()
    assert (event.code, event.zone, event.partition) == ("130", 15, 1)


def test_frame_without_lf_and_cr_is_accepted() -> None:
    frame = build_frame(Token.NULL, 1, "ABC", timestamp=NOW)
    assert Dc09Message.parse(frame.strip(), no_keys, NOW).account == "ABC"


def test_crc_mismatch() -> None:
    frame = bytearray(build_frame(Token.NULL, 1, "ABC", timestamp=NOW))
    frame[1:5] = b"0000" if frame[1:5] != b"0000" else b"FFFF"
    with pytest.raises(CrcMismatch):
        Dc09Message.parse(bytes(frame), no_keys, NOW)


def test_length_mismatch() -> None:
    frame = build_frame(Token.NULL, 1, "ABC", timestamp=NOW)
    with pytest.raises(LengthMismatch):
        Dc09Message.parse(frame[:5] + b"0099" + frame[9:], no_keys, NOW)


def test_unknown_token_asks_for_duh_and_keeps_the_header() -> None:
    frame = wrap(b'"SIA-DCX"0003L0#1234[]')
    with pytest.raises(UnknownToken) as caught:
        Dc09Message.parse(frame, no_keys, NOW)
    assert caught.value.reply == "DUH"
    header = caught.value.header
    assert isinstance(header, Dc09Header) and header.sequence == "0003"


@pytest.mark.parametrize(
    "body",
    [
        b"no quotes at all",
        b'"SIA-DCS"12L0#1234[]',  # sequence not four digits
        b'"SIA-DCS"0001L0#12[]',  # account too short
        b'"SIA-DCS"0001L0#1234',  # no data block
        b'"SIA-DCS"0001L0#1234[abc',  # data block not closed
        b'"SIA-DCS"0001L0#1234[]trailing',
        b'"SIA-DCS"0001L0#1234[][]',  # empty extended data
        b'"SIA-DCS"0001L0#1234[a\x01b]',
        b'"SIA-DCS"0001L0#1234[][X[nested]',
    ],
)
def test_malformed_frames(body: bytes) -> None:
    with pytest.raises(MalformedFrame):
        Dc09Message.parse(wrap(body), no_keys, NOW)


def test_invalid_timestamp() -> None:
    with pytest.raises(InvalidTimestamp):
        Dc09Message.parse(wrap(b'"NULL"0001L0#1234[]_25:00:00,01-01-2024'), no_keys, NOW)


@pytest.mark.parametrize("offset", [-40, 0, 20])
def test_window_edges_are_inside(offset: int) -> None:
    frame = build_frame(Token.NULL, 1, "ABC", timestamp=NOW + timedelta(seconds=offset))
    assert Dc09Message.parse(frame, no_keys, NOW).timestamp is not None


@pytest.mark.parametrize("offset", [-41, 21, -3600])
def test_outside_window_carries_receiver_time(offset: int) -> None:
    frame = build_frame(Token.NULL, 1, "ABC", timestamp=NOW + timedelta(seconds=offset))
    with pytest.raises(TimestampOutOfWindow) as caught:
        Dc09Message.parse(frame, no_keys, NOW)
    assert caught.value.receiver_time == NOW
    assert caught.value.reply == "NAK"


def test_window_is_settable() -> None:
    frame = build_frame(Token.NULL, 1, "ABC", timestamp=NOW - timedelta(minutes=5))
    wide = TimestampWindow(past=timedelta(minutes=10))
    assert Dc09Message.parse(frame, no_keys, NOW, window=wide).timestamp is not None


@pytest.mark.parametrize("size", [16, 24, 32])
def test_encrypted_frame_round_trip(size: int) -> None:
    key = bytes(range(size))
    data = sia_block("1234", "Nri1/FA01")
    frame = build_frame(Token.SIA_DCS, 9, "1234", data=data, timestamp=NOW, key=key)
    message = Dc09Message.parse(frame, key_for(key), NOW)
    assert message.encrypted and message.data == data
    assert message.events()[0].category is Category.FIRE


def test_encrypted_replay_is_refused() -> None:
    frame = build_frame(Token.NULL, 1, "ABC", timestamp=NOW, key=KEY)
    with pytest.raises(TimestampOutOfWindow):
        Dc09Message.parse(frame, key_for(KEY), NOW + timedelta(minutes=2))


def test_encrypted_without_key_is_unknown_account() -> None:
    frame = build_frame(Token.NULL, 1, "ABC", timestamp=NOW, key=KEY)
    with pytest.raises(UnknownAccount):
        Dc09Message.parse(frame, no_keys, NOW)


def test_key_lookup_gets_account_receiver_and_line() -> None:
    seen: list[tuple[str, str | None, str | None]] = []

    def lookup(account: str, receiver: str | None, line: str | None) -> bytes:
        seen.append((account, receiver, line))
        return KEY

    frame = build_frame(Token.NULL, 1, "ABC", receiver="5", line="", timestamp=NOW, key=KEY)
    Dc09Message.parse(frame, lookup, NOW)
    assert seen == [("ABC", "5", "")]


def test_wrong_key_fails_decryption() -> None:
    frame = build_frame(Token.SIA_DCS, 1, "ABC", data="Nri1/BA1", timestamp=NOW, key=KEY)
    with pytest.raises(DecryptionFailed):
        Dc09Message.parse(frame, key_for(bytes(16)), NOW)


def test_bad_key_length() -> None:
    frame = build_frame(Token.NULL, 1, "ABC", timestamp=NOW, key=KEY)
    with pytest.raises(InvalidKey):
        Dc09Message.parse(frame, key_for(b"short"), NOW)


def test_ciphertext_not_whole_blocks() -> None:
    with pytest.raises(DecryptionFailed):
        Dc09Message.parse(wrap(b'"*NULL"0001L0#ABC[0011'), key_for(KEY), NOW)


def test_encrypted_frame_must_have_timestamp() -> None:
    # Built by hand: the builder refuses to make this frame.
    body = b'"*NULL"0001L0#ABC[' + _crypto.encrypt(KEY, "]").encode()
    with pytest.raises(MissingTimestamp):
        Dc09Message.parse(wrap(body), key_for(KEY), NOW)


def test_naive_now_is_a_programming_error() -> None:
    frame = build_frame(Token.NULL, 1, "ABC", timestamp=NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        Dc09Message.parse(frame, no_keys, NOW.replace(tzinfo=None))


def test_windows_1252_extended_data_is_kept() -> None:
    body = '"SIA-DCS"0001L0#1234[Nri1/BA1][IGöteborg]'.encode("cp1252")
    message = Dc09Message.parse(wrap(body), no_keys, NOW)
    assert message.extended == (ExtendedData("I", "Göteborg"),)
