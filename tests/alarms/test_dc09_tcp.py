"""The DC-09 receiver over real TCP sockets: framing, limits, replies, storage before ACK."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from stadsvakt.alarms.metrics import ALARMS, DUPLICATES, REJECTED
from stadsvakt.alarms.protocols.dc09 import _crypto
from stadsvakt.alarms.protocols.dc09.builder import build_frame
from stadsvakt.alarms.protocols.dc09.header import Token, parse_timestamp
from stadsvakt.db import utcnow
from tests import factories_alarms as fa
from tests.alarms.conftest import ReceiverDb, RunningReceiver, exchange, read_reply
from tests.waiting import pace, wait_until

_TOKEN = re.compile(rb'"(\*?[A-Z-]+)"(\d{4})(?:R[0-9A-F]*)?(?:L[0-9A-F]*)?#([0-9A-F]+)\[')


def token(reply: bytes) -> str:
    """The reply's ID token, e.g. ``ACK``, ``*ACK``, ``NAK``, ``DUH``."""
    match = re.search(rb'"(\*?[A-Z-]+)"', reply)
    assert match, reply
    return match.group(1).decode()


def routing(reply: bytes) -> tuple[str, str]:
    """The sequence and account a reply echoes."""
    match = _TOKEN.search(reply)
    assert match, reply
    return match.group(2).decode(), match.group(3).decode()


def rejected(rx: RunningReceiver, reason: str, reply: str, transport: str = "tcp") -> float:
    """How many refusals of one kind the receiver counted."""
    return rx.metrics.value(REJECTED, reason=reason, reply=reply, transport=transport)


def test_plain_sia_frame_is_stored_then_acked(receiver_db: ReceiverDb, rx: RunningReceiver) -> None:
    row = receiver_db.add()
    rx.refresh()
    frame = fa.sia_frame(row.account, 42, "Nri1/BA03")
    with rx.connect() as sock:
        reply = exchange(sock, frame)
    assert token(reply) == "ACK"
    assert routing(reply) == ("0042", row.account)
    [alarm] = receiver_db.alarms(row.account)
    assert (alarm.category, alarm.code, alarm.zone, alarm.partition) == ("intrusion", "BA", 3, 1)
    assert alarm.priority == 3 and alarm.qualifier == "new"
    assert alarm.raw == frame
    assert alarm.site_id == receiver_db.site.id and alarm.transmitter_id == row.id
    assert alarm.sequence == "0042" and alarm.protocol == "dc09-sia"
    assert rx.metrics.value(ALARMS) == 1


