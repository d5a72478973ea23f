"""The SIP parser, serialiser and stream framing: compact headers, folding, Content-Length."""

from __future__ import annotations

import pytest

from stadsvakt.alarms.protocols.errors import SipBodyTooLarge, SipError, SipHeaderTooLarge
from stadsvakt.alarms.protocols.sip import (
    build_request,
    build_response,
    canonical,
    parse_request,
    parse_response,
)
from stadsvakt.alarms.protocols.sip_framing import SipStreamBuffer

MESSAGE = (
    b"\r\nMESSAGE sip:alarm@centre.example SIP/2.0\r\n"
    b"v: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bK776\r\n"
    b"Via: SIP/2.0/UDP proxy.example;branch=z9hG4bK1\r\n"
    b"f: <sip:4670001@unit.example>;tag=49583\r\n"
    b"t: <sip:alarm@centre.example>\r\n"
    b"i: a84b4c76e66710@unit.example\r\n"
    b"cseq: 314159 MESSAGE\r\n"
    b"Subject: a folded\r\n  header\r\n"
    b"c: application/scaip+xml; charset=UTF-8\r\n"
    b"l: 6\r\n\r\n<mrq/>"
)


def test_compact_and_folded_headers_are_read() -> None:
    request = parse_request(MESSAGE)
    assert (request.method, request.uri) == ("MESSAGE", "sip:alarm@centre.example")
    assert request.header("Call-ID") == request.header("i") == "a84b4c76e66710@unit.example"
    assert len(request.header_values("via")) == 2
    assert request.header("Subject") == "a folded header"
    assert request.content_type == "application/scaip+xml"
    assert request.cseq == (314159, "MESSAGE") and request.body == b"<mrq/>"
    assert canonical("CALL-ID") == "Call-ID" and canonical("X-Own") == "X-Own"


def test_response_copies_via_from_to_call_id_and_cseq_and_adds_a_tag() -> None:
    request = parse_request(MESSAGE)
    data = build_response(
        request, 200, "OK", body=b"<mrs/>", to_tag="t1", received="192.0.2.9",
        extra=[("Content-Type", "application/scaip+xml")],
    )  # fmt: skip
    response = parse_response(data)
    assert response.status == 200 and response.body == b"<mrs/>"
    assert response.header_values("Via") == [
        "SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bK776;received=192.0.2.9",
        "SIP/2.0/UDP proxy.example;branch=z9hG4bK1",
    ]
    assert response.header("To") == "<sip:alarm@centre.example>;tag=t1"
    assert response.header("CSeq") == "314159 MESSAGE"
    assert response.header("Content-Length") == "6"


@pytest.mark.parametrize(
    "broken",
    [
        MESSAGE.replace(b"i: a84b4c76e66710@unit.example\r\n", b""),  # no Call-ID
        MESSAGE.replace(b"314159 MESSAGE", b"314159 INVITE"),  # CSeq for another method
        MESSAGE.replace(b"l: 6", b"l: 60"),  # body shorter than announced
        MESSAGE.replace(b"l: 6", b"l: six"),
    ],
)
def test_broken_requests_raise_sip_error_with_the_headers_read(broken: bytes) -> None:
    with pytest.raises(SipError) as caught:
        parse_request(broken)
    assert caught.value.status == 400 and caught.value.request is not None


@pytest.mark.parametrize(
    "noise",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        MESSAGE.replace(b"Subject: a folded", b"Subject a folded"),  # a line without colon
        b"MESSAGE sip:a@b SIP/2.0\r\n\xff: x\r\n\r\n",
        b"MESSAGE sip:a@b SIP/2.0\r\nVia: x\r\n",  # headers never end
    ],
)
def test_noise_raises_sip_error_without_a_request(noise: bytes) -> None:
    with pytest.raises(SipError) as caught:
        parse_request(noise)
    assert caught.value.request is None


def test_limits_give_413_and_513() -> None:
    with pytest.raises(SipBodyTooLarge):
        parse_request(MESSAGE, max_body=5)
    with pytest.raises(SipHeaderTooLarge):
        parse_request(MESSAGE, max_header=100)


def test_stream_buffer_splits_joins_skips_oversized_bodies_and_keep_alives() -> None:
    framed = MESSAGE.lstrip(b"\r\n")
    buffer = SipStreamBuffer(max_body=6)
    assert buffer.feed(framed[:40]) == [] and buffer.pending == 40
    assert buffer.feed(framed[40:] + b"\r\n\r\n" + framed) == [framed, framed]
    big = build_request("MESSAGE", "sip:a@b", [("Call-ID", "x"), ("CSeq", "1 MESSAGE")], b"x" * 9)
    [error, message] = buffer.feed(big + framed)
    assert isinstance(error, SipBodyTooLarge) and error.request is not None
    assert message == framed and buffer.pending == 0 and not buffer.broken


def test_stream_buffer_breaks_on_runaway_headers_or_missing_content_length() -> None:
    runaway = SipStreamBuffer(max_header=64)
    [error] = runaway.feed(b"MESSAGE sip:a@b SIP/2.0\r\n" + b"X: y\r\n" * 20)
    assert isinstance(error, SipHeaderTooLarge) and runaway.broken
    assert runaway.feed(MESSAGE) == []
    unframed = SipStreamBuffer()
    [error] = unframed.feed(MESSAGE.replace(b"l: 6\r\n", b""))
    assert isinstance(error, SipError) and error.status == 400 and unframed.broken
