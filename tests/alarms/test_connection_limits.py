"""One peer cannot lock out the panels: per-address limits, frame and idle deadlines, quiet logs.

The receivers run on real sockets with test-sized limits. A second address is
127.0.0.2 (Linux loopback answers for all of 127/8), so a test can flood from one
address and check that another is still served.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from stadsvakt.alarms.metrics import CONNECTIONS, REJECTED, SCAIP_REJECTED, SIP_CONNECTIONS
from stadsvakt.alarms.normalise import AlarmRecord
from stadsvakt.alarms.protocols.sip import SipResponse, build_request, parse_response
from stadsvakt.alarms.receivers._limits import (
    MANY_PEERS,
    AddressCounts,
    ConnectionDeadline,
    RefusalLog,
    address_key,
)
from stadsvakt.alarms.store import Stored
from stadsvakt.settings import AlarmSettings
from tests import factories_alarms as fa
from tests.alarms.conftest import ReceiverDb, RunningReceiver, exchange
from tests.alarms.scaip_support import add_unit, mrq_message, read_response
from tests.alarms.test_dc09_tcp import token
from tests.waiting import wait_until

FIRST, SECOND = "127.0.0.1", "127.0.0.2"
#: How long a test waits for a close that the receiver's limits promise much sooner.
CLOSE_WITHIN_S = 10.0

# --- talking to a receiver from a chosen address ---------------------------------------


def connect_from(rx: RunningReceiver, source: str) -> socket.socket:
    """A TCP connection to the receiver from ``source``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(CLOSE_WITHIN_S)
    sock.bind((source, 0))
    sock.connect(rx.tcp)
    return sock


def udp_from(source: str) -> socket.socket:
    """A UDP socket on ``source``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(CLOSE_WITHIN_S)
    sock.bind((source, 0))
    return sock


def closed_unanswered(sock: socket.socket, within: float = CLOSE_WITHIN_S) -> bool:
    """Whether the receiver closes the connection, sending nothing, within ``within`` s."""
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def trickle(sock: socket.socket, data: bytes, *, step: int = 1, every: float = 0.05) -> bool:
    """Send ``data`` (again and again) ``step`` bytes at a time, ``every`` s apart, like a
    slow-loris peer; whether the receiver closed the connection within
    :data:`CLOSE_WITHIN_S`. Waiting for the close doubles as the pause between sends."""
    started = time.monotonic()
    sock.settimeout(every)
    position = 0
    while time.monotonic() - started < CLOSE_WITHIN_S:
        try:
            sock.sendall(data[position : position + step])
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            pass
        except (ConnectionResetError, BrokenPipeError):
            return True
        position = (position + step) % len(data)
    return False


#: ``tcpi_state`` of a connection that was reset (Linux ``TCP_CLOSE``); a peer the receiver
#: closed politely but has not finished sending to would still be ``TCP_ESTABLISHED``.
TCP_CLOSE = 7


def tcp_state(sock: socket.socket) -> int:
    """The kernel's state of a TCP connection (the first byte of ``TCP_INFO``)."""
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]


def refusal_lines(caplog: pytest.LogCaptureFixture, host: str) -> list[str]:
    """The log lines about refusing ``host`` (with or without a port after it)."""
    pattern = re.compile(rf"from {re.escape(host)}(?![\d.]).*refused")
    return [r.getMessage() for r in caplog.records if pattern.search(r.getMessage())]


def dc09_refused(
    rx: RunningReceiver, reason: str, reply: str = "close", transport: str = "tcp"
) -> float:
    """How many DC-09 refusals of one kind the receiver counted."""
    return rx.metrics.value(REJECTED, reason=reason, reply=reply, transport=transport)


def sip_refused(
    rx: RunningReceiver, reason: str, status: str = "close", transport: str = "tcp"
) -> float:
    """How many SIP refusals of one kind the receiver counted."""
    return rx.metrics.value(SCAIP_REJECTED, reason=reason, status=status, transport=transport)


@dataclass
class Stall:
    """The receiver's alarm writer held up: ``entered`` lists what reached it."""

    entered: list[object]
    release: threading.Event


