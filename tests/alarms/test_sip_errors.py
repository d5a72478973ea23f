"""The SCAIP receiver's refusals over real sockets: each SIP status, counted, nothing stored."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from stadsvakt.alarms.metrics import SCAIP_REJECTED
from stadsvakt.alarms.models import TransmitterProtocol
from stadsvakt.alarms.protocols.scaip import ScaipRequest, parse_mrs
from stadsvakt.alarms.protocols.sip import build_request
from stadsvakt.alarms.simulate.scaip import Dialog, SocialUnit, message
from tests.alarms.conftest import ReceiverDb, RunningReceiver
from tests.alarms.scaip_support import (
    add_unit,
    mrq_message,
    next_cid,
    read_response,
    tcp_send,
    udp_send,
    udp_silent,
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<mrq><ref>&lol3;</ref><cid>4670000001</cid><dty>0003</dty></mrq>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE mrq [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<mrq><ref>X1</ref><cid>&xxe;</cid><dty>0003</dty></mrq>"""


def rejected(rx: RunningReceiver, reason: str, status: str, transport: str = "udp") -> float:
    """How many refusals of one kind the receiver counted."""
    return rx.metrics.value(SCAIP_REJECTED, reason=reason, status=status, transport=transport)


def request(
    rx: RunningReceiver, method: str = "MESSAGE", body: bytes = b"", **headers: str
) -> bytes:
    """A request with the usual headers, changed or removed (value ``""``) by keyword."""
    values = {
        "Via": "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKtest1",
        "From": "<sip:unit@127.0.0.1>;tag=abc",
        "To": "<sip:alarm@127.0.0.1>",
        "Call-ID": "errors-1@test",
        "CSeq": f"1 {method}",
        "Content-Type": "application/scaip+xml",
    }
    values.update({key.replace("_", "-"): value for key, value in headers.items()})
    chosen = [(name, value) for name, value in values.items() if value]
    return build_request(method, f"sip:alarm@127.0.0.1:{rx.udp[1]}", chosen, body)


def test_options_is_answered_200_with_allow_and_accept(sip: RunningReceiver) -> None:
    response = udp_send(sip.udp, request(sip, "OPTIONS", Content_Type=""))
    assert response.status == 200
    assert response.header("Allow") == "MESSAGE, OPTIONS"
    assert response.header("Accept") == "application/scaip+xml"


@pytest.mark.parametrize(("method", "status"), [("INVITE", 405), ("REGISTER", 405), ("FOO", 501)])
def test_other_methods_get_405_or_501_with_allow(
    sip: RunningReceiver, method: str, status: int
) -> None:
    response = udp_send(sip.udp, request(sip, method))
    assert response.status == status and response.header("Allow") == "MESSAGE, OPTIONS"
    assert rejected(sip, "method", str(status)) == 1


def test_malformed_sip_gets_400_and_noise_gets_nothing(sip: RunningReceiver) -> None:
    response = udp_send(sip.udp, request(sip, Call_ID=""))
    assert response.status == 400 and response.header("CSeq") == "1 MESSAGE"
    assert udp_send(sip.udp, request(sip, CSeq="1 INVITE")).status == 400
    assert udp_silent(sip.udp, b"\x16\x03\x01 not SIP at all\r\n\r\n")
    assert rejected(sip, "sip_format", "400") == 2 and rejected(sip, "sip_format", "drop") == 1


def test_wrong_content_type_gets_415_with_accept(
    receiver_db: ReceiverDb, sip: RunningReceiver
) -> None:
    row, unit = add_unit(receiver_db)
    sip.refresh()
    data = mrq_message(unit.alarm(random.Random(0)), sip).replace(
        b"application/scaip+xml", b"text/plain"
    )
    response = udp_send(sip.udp, data)
    assert response.status == 415 and response.header("Accept") == "application/scaip+xml"
    assert receiver_db.count(row.account) == 0


def test_unknown_device_gets_403(receiver_db: ReceiverDb, sip: RunningReceiver) -> None:
    stranger = SocialUnit(next_cid())
    assert udp_send(sip.udp, mrq_message(stranger.alarm(random.Random(1)), sip)).status == 403
    # Registered, but for DC-09: a SCAIP message from it is refused too.
    dc09 = receiver_db.add(account=next_cid(), protocol=TransmitterProtocol.DC09_SIA)
    sip.refresh()
    panel = SocialUnit(dc09.account)
    assert udp_send(sip.udp, mrq_message(panel.alarm(random.Random(1)), sip)).status == 403
    assert rejected(sip, "unknown_device", "403") == 2
    assert receiver_db.count(stranger.cid) == receiver_db.count(dc09.account) == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (BILLION_LAUGHS, "xml_forbidden"),
        (EXTERNAL_ENTITY, "xml_forbidden"),
        (b"<mrq><ref>1</ref><cid>4670000001", "scaip_xml"),
        (b"<mrs><ref>1</ref><snu>0</snu></mrs>", "scaip_xml"),
    ],
)
def test_unsafe_or_broken_xml_gets_400(sip: RunningReceiver, body: bytes, reason: str) -> None:
    response = udp_send(sip.udp, request(sip, body=body))
    assert response.status == 400 and response.body == b""
    assert rejected(sip, reason, "400") == 1