def test_several_frames_in_one_segment_get_acks_in_order(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add()
    rx.refresh()
    frames = [fa.sia_frame(row.account, seq, f"NFA{seq:02d}") for seq in (1, 2, 3)]
    with rx.connect() as sock:
        sock.sendall(b"".join(frames))
        replies = [read_reply(sock) for _ in frames]
    assert [routing(r)[0] for r in replies] == ["0001", "0002", "0003"]
    assert {token(r) for r in replies} == {"ACK"}
    assert sorted(a.zone or 0 for a in receiver_db.alarms(row.account)) == [1, 2, 3]
    assert {a.category for a in receiver_db.alarms(row.account)} == {"fire"}


def test_a_frame_split_over_many_segments_is_reassembled(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add()
    rx.refresh()
    frame = fa.sia_frame(row.account, 7)
    with rx.connect() as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start in range(0, len(frame), 5):
            sock.sendall(frame[start : start + 5])
            pace(0.005)
        assert token(read_reply(sock)) == "ACK"
    assert receiver_db.count(row.account) == 1


def test_an_oversized_frame_gets_nak_and_the_connection_recovers(
    receiver_db: ReceiverDb, start_receiver: Callable[..., RunningReceiver]
) -> None:
    rx = start_receiver(max_frame_bytes=128)
    row = receiver_db.add()
    rx.refresh()
    with rx.connect() as sock:
        sock.sendall(b"\n" + b"A" * 500)
        assert token(read_reply(sock)) == "NAK"
        assert token(exchange(sock, b"\r" + fa.sia_frame(row.account, 8))) == "ACK"
    assert rejected(rx, "frame_too_large", "NAK") == 1
    assert receiver_db.count(row.account) == 1


def test_a_silent_connection_is_closed_after_the_read_timeout(
    start_receiver: Callable[..., RunningReceiver],
) -> None:
    rx = start_receiver(read_timeout_s=0.3)
    with rx.connect() as sock:
        started = time.monotonic()
        assert sock.recv(10) == b""
        assert time.monotonic() - started < 3
    assert rejected(rx, "read_timeout", "close") == 1


def test_a_trickled_frame_does_not_hold_the_connection_forever(
    start_receiver: Callable[..., RunningReceiver],
) -> None:
    rx = start_receiver(read_timeout_s=0.5)
    with rx.connect() as sock:
        started = time.monotonic()
        sock.sendall(b"\n1234")
        closed = False
        while time.monotonic() - started < 5:
            try:
                sock.sendall(b"5")
            except OSError:
                closed = True
                break
            pace(0.1)
            sock.settimeout(0.01)
            try:
                if sock.recv(10) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
        assert closed
        assert time.monotonic() - started < 3


def test_connections_over_the_limit_are_refused_and_others_served(
    receiver_db: ReceiverDb, start_receiver: Callable[..., RunningReceiver]
) -> None:
    rx = start_receiver(max_connections=2)
    row = receiver_db.add()
    rx.refresh()
    first, second = rx.connect(), rx.connect()
    try:
        assert token(exchange(first, fa.null_frame(row.account, 1))) == "ACK"
        with rx.connect() as third:
            assert third.recv(10) == b""
        assert token(exchange(second, fa.null_frame(row.account, 2))) == "ACK"
    finally:
        first.close()
        second.close()
    assert rejected(rx, "connection_limit", "close") == 1


def test_a_slow_client_does_not_block_others(receiver_db: ReceiverDb, rx: RunningReceiver) -> None:
    row = receiver_db.add()
    rx.refresh()
    with rx.connect() as slow, rx.connect() as fast:
        slow.sendall(fa.sia_frame(row.account, 1)[:20])  # and never the rest
        started = time.monotonic()
        assert token(exchange(fast, fa.sia_frame(row.account, 2))) == "ACK"
        assert time.monotonic() - started < 2


def test_bad_crc_gets_nak_with_receiver_time(receiver_db: ReceiverDb, rx: RunningReceiver) -> None:
    row = receiver_db.add()
    rx.refresh()
    frame = bytearray(fa.sia_frame(row.account, 3))
    frame[1:5] = b"0000" if frame[1:5] != b"0000" else b"FFFF"
    with rx.connect() as sock:
        reply = exchange(sock, bytes(frame))
    assert token(reply) == "NAK"
    stamp = parse_timestamp(reply[reply.index(b"]") + 1 : -1].decode())
    assert abs(stamp - utcnow()) < timedelta(seconds=5)
    assert rejected(rx, "crc", "NAK") == 1
    assert receiver_db.count(row.account) == 0


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_unknown_account_gets_duh(rx: RunningReceiver, encrypted: bool) -> None:
    account = fa.next_account()
    frame = fa.sia_frame(account, 9, key=fa.KEY_128 if encrypted else None)
    with rx.connect() as sock:
        reply = exchange(sock, frame)
    assert token(reply) == "DUH"
    assert routing(reply) == ("0009", account)
    assert rejected(rx, "unknown_account", "DUH") == 1


def test_encrypted_frame_gets_an_encrypted_ack(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add(key=fa.KEY_256, encrypted_only=True)
    rx.refresh()
    with rx.connect() as sock:
        reply = exchange(sock, fa.sia_frame(row.account, 11, "Nri2/PA05", key=fa.KEY_256))
    assert token(reply) == "*ACK"
    assert routing(reply) == ("0011", row.account)
    sealed = reply[reply.index(b"[") + 1 : -1].decode()
    plain = _crypto.decrypt(fa.KEY_256, sealed)
    stamp = parse_timestamp(plain[plain.index("]") + 1 :])
    assert abs(stamp - utcnow()) < timedelta(seconds=5)
    [alarm] = receiver_db.alarms(row.account)
    assert alarm.encrypted and alarm.category == "hold_up" and alarm.priority == 1
    assert "Nri2/PA05" in alarm.payload


def test_plain_frame_from_an_encrypted_only_transmitter_gets_duh(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add(key=fa.KEY_128, encrypted_only=True)
    rx.refresh()
    with rx.connect() as sock:
        assert token(exchange(sock, fa.sia_frame(row.account, 12))) == "DUH"
    assert rejected(rx, "encryption_required", "DUH") == 1
    assert receiver_db.count(row.account) == 0


def test_replayed_frame_outside_the_window_gets_nak_and_is_not_stored(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add(key=fa.KEY_128)
    rx.refresh()
    old = utcnow() - timedelta(minutes=5)
    frame = fa.sia_frame(row.account, 13, key=fa.KEY_128, timestamp=old)
    with rx.connect() as sock:
        reply = exchange(sock, frame)
    assert token(reply) == "NAK"
    stamp = parse_timestamp(reply[reply.index(b"]") + 1 : -1].decode())
    assert abs(stamp - utcnow()) < timedelta(seconds=5)
    assert rejected(rx, "timestamp_window", "NAK") == 1
    assert receiver_db.count(row.account) == 0


def test_unencrypted_frame_without_timestamp_is_accepted(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add()
    rx.refresh()
    frame = build_frame(Token.SIA_DCS, 14, row.account, data=f"#{row.account}|NBA02", line="")
    with rx.connect() as sock:
        assert token(exchange(sock, frame)) == "ACK"
    [alarm] = receiver_db.alarms(row.account)
    assert alarm.event_time is None and alarm.zone == 2


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_a_resent_frame_is_acked_without_a_second_alarm(
    receiver_db: ReceiverDb, rx: RunningReceiver, encrypted: bool
) -> None:
    key = fa.KEY_128 if encrypted else None
    row = receiver_db.add(key=key)
    rx.refresh()
    with rx.connect() as sock:
        # A retry is built anew: new pad and possibly a new timestamp, same sequence and data.
        first = exchange(sock, fa.sia_frame(row.account, 15, "NBA04", key=key))
        later = utcnow() + timedelta(seconds=2)  # a retry's clock has moved on
        again = exchange(sock, fa.sia_frame(row.account, 15, "NBA04", key=key, timestamp=later))
    assert token(first) == token(again) == ("*ACK" if encrypted else "ACK")
    assert receiver_db.count(row.account) == 1
    assert rx.metrics.value(DUPLICATES) == 1


def test_unknown_code_is_stored_as_unknown_and_acked(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add()
    rx.refresh()
    with rx.connect() as sock:
        assert token(exchange(sock, fa.sia_frame(row.account, 16, "NZQ07"))) == "ACK"
    [alarm] = receiver_db.alarms(row.account)
    assert (alarm.category, alarm.code, alarm.zone, alarm.priority) == ("unknown", "ZQ", 7, 4)


def test_unreadable_event_data_is_stored_for_an_operator(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add()
    rx.refresh()
    frame = build_frame(Token.ADM_CID, 17, row.account, data="#X|garbage", timestamp=utcnow())
    with rx.connect() as sock:
        assert token(exchange(sock, frame)) == "ACK"
    [alarm] = receiver_db.alarms(row.account)
    assert alarm.category == "unknown" and "Unreadable" in alarm.description
    assert alarm.payload == "[#X|garbage]"


def test_contact_id_frame_is_normalised(receiver_db: ReceiverDb, rx: RunningReceiver) -> None:
    row = receiver_db.add()
    rx.refresh()
    with rx.connect() as sock:
        assert token(exchange(sock, fa.cid_frame(row.account, 18, 110, zone=4))) == "ACK"
    [alarm] = receiver_db.alarms(row.account)
    assert (alarm.category, alarm.code, alarm.zone, alarm.protocol) == (
        "fire",
        "110",
        4,
        "dc09-cid",
    )


def test_heartbeat_updates_last_seen_without_an_alarm(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add(key=fa.KEY_128)
    rx.refresh()
    with rx.connect() as sock:
        assert token(exchange(sock, fa.null_frame(row.account, 19, key=fa.KEY_128))) == "*ACK"
    wait_until(lambda: receiver_db.transmitter(row.id).last_seen_at is not None, "last seen")
    assert receiver_db.count(row.account) == 0


def test_a_new_transmitter_is_served_without_a_restart(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    account = fa.next_account()
    with rx.connect() as sock:
        assert token(exchange(sock, fa.sia_frame(account, 1))) == "DUH"
        receiver_db.add(account=account)
        # The receiver's directory picks the new transmitter up at its next poll.
        wait_until(
            lambda: token(exchange(sock, fa.sia_frame(account, 1))) == "ACK",
            "the new transmitter to be served",
            every=0.2,
        )


def test_rejections_are_exposed_as_metrics(
    start_receiver: Callable[..., RunningReceiver],
) -> None:
    rx = start_receiver()  # a receiver of its own: the rendered text holds all it counted
    with rx.connect() as sock:
        exchange(sock, b'\n0000000F"XYZ"0001#123[]\r')
    text = rx.receiver.metrics.render()
    assert "# TYPE stadsvakt_dc09_rejected_total counter" in text
    assert re.search(
        r'stadsvakt_dc09_rejected_total\{reason="\w+",reply="NAK",transport="tcp"\} 1', text
    )