@contextmanager
def stalled_store(rx: RunningReceiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stall]:
    """Hold every alarm at the writer until released, so its datagram stays in flight."""
    writer = rx.receiver.writer
    original = writer.store
    stall = Stall([], threading.Event())

    async def held(records: Sequence[AlarmRecord]) -> list[Stored]:
        stall.entered.append(records)
        await asyncio.to_thread(stall.release.wait)
        return await original(records)

    monkeypatch.setattr(writer, "store", held)
    try:
        yield stall
    finally:
        stall.release.set()


@pytest.fixture
def refusal_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The receivers' log lines from INFO up."""
    caplog.set_level(logging.INFO, logger="stadsvakt.alarms")
    return caplog


# --- DC-09 over TCP: one address at its limit --------------------------------------------


def test_one_address_at_its_limit_leaves_room_for_another(
    receiver_db: ReceiverDb, start_receiver: Callable[..., RunningReceiver]
) -> None:
    rx = start_receiver(max_connections_per_address=3, max_connections=100)
    row = receiver_db.add()
    rx.refresh()
    held = [connect_from(rx, FIRST) for _ in range(3)]
    try:
        for sequence, sock in enumerate(held, start=1):
            assert token(exchange(sock, fa.null_frame(row.account, sequence))) == "ACK"
        with connect_from(rx, FIRST) as fourth:
            assert closed_unanswered(fourth)
        with connect_from(rx, SECOND) as other:
            assert token(exchange(other, fa.sia_frame(row.account, 10))) == "ACK"
        for sequence, sock in enumerate(held, start=20):  # the held ones are still served
            assert token(exchange(sock, fa.null_frame(row.account, sequence))) == "ACK"
    finally:
        for sock in held:
            sock.close()
    assert dc09_refused(rx, "address_limit") == 1
    assert dc09_refused(rx, "connection_limit") == 0
    assert receiver_db.count(row.account) == 1


def test_a_closed_connection_gives_its_address_the_slot_back(
    receiver_db: ReceiverDb, start_receiver: Callable[..., RunningReceiver]
) -> None:
    rx = start_receiver(max_connections_per_address=1)
    row = receiver_db.add()
    rx.refresh()
    with connect_from(rx, FIRST) as first:
        assert token(exchange(first, fa.null_frame(row.account, 1))) == "ACK"
    wait_until(lambda: rx.receiver.metrics.value(CONNECTIONS) == 0, "the connection to close")
    with connect_from(rx, FIRST) as again:
        assert token(exchange(again, fa.null_frame(row.account, 2))) == "ACK"
    assert dc09_refused(rx, "address_limit") == 0


def test_a_flood_from_one_address_is_counted_and_logged_once(
    start_receiver: Callable[..., RunningReceiver], refusal_log: pytest.LogCaptureFixture
) -> None:
    rx = start_receiver(max_connections_per_address=2)
    held = [connect_from(rx, FIRST) for _ in range(2)]
    try:
        wait_until(lambda: rx.receiver.metrics.value(CONNECTIONS) == 2, "two connections")
        for _ in range(20):
            with connect_from(rx, FIRST) as refused:
                assert closed_unanswered(refused)
        with connect_from(rx, SECOND) as a, connect_from(rx, SECOND) as b:
            wait_until(lambda: rx.receiver.metrics.value(CONNECTIONS) == 4, "four connections")
            with connect_from(rx, SECOND) as refused:
                assert closed_unanswered(refused)
            assert a.fileno() >= 0 and b.fileno() >= 0
    finally:
        for sock in held:
            sock.close()
    assert dc09_refused(rx, "address_limit") == 21
    [line] = refusal_lines(refusal_log, FIRST)
    assert "address_limit" in line and "max_connections_per_address" in line
    assert len(refusal_lines(refusal_log, SECOND)) == 1


def test_refusals_at_the_shared_limit_are_logged_once_per_address(
    start_receiver: Callable[..., RunningReceiver], refusal_log: pytest.LogCaptureFixture
) -> None:
    rx = start_receiver(max_connections=1)
    with connect_from(rx, SECOND):
        wait_until(lambda: rx.receiver.metrics.value(CONNECTIONS) == 1, "one connection")
        for _ in range(10):
            with connect_from(rx, FIRST) as refused:
                assert closed_unanswered(refused)
    assert dc09_refused(rx, "connection_limit") == 10
    [line] = refusal_lines(refusal_log, FIRST)
    assert "connection_limit" in line