def test_scaip_content_errors_get_200_with_an_error_snu(
    receiver_db: ReceiverDb, sip: RunningReceiver
) -> None:
    row, _ = add_unit(receiver_db)
    sip.refresh()
    missing = request(sip, body=f"<mrq><ref>M1</ref><cid>{row.account}</cid></mrq>".encode())
    response = udp_send(sip.udp, missing)
    assert response.status == 200 and parse_mrs(response.body).snu == 7
    assert parse_mrs(response.body).ref == "M1"
    wrong = f"<mrq><ref>W1</ref><cid>{row.account}</cid><dty>3</dty><stc>ten</stc></mrq>"
    response = udp_send(sip.udp, request(sip, body=wrong.encode(), Call_ID="errors-2@test"))
    assert (response.status, parse_mrs(response.body).snu) == (200, 3)
    assert rejected(sip, "mandatory_tag_missing", "200") == 1
    assert rejected(sip, "wrong_data_content", "200") == 1
    assert receiver_db.count(row.account) == 0


def test_oversized_body_gets_413_and_the_tcp_connection_carries_on(
    receiver_db: ReceiverDb, start_sip: Callable[..., RunningReceiver]
) -> None:
    sip = start_sip(max_body=512)
    row, unit = add_unit(receiver_db)
    sip.refresh()
    big = ScaipRequest(ref="BIG", cid=row.account, device_type=3, texts={"ite": "x" * 200})
    oversized = request(sip, body=b"<mrq>" + b"<ite>padding</ite>" * 60 + b"</mrq>")
    assert udp_send(sip.udp, oversized).status == 413
    with sip.connect() as sock:
        assert tcp_send(sock, oversized).status == 413
        assert tcp_send(sock, mrq_message(big, sip, "tcp")).status == 200
    assert rejected(sip, "body_too_large", "413") == 1
    assert rejected(sip, "body_too_large", "413", "tcp") == 1
    assert receiver_db.count(row.account) == 1


def test_oversized_headers_get_513_and_the_connection_is_closed(
    start_sip: Callable[..., RunningReceiver],
) -> None:
    sip = start_sip(max_header=1024)
    with sip.connect() as sock:
        sock.sendall(request(sip, Subject="s" * 2000))
        assert read_response(sock).status == 513
        assert sock.recv(1) == b""


def test_tcp_request_without_content_length_gets_400_and_is_closed(
    sip: RunningReceiver,
) -> None:
    data = request(sip, body=b"<mrq/>").replace(b"Content-Length: 6\r\n", b"")
    with sip.connect() as sock:
        sock.sendall(data)
        assert read_response(sock).status == 400
        assert sock.recv(1) == b""
    assert rejected(sip, "sip_format", "400", "tcp") == 1


def test_storage_failure_gets_503_with_retry_after(
    receiver_db: ReceiverDb, sip: RunningReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    row, unit = add_unit(receiver_db)
    sip.refresh()

    async def unavailable(records: object) -> None:
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(sip.receiver.writer, "store", unavailable)
    data = mrq_message(unit.alarm(random.Random(2)), sip)
    response = udp_send(sip.udp, data)
    assert response.status == 503 and response.header("Retry-After") == "5"
    monkeypatch.undo()
    assert udp_send(sip.udp, data).status == 200  # the unit's next attempt is stored
    assert receiver_db.count(row.account) == 1


def test_idle_connections_are_closed_and_the_limit_holds(
    start_sip: Callable[..., RunningReceiver],
) -> None:
    sip = start_sip(read_timeout_s=1.0, max_connections=1)
    with sip.connect() as first, sip.connect() as second:
        assert second.recv(1) == b""  # over the limit: closed at once
        first.settimeout(15)
        assert first.recv(1) == b""  # idle: closed after the read timeout
    assert rejected(sip, "connection_limit", "close", "tcp") == 1
    assert rejected(sip, "read_timeout", "close", "tcp") == 1


def test_via_gets_received_and_keep_alives_get_no_answer(sip: RunningReceiver) -> None:
    unit = SocialUnit(next_cid())
    data = message(
        unit.heartbeat(), Dialog.new(), transport="udp", host="127.0.0.1", port=sip.udp[1],
        local=("192.0.2.7", 5070),
    )  # fmt: skip
    response = udp_send(sip.udp, data)  # 403 (unknown unit), still with the Via marked
    assert "192.0.2.7:5070" in (response.header("Via") or "")
    assert "received=127.0.0.1" in (response.header("Via") or "")
    assert udp_silent(sip.udp, b"\r\n\r\n")
