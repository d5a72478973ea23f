"""The DC-09 receiver over real UDP sockets: one frame per datagram, same replies as TCP."""

from __future__ import annotations

from collections.abc import Callable

from stadsvakt.alarms.metrics import REJECTED
from tests import factories_alarms as fa
from tests.alarms.conftest import ReceiverDb, RunningReceiver, udp_exchange
from tests.alarms.test_dc09_tcp import routing, token


def test_plain_frame_over_udp_is_stored_and_acked(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add()
    rx.refresh()
    reply = udp_exchange(rx.udp, fa.sia_frame(row.account, 21, "NFA09"))
    assert token(reply) == "ACK" and routing(reply) == ("0021", row.account)
    [alarm] = receiver_db.alarms(row.account)
    assert alarm.category == "fire" and alarm.zone == 9


def test_encrypted_frame_over_udp_gets_encrypted_ack(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add(key=fa.KEY_128)
    rx.refresh()
    assert token(udp_exchange(rx.udp, fa.cid_frame(row.account, 22, key=fa.KEY_128))) == "*ACK"
    assert receiver_db.count(row.account) == 1


def test_frame_without_lf_and_cr_is_accepted_over_udp(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add()
    rx.refresh()
    frame = fa.sia_frame(row.account, 23)
    assert token(udp_exchange(rx.udp, frame[1:-1])) == "ACK"


def test_bad_crc_and_oversize_datagrams_get_nak(
    receiver_db: ReceiverDb, start_receiver: Callable[..., RunningReceiver]
) -> None:
    rx = start_receiver(max_frame_bytes=128)
    row = receiver_db.add()
    rx.refresh()
    frame = bytearray(fa.sia_frame(row.account, 24))
    frame[1:5] = b"0000" if frame[1:5] != b"0000" else b"FFFF"
    assert token(udp_exchange(rx.udp, bytes(frame))) == "NAK"
    assert token(udp_exchange(rx.udp, b"\n" + b"9" * 400 + b"\r")) == "NAK"
    assert rx.metrics.value(REJECTED, reason="crc", reply="NAK", transport="udp") == 1
    assert rx.metrics.value(REJECTED, reason="frame_too_large", reply="NAK", transport="udp") == 1
    assert receiver_db.count(row.account) == 0


def test_duplicate_datagram_gives_one_alarm(receiver_db: ReceiverDb, rx: RunningReceiver) -> None:
    row = receiver_db.add()
    rx.refresh()
    frame = fa.sia_frame(row.account, 25)
    assert token(udp_exchange(rx.udp, frame)) == "ACK"
    assert token(udp_exchange(rx.udp, frame)) == "ACK"
    assert receiver_db.count(row.account) == 1