# --- DC-09 over TCP: deadlines -----------------------------------------------------------


def test_a_frame_trickled_a_byte_at_a_time_is_cut_at_the_frame_deadline(
    start_receiver: Callable[..., RunningReceiver],
) -> None:
    rx = start_receiver(frame_timeout_s=0.3, read_timeout_s=60)
    with connect_from(rx, FIRST) as sock:
        assert trickle(sock, b"\n" + b"1" * 900)  # never a CR: never a whole frame
    assert dc09_refused(rx, "frame_timeout") == 1
    assert dc09_refused(rx, "read_timeout") == 0


def test_noise_between_frames_does_not_keep_a_connection_open(
    start_receiver: Callable[..., RunningReceiver],
) -> None:
    rx = start_receiver(read_timeout_s=0.3, frame_timeout_s=60)
    with connect_from(rx, FIRST) as sock:
        assert trickle(sock, b"noise without a line feed ")
    assert dc09_refused(rx, "read_timeout") == 1


def test_restarted_frames_do_not_move_the_frame_deadline(
    start_receiver: Callable[..., RunningReceiver],
) -> None:
    rx = start_receiver(frame_timeout_s=0.3, read_timeout_s=60)
    with connect_from(rx, FIRST) as sock:
        assert trickle(sock, b"\n12345", step=3)  # a new LF before each CR
    assert dc09_refused(rx, "frame_timeout") == 1


def test_whole_frames_keep_a_connection_open_past_the_frame_deadline(
    receiver_db: ReceiverDb, start_receiver: Callable[..., RunningReceiver]
) -> None:
    rx = start_receiver(frame_timeout_s=0.3, read_timeout_s=60)
    row = receiver_db.add()
    rx.refresh()
    started = time.monotonic()
    sequence = 0
    with connect_from(rx, FIRST) as sock:
        while time.monotonic() - started < 0.9:  # three frame deadlines
            sequence += 1
            frame = fa.null_frame(row.account, sequence)
            sock.sendall(frame[:10])
            assert not closed_unanswered(sock, within=0.1)  # the peer's pause mid-frame
            assert token(exchange(sock, frame[10:])) == "ACK"
    assert dc09_refused(rx, "frame_timeout") == 0


def test_a_connection_idle_after_its_frames_is_closed(
    receiver_db: ReceiverDb, start_receiver: Callable[..., RunningReceiver]
) -> None:
    rx = start_receiver(read_timeout_s=0.3)
    row = receiver_db.add()
    rx.refresh()
    with connect_from(rx, FIRST) as sock:
        assert token(exchange(sock, fa.null_frame(row.account, 1))) == "ACK"
        assert closed_unanswered(sock)
    assert dc09_refused(rx, "read_timeout") == 1


