"""Hypothesis properties: build→parse round trips, and parsers raise only ProtocolError."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.alarms.protocols.contact_id import parse_adm_cid, parse_raw_contact_id
from stadsvakt.alarms.protocols.dc09 import responses
from stadsvakt.alarms.protocols.dc09.builder import build_frame
from stadsvakt.alarms.protocols.dc09.framing import FrameBuffer
from stadsvakt.alarms.protocols.dc09.header import Token, wrap
from stadsvakt.alarms.protocols.dc09.message import Dc09Message, ExtendedData
from stadsvakt.alarms.protocols.errors import ProtocolError
from stadsvakt.alarms.protocols.sia_codes import parse_sia_data

NOW = datetime(2024, 5, 17, 14, 6, 21, tzinfo=UTC)
HEX = "0123456789ABCDEF"

accounts = st.text(HEX, min_size=3, max_size=16)
receivers = st.none() | st.text(HEX, min_size=1, max_size=6)
lines = st.none() | st.text(HEX, max_size=6)
# Printable ASCII and latin-1 letters, minus the brackets that delimit blocks.
data_chars = st.sampled_from(
    [c for c in string.printable if c not in "[]\t\n\r\x0b\x0c"] + list("åäöÅÄÖé")
)
datas = st.text(data_chars, max_size=60)
extended = st.lists(
    st.builds(ExtendedData, st.sampled_from("XYMVHKI"), st.text(data_chars, max_size=20)),
    max_size=3,
)
offsets = st.integers(min_value=-40, max_value=20).map(lambda s: timedelta(seconds=s))
keys = st.sampled_from([16, 24, 32]).flatmap(lambda n: st.binary(min_size=n, max_size=n))


def no_keys(account: str, receiver: str | None, line: str | None) -> bytes | None:
    """A receiver without encrypted transmitters."""
    return None


@given(
    st.sampled_from(list(Token)),
    st.integers(0, 9999),
    accounts,
    receivers,
    lines,
    datas,
    extended,
    st.none() | offsets,
    st.booleans(),
)
def test_plain_round_trip(
    token: Token,
    sequence: int,
    account: str,
    receiver: str | None,
    line: str | None,
    data: str,
    ext: list[ExtendedData],
    offset: timedelta | None,
    crc_binary: bool,
) -> None:
    stamp = None if offset is None else NOW + offset
    frame = build_frame(
        token,
        sequence,
        account,
        data=data,
        receiver=receiver,
        line=line,
        extended=ext,
        timestamp=stamp,
        crc_binary=crc_binary,
    )
    message = Dc09Message.parse(frame, no_keys, NOW)
    assert (message.token, int(message.sequence), message.account) == (token, sequence, account)
    assert (message.receiver, message.line, message.data) == (receiver, line, data)
    assert list(message.extended) == ext
    assert message.timestamp == stamp
    assert not message.encrypted
    assert FrameBuffer().feed(b"noise" + frame) == [frame]


@given(
    st.sampled_from(list(Token)),
    st.integers(0, 9999),
    accounts,
    receivers,
    lines,
    datas,
    extended,
    offsets,
    keys,
)
def test_encrypted_round_trip(
    token: Token,
    sequence: int,
    account: str,
    receiver: str | None,
    line: str | None,
    data: str,
    ext: list[ExtendedData],
    offset: timedelta,
    key: bytes,
) -> None:
    frame = build_frame(
        token,
        sequence,
        account,
        data=data,
        receiver=receiver,
        line=line,
        extended=ext,
        timestamp=NOW + offset,
        key=key,
    )
    message = Dc09Message.parse(frame, lambda *_: key, NOW)
    assert message.encrypted
    assert (message.data, list(message.extended)) == (data, ext)
    assert message.timestamp == NOW + offset
    ack = responses.ack(message, now=NOW, key=key)
    assert ack.startswith(b"\n") and b'"*ACK"' in ack


@given(st.binary(max_size=300))
def test_parse_arbitrary_bytes_raises_only_protocol_errors(frame: bytes) -> None:
    try:
        Dc09Message.parse(frame, lambda *_: bytes(16), NOW)
    except ProtocolError:
        pass


@given(
    st.sampled_from(
        [b"", b'"SIA-DCS"0001L0#1234[', b'"*ADM-CID"0001R1L#ABC[', b'"NULL"0001L0#1234[]']
    ),
    st.binary(max_size=200),
)
def test_correctly_wrapped_garbage_raises_only_protocol_errors(prefix: bytes, rest: bytes) -> None:
    # Valid CRC and length, so the fuzzing reaches header, decryption and block parsing.
    try:
        Dc09Message.parse(wrap(prefix + rest), lambda *_: bytes(16), NOW)
    except ProtocolError:
        pass


@given(
    st.sampled_from(list(Token)),
    datas,
    st.booleans(),
    st.data(),
)
def test_mutated_frames_raise_only_protocol_errors(
    token: Token, data: str, encrypted: bool, draw: st.DataObject
) -> None:
    key = bytes(range(16))
    frame = bytearray(
        build_frame(token, 1, "1234", data=data, timestamp=NOW, key=key if encrypted else None)
    )
    for _ in range(draw.draw(st.integers(1, 4))):
        index = draw.draw(st.integers(0, len(frame) - 1))
        frame[index] = draw.draw(st.integers(0, 255))
    try:
        Dc09Message.parse(bytes(frame), lambda *_: key, NOW)
    except ProtocolError:
        pass


@given(st.text(max_size=80))
def test_sia_block_parser_raises_only_protocol_errors(text: str) -> None:
    try:
        block = parse_sia_data(text)
    except ProtocolError:
        return
    for event in block.events:
        assert len(event.code) == 2


@given(
    st.text(alphabet=string.printable, max_size=40)
    | st.from_regex(r"#?\d{3,6}\|\d{4} ?\d\d ?\d{3}")
)
def test_contact_id_block_parser_raises_only_protocol_errors(text: str) -> None:
    try:
        parse_adm_cid(text)
    except ProtocolError:
        pass


@given(st.text(alphabet=HEX + " abcdefxyz", max_size=24))
def test_raw_contact_id_parser_raises_only_protocol_errors(text: str) -> None:
    try:
        parse_raw_contact_id(text)
    except ProtocolError:
        pass
