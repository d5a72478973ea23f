"""Hypothesis: the SIP and SCAIP parsers raise only their own errors; round trips hold."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.alarms.protocols.errors import ScaipError, SipError
from stadsvakt.alarms.protocols.scaip import (
    MessageType,
    ScaipRequest,
    build_mrq,
    parse_mrq,
    parse_mrs,
)
from stadsvakt.alarms.protocols.scaip_codes import event
from stadsvakt.alarms.protocols.sip import parse_request, parse_response
from stadsvakt.alarms.protocols.sip_framing import SipStreamBuffer
from stadsvakt.alarms.simulate.scaip import Dialog, message

DIGITS = string.digits
ALNUM = string.ascii_letters + string.digits
# Text as units write it: printable, including markup characters the builder escapes.
texts = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x24F, exclude_characters="\x7f"),
    min_size=1,
    max_size=40,
).filter(lambda t: t.strip() == t)

requests = st.builds(
    ScaipRequest,
    ref=st.text(ALNUM, min_size=1, max_size=16),
    cid=st.text(DIGITS, min_size=1, max_size=16),
    device_type=st.integers(0, 9999),
    message_type=st.sampled_from(list(MessageType)),
    status=st.none() | st.integers(0, 9999),
    component=st.none() | st.integers(0, 999),
    device_id=st.none() | texts,
    location=st.none() | st.integers(0, 999),
    priority=st.none() | st.integers(0, 9),
    callers=st.lists(texts, max_size=2).map(tuple),
    version=st.none() | st.just("01.00"),
    texts=st.dictionaries(st.sampled_from(["dte", "stt", "lte", "ite"]), texts, max_size=4),
)


def sip_message(request: ScaipRequest, transport: str = "udp") -> bytes:
    """The SIP MESSAGE a unit would send with this request."""
    return message(request, Dialog.new(), transport=transport, host="127.0.0.1", port=5060)


@st.composite
def mutated(draw: st.DrawFn, original: st.SearchStrategy[bytes]) -> bytes:
    """A valid message with bytes flipped, dropped or inserted."""
    data = bytearray(draw(original))
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "drop", "insert"]))
        if kind == "insert" or position == len(data):
            data[position:position] = draw(st.binary(min_size=1, max_size=4))
        elif kind == "drop":
            del data[position]
        else:
            data[position] = draw(st.integers(0, 255))
    return bytes(data)


@given(requests)
def test_mrq_round_trip(request: ScaipRequest) -> None:
    assert parse_mrq(build_mrq(request)) == request
    if not request.heartbeat:
        assert event(request).account == request.cid


@given(requests, st.sampled_from(["udp", "tcp"]))
def test_sip_round_trip_and_framing(request: ScaipRequest, transport: str) -> None:
    data = sip_message(request, transport)
    parsed = parse_request(data)
    assert parsed.method == "MESSAGE" and parse_mrq(parsed.body) == request
    assert SipStreamBuffer().feed(data[:7]) == []


@given(st.binary(max_size=600) | mutated(requests.map(sip_message)))
def test_sip_parsers_raise_only_sip_errors(data: bytes) -> None:
    for parse in (parse_request, parse_response):
        try:
            parse(data)
        except SipError:
            pass


@given(st.lists(st.binary(max_size=300) | mutated(requests.map(sip_message)), max_size=6))
def test_stream_buffer_takes_anything_with_bounded_memory(chunks: list[bytes]) -> None:
    buffer = SipStreamBuffer(max_header=512, max_body=256)
    for chunk in chunks:
        for item in buffer.feed(chunk):
            assert isinstance(item, bytes | SipError)
        assert len(buffer._buf) <= 512 + 256 + 4 + 300


@given(st.binary(max_size=400) | mutated(requests.map(build_mrq)))
def test_scaip_parsers_raise_only_scaip_errors(data: bytes) -> None:
    for parse in (parse_mrq, parse_mrs):
        try:
            parse(data)
        except ScaipError:
            pass