def test_timeouts_of_many_connections_from_one_address_are_logged_once(
    start_receiver: Callable[..., RunningReceiver], refusal_log: pytest.LogCaptureFixture
) -> None:
    rx = start_receiver(read_timeout_s=0.3)
    sockets = [connect_from(rx, FIRST) for _ in range(5)]
    try:
        assert all(closed_unanswered(sock) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
    wait_until(lambda: dc09_refused(rx, "read_timeout") == 5, "five idle timeouts")
    assert len(refusal_lines(refusal_log, FIRST)) == 1


# --- DC-09 over UDP ----------------------------------------------------------------------


def test_one_address_cannot_fill_the_datagrams_in_flight(
    receiver_db: ReceiverDb,
    start_receiver: Callable[..., RunningReceiver],
    monkeypatch: pytest.MonkeyPatch,
    refusal_log: pytest.LogCaptureFixture,
) -> None:
    rx = start_receiver(max_connections_per_address=3)
    row = receiver_db.add()
    rx.refresh()
    senders = [udp_from(FIRST) for _ in range(3)]
    try:
        with stalled_store(rx, monkeypatch) as stall:
            for sequence, sock in enumerate(senders, start=1):
                sock.sendto(fa.sia_frame(row.account, sequence, f"NBA{sequence:02d}"), rx.udp)
            wait_until(lambda: len(stall.entered) == 3, "three alarms at the writer")
            with udp_from(FIRST) as flood:
                for sequence in range(4, 15):
                    flood.sendto(fa.sia_frame(row.account, sequence), rx.udp)
            wait_until(
                lambda: dc09_refused(rx, "address_limit", "drop", "udp") == 11,
                "the flood refused",
                timeout=5,
            )
            with udp_from(SECOND) as other:  # another address is still answered
                other.sendto(fa.sia_frame(fa.next_account(), 1), rx.udp)
                assert token(other.recvfrom(4096)[0]) == "DUH"
            assert len(stall.entered) == 3
            stall.release.set()
            assert [token(sock.recvfrom(4096)[0]) for sock in senders] == ["ACK"] * 3
    finally:
        for sock in senders:
            sock.close()
    assert receiver_db.count(row.account) == 3
    assert len(refusal_lines(refusal_log, FIRST)) == 1


# --- SCAIP (SIP) -------------------------------------------------------------------------


def options(rx: RunningReceiver, transport: str = "TCP", call_id: str = "limits-1") -> bytes:
    """An OPTIONS request (answered 200 without touching the database)."""
    headers = [
        ("Via", f"SIP/2.0/{transport} 127.0.0.1:5070;branch=z9hG4bK{call_id}"),
        ("From", "<sip:unit@127.0.0.1>;tag=abc"),
        ("To", "<sip:alarm@127.0.0.1>"),
        ("Call-ID", f"{call_id}@test"),
        ("CSeq", "1 OPTIONS"),
    ]
    return build_request("OPTIONS", f"sip:alarm@127.0.0.1:{rx.tcp[1]}", headers)


def sip_exchange(sock: socket.socket, data: bytes) -> SipResponse:
    """Send a request over TCP and read its response."""
    sock.sendall(data)
    return read_response(sock)


def test_sip_one_address_at_its_limit_leaves_room_for_another(
    start_sip: Callable[..., RunningReceiver], refusal_log: pytest.LogCaptureFixture
) -> None:
    sip = start_sip(max_connections_per_address=3, max_connections=100)
    held = [connect_from(sip, FIRST) for _ in range(3)]
    try:
        for sock in held:
            assert sip_exchange(sock, options(sip)).status == 200
        for _ in range(5):
            with connect_from(sip, FIRST) as refused:
                assert closed_unanswered(refused)
        with connect_from(sip, SECOND) as other:
            assert sip_exchange(other, options(sip)).status == 200
        assert sip_exchange(held[0], options(sip)).status == 200
    finally:
        for sock in held:
            sock.close()
    assert sip_refused(sip, "address_limit") == 5
    assert len(refusal_lines(refusal_log, FIRST)) == 1


def test_sip_refusals_at_the_shared_limit_are_logged_once(
    start_sip: Callable[..., RunningReceiver], refusal_log: pytest.LogCaptureFixture
) -> None:
    sip = start_sip(max_connections=1)
    with connect_from(sip, SECOND):
        wait_until(lambda: sip.receiver.metrics.value(SIP_CONNECTIONS) == 1, "one connection")
        for _ in range(10):
            with connect_from(sip, FIRST) as refused:
                assert closed_unanswered(refused)
    assert sip_refused(sip, "connection_limit") == 10
    assert len(refusal_lines(refusal_log, FIRST)) == 1


def test_sip_request_trickled_a_byte_at_a_time_is_cut_at_the_frame_deadline(
    start_sip: Callable[..., RunningReceiver],
) -> None:
    sip = start_sip(frame_timeout_s=0.3, read_timeout_s=60)
    with connect_from(sip, FIRST) as sock:
        assert trickle(sock, options(sip))
    assert sip_refused(sip, "frame_timeout") == 1


def test_sip_keep_alives_do_not_keep_an_idle_connection_open(
    start_sip: Callable[..., RunningReceiver],
) -> None:
    sip = start_sip(read_timeout_s=0.3, frame_timeout_s=60)
    with connect_from(sip, FIRST) as sock:
        assert sip_exchange(sock, options(sip)).status == 200
        assert trickle(sock, b"\r\n\r\n", step=4)  # RFC 5626 pings, and never a request
    assert sip_refused(sip, "read_timeout") == 1


def test_a_peer_that_does_not_read_its_replies_is_cut_off(
    start_sip: Callable[..., RunningReceiver],
) -> None:
    sip = start_sip(frame_timeout_s=0.3, read_timeout_s=60)
    # Every Via comes back in its response (about 7 KB): a peer that keeps asking and
    # never reads fills the kernel's buffers (a few MB), then the receiver's.
    vias = [("Via", f"SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK{n:08d}") for n in range(120)]
    headers = [*vias, ("From", "<sip:unit@127.0.0.1>;tag=a"), ("To", "<sip:alarm@127.0.0.1>")]
    headers += [("Call-ID", "unread@test"), ("CSeq", "1 OPTIONS")]
    data = build_request("OPTIONS", f"sip:alarm@127.0.0.1:{sip.tcp[1]}", headers) * 20
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        sock.bind((FIRST, 0))
        sock.connect(sip.tcp)
        sock.settimeout(0.05)  # a send that waits for the receiver to read doubles as a pause

        def cut_off() -> bool:
            try:
                sock.send(data)
            except TimeoutError:
                pass
            except OSError:  # the connection was cut
                return True
            return sip_refused(sip, "reply_timeout") == 1

        wait_until(cut_off, "the peer cut off for not reading its replies")
        # Reset, not closed politely: a polite close would keep the receiver's socket and
        # the unread replies (outside every limit) until this peer reads them, never.
        wait_until(lambda: tcp_state(sock) == TCP_CLOSE, "the connection reset", timeout=5)
    finally:
        sock.close()
    assert sip_refused(sip, "reply_timeout") == 1


def test_sip_one_address_cannot_fill_the_datagrams_in_flight(
    receiver_db: ReceiverDb,
    start_sip: Callable[..., RunningReceiver],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sip = start_sip(max_connections_per_address=3)
    row, unit = add_unit(receiver_db)
    sip.refresh()
    rng = random.Random(3)
    senders = [udp_from(FIRST) for _ in range(3)]
    try:
        with stalled_store(sip, monkeypatch) as stall:
            for sock in senders:
                sock.sendto(mrq_message(unit.alarm(rng), sip), sip.udp)
            wait_until(lambda: len(stall.entered) == 3, "three alarms at the writer")
            with udp_from(FIRST) as flood:
                for _ in range(5):
                    flood.sendto(mrq_message(unit.alarm(rng), sip), sip.udp)
            wait_until(
                lambda: sip_refused(sip, "address_limit", "drop", "udp") == 5,
                "the flood refused",
                timeout=5,
            )
            with udp_from(SECOND) as other:
                other.sendto(options(sip, "UDP", "limits-udp"), sip.udp)
                assert parse_response(other.recvfrom(65536)[0]).status == 200
            assert len(stall.entered) == 3
            stall.release.set()
            replies = [parse_response(sock.recvfrom(65536)[0]).status for sock in senders]
            assert replies == [200] * 3
    finally:
        for sock in senders:
            sock.close()
    assert receiver_db.count(row.account) == 3


# --- the rules on their own --------------------------------------------------------------


def test_settings_default_to_a_per_address_limit_below_the_shared_one() -> None:
    settings = AlarmSettings()
    assert settings.max_connections_per_address < settings.max_connections
    assert settings.frame_timeout_s < settings.read_timeout_s


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (("192.0.2.1", 1000), ("192.0.2.1", 2000), True),
        (("192.0.2.1", 1000), ("192.0.2.2", 1000), False),
        (("2001:db8::1", 1, 0, 0), ("2001:db8::ffff:1", 2, 0, 0), True),  # one /64
        (("2001:db8::1", 1, 0, 0), ("2001:db8:0:1::1", 1, 0, 0), False),
        (("::ffff:192.0.2.1", 1, 0, 0), ("192.0.2.1", 2), True),  # dual-stack socket
        (("fe80::1%eth0", 1, 0, 2), ("fe80::2%eth0", 1, 0, 2), True),
    ],
)
def test_peers_are_counted_per_ipv4_address_and_per_ipv6_64(
    a: tuple[object, ...], b: tuple[object, ...], same: bool
) -> None:
    assert (address_key(a) == address_key(b)) is same


def test_address_counts_check_the_address_before_the_total() -> None:
    counts = AddressCounts(per_address=2, total=3)
    assert counts.take("a") is None and counts.take("a") is None
    assert counts.take("a") == "address"
    assert counts.take("b") is None
    assert counts.take("c") == "total"
    assert counts.take("a") == "address"  # its own limit, not everyone's
    counts.release("a")
    assert counts.take("c") is None
    assert (counts.held("a"), counts.held("b"), counts.held("c"), counts.total) == (1, 1, 1, 3)


class _Clock:
    """A monotonic clock a test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_refusal_log_writes_a_peer_once_per_minute_with_what_it_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = _Clock()
    log = RefusalLog(logging.getLogger("tests.refusals"), "dc09", clock=clock)
    with caplog.at_level(logging.INFO, logger="tests.refusals"):
        for _ in range(50):
            log.refused("192.0.2.1", "address_limit", "close", "tcp", "full")
            clock.now += 1.0  # one refusal a second, for fifty seconds
        log.refused("192.0.2.9", "read_timeout", "close", "tcp", "idle")
        clock.now += 10.0
        log.refused("192.0.2.1", "read_timeout", "close", "tcp", "idle")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert "192.0.2.1 refused (address_limit" in lines[0]
    assert "192.0.2.9 refused (read_timeout" in lines[1]
    assert "49 more since the last line (address_limit 49)" in lines[2]
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.INFO, logging.INFO]


def test_the_refusal_log_stays_bounded_when_many_addresses_are_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = _Clock()
    log = RefusalLog(logging.getLogger("tests.refusals"), "dc09", max_peers=3, clock=clock)
    with caplog.at_level(logging.INFO, logger="tests.refusals"):
        for n in range(100):
            log.refused(f"198.51.100.{n}", "udp_overload", "drop", "udp", "full")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4  # three addresses, then one line for all the rest
    assert f"from {MANY_PEERS} refused" in lines[3]
    assert len(log._peers) == 4


@hypothesis_settings(max_examples=200)
@given(
    reads=st.lists(
        st.tuples(st.floats(min_value=0, max_value=5), st.booleans()), min_size=1, max_size=30
    ),
    idle_s=st.floats(min_value=0.1, max_value=100),
    frame_s=st.floats(min_value=0.1, max_value=100),
)
def test_reads_without_a_whole_frame_never_move_the_deadline_later(
    reads: list[tuple[float, bool]], idle_s: float, frame_s: float
) -> None:
    now = 0.0
    deadline = ConnectionDeadline(now, idle_s=idle_s, frame_s=frame_s)
    frame_started: float | None = None
    for gap, pending in reads:
        now += gap
        if now >= deadline.at:
            break  # the receiver would have closed the connection
        deadline.received(now, finished=0, pending=pending)
        if not pending:
            frame_started = None
        elif frame_started is None:
            frame_started = now
        assert deadline.at <= idle_s  # only a whole frame buys more idle time
        if frame_started is not None and pending:
            assert deadline.at <= frame_started + frame_s


def test_a_whole_frame_restarts_the_idle_limit_and_the_next_frame_its_own_deadline() -> None:
    deadline = ConnectionDeadline(0.0, idle_s=60, frame_s=10)
    deadline.received(5.0, finished=0, pending=True)
    assert (deadline.at, deadline.reason) == (15.0, "frame_timeout")
    deadline.received(12.0, finished=1, pending=False)
    assert (deadline.at, deadline.reason) == (72.0, "read_timeout")
    deadline.received(70.0, finished=0, pending=True)  # a frame begun just before idle ends
    assert (deadline.at, deadline.reason) == (72.0, "read_timeout")
    deadline.received(71.0, finished=1, pending=True)  # one done, the next one begun
    assert (deadline.at, deadline.reason) == (81.0, "frame_timeout")
