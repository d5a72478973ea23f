"""A frame that cannot be stored as sent never poisons the writer or other panels' frames.

What does not fit a column is stored as unreadable, with its raw frame, and ACKed; a row
the database refuses all the same is taken out of its batch (the others commit) and
stored as unreadable, or refused alone; each such frame logs one line, no traceback.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm import Session

from stadsvakt.alarms.metrics import ALARMS, STORE_REFUSED, Metrics
from stadsvakt.alarms.models import Transmitter
from stadsvakt.alarms.normalise import AlarmRecord, Envelope, Source, from_event
from stadsvakt.alarms.protocols import scaip_codes, sia_codes
from stadsvakt.alarms.protocols.dc09.message import Dc09Message
from stadsvakt.alarms.protocols.scaip import ScaipRequest, parse_mrs
from stadsvakt.alarms.receivers import writer as writer_module
from stadsvakt.alarms.receivers.writer import AlarmWriter
from stadsvakt.alarms.store import Stored, receive_alarms
from stadsvakt.db import utcnow
from tests import factories_alarms as fa
from tests.alarms.conftest import ReceiverDb, RunningReceiver, exchange
from tests.alarms.scaip_support import add_unit, mrq_message, udp_send
from tests.alarms.test_dc09_tcp import token

POISON = "Nid99999999999999999999ri1/BA01"


@pytest.mark.parametrize(
    "events",
    [
        POISON,  # OverflowError at insert on SQLite, before: NAK forever
        "Nid2147483648ri1/BA01",  # 2**31: past PostgreSQL's integer
        "Nri1id0000000000000000000000000002147483648/BA01",
        "Nri4294967297/OP01",
    ],
)
def test_a_number_past_its_column_is_stored_unreadable_with_its_frame_and_acked(
    receiver_db: ReceiverDb, rx: RunningReceiver, events: str
) -> None:
    row = receiver_db.add()
    rx.refresh()
    frame = fa.sia_frame(row.account, 7, events)
    with rx.connect() as sock:
        assert token(exchange(sock, frame)) == "ACK"
        assert token(exchange(sock, frame)) == "ACK"  # the panel's retry: recognised
    [alarm] = receiver_db.alarms(row.account)
    assert (alarm.category, alarm.code, alarm.priority) == ("unknown", "", 4)
    assert "larger than 2147483647" in alarm.description
    assert (alarm.zone, alarm.user_number, alarm.partition) == (None, None, None)
    assert alarm.raw == frame and events in alarm.payload


def test_a_poisoned_frame_sent_again_and_again_never_fails_other_panels_frames(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    poisoned = receiver_db.add()
    panels = [receiver_db.add() for _ in range(6)]
    rx.refresh()
    # All sent back to back, so the poisoned frames share batches with the good ones.
    good = {
        (panel.account, seq): fa.sia_frame(panel.account, seq, f"Nri1/BA{seq:02d}")
        for seq in range(1, 9)
        for panel in panels
    }
    sockets = {account: _udp() for account in {p.account for p in panels}}
    poison_socket = _udp()
    with poison_socket:
        for number, ((account, _), frame) in enumerate(good.items()):
            sockets[account].sendto(frame, rx.udp)
            if number % 3 == 0:
                poison_socket.sendto(fa.sia_frame(poisoned.account, number + 1, POISON), rx.udp)
        replies = [
            token(sock.recvfrom(4096)[0]) for account, sock in sockets.items() for _ in range(8)
        ]
        poison_replies = [token(poison_socket.recvfrom(4096)[0]) for _ in range(16)]
    for sock in sockets.values():
        sock.close()
    assert replies == ["ACK"] * len(good)
    assert poison_replies == ["ACK"] * 16
    for panel in panels:
        assert sorted(a.zone or 0 for a in receiver_db.alarms(panel.account)) == list(range(1, 9))
    assert {a.category for a in receiver_db.alarms(poisoned.account)} == {"unknown"}


def _udp() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(10)
    return sock


def test_a_scaip_device_id_that_is_no_number_is_stored_and_answered_ok(
    receiver_db: ReceiverDb, sip: RunningReceiver
) -> None:
    row, _ = add_unit(receiver_db)
    sip.refresh()
    # "²" is a digit to str.isdigit() but no number to int(): before, 503 forever.
    request = ScaipRequest(ref="S1", cid=row.account, device_type=3, status=10, device_id="²")
    response = udp_send(sip.udp, mrq_message(request, sip))
    assert response.status == 200
    assert parse_mrs(response.body).snu == 0
    [alarm] = receiver_db.alarms(row.account)
    assert (alarm.category, alarm.zone) == ("social", None)
    assert "device ²" in (alarm.text or "")


def test_a_parsers_own_failure_stores_the_frame_unreadable_and_acks(
    receiver_db: ReceiverDb, rx: RunningReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = receiver_db.add()
    rx.refresh()
    real = sia_codes.parse_sia_data

    def parse(data: str) -> sia_codes.SiaBlock:
        if "BA99" in data:
            raise IndexError("a bug met this block")
        return real(data)

    monkeypatch.setattr(sia_codes, "parse_sia_data", parse)
    frame = fa.sia_frame(row.account, 4, "Nri1/BA99")
    with rx.connect() as sock:
        assert token(exchange(sock, frame)) == "ACK"  # before: no answer, connection closed
        assert token(exchange(sock, fa.sia_frame(row.account, 5))) == "ACK"
    poisoned, good = receiver_db.alarms(row.account)
    assert (poisoned.category, poisoned.raw) == ("unknown", frame)
    assert "IndexError" in poisoned.description
    assert good.category == "intrusion"


def test_a_code_tables_own_failure_stores_the_message_unreadable_and_answers_ok(
    receiver_db: ReceiverDb, sip: RunningReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    row, _ = add_unit(receiver_db)
    sip.refresh()

    def event(request: ScaipRequest) -> object:
        raise KeyError("a bug met this message")

    monkeypatch.setattr(scaip_codes, "event", event)
    data = mrq_message(ScaipRequest(ref="K1", cid=row.account, device_type=3), sip)
    response = udp_send(sip.udp, data)
    assert response.status == 200  # before: 503, and the unit sent it again forever
    assert parse_mrs(response.body).snu == 0
    [alarm] = receiver_db.alarms(row.account)
    assert (alarm.category, alarm.raw) == ("unknown", data)


# --- the writer: one batch, one row the database refuses -------------------------------------


def _record(row: Transmitter, zone: int, *, transmitter_id: uuid.UUID | None = None) -> AlarmRecord:
    """An intrusion alarm of ``row``'s panel for ``zone``, as the DC-09 handler builds it."""
    now = utcnow()
    frame = fa.sia_frame(row.account, zone, f"Nri1/BA{zone:02d}", timestamp=now)
    message = Dc09Message.parse(frame, lambda *_: None, now)
    envelope = Envelope(
        source=Source(row.tenant_id, row.site_id, transmitter_id or row.id),
        protocol="dc09-sia",
        account=row.account,
        sequence=message.sequence,
        received_at=now,
        event_time=message.timestamp,
        encrypted=False,
        payload=f"[{message.data}]",
        raw=frame,
    )
    return from_event(message.events()[0], envelope, 0)


def _one_batch(
    writer: AlarmWriter, jobs: Sequence[list[AlarmRecord]]
) -> list[list[Stored] | BaseException]:
    """Store the jobs as one batch: all queued before the writer takes the first."""

    async def scenario() -> list[list[Stored] | BaseException]:
        stores = asyncio.gather(*(writer.store(job) for job in jobs), return_exceptions=True)
        task = asyncio.create_task(writer.run())  # runs after every store() has queued
        try:
            return list(await stores)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    return asyncio.run(scenario())


def _refusing(zone: int, error: Exception) -> Any:
    """``receive_alarms`` as a database that refuses every row of ``zone``."""

    def receive(session: Session, records: Sequence[AlarmRecord], **kwargs: Any) -> list[Stored]:
        if any(record.zone == zone for record in records):
            raise error
        return receive_alarms(session, records, **kwargs)

    return receive


def _writer_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == writer_module.log.name and r.levelno >= 30]


def test_a_row_the_database_refuses_is_stored_unreadable_and_the_rest_of_its_batch_commits(
    receiver_db: ReceiverDb, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [receiver_db.add() for _ in range(9)]
    refusal = DataError("INSERT INTO alarms ...", {"zone": 5}, Exception("integer out of range"))
    monkeypatch.setattr(writer_module, "receive_alarms", _refusing(5, refusal))
    metrics = Metrics()
    writer = AlarmWriter(receiver_db.services.session_factory, metrics)
    jobs = [[_record(row, zone)] for zone, row in enumerate(rows, start=1)]
    with caplog.at_level(logging.INFO):
        outcomes = _one_batch(writer, jobs)
    assert all(isinstance(outcome, list) for outcome in outcomes), outcomes
    for zone, row in enumerate(rows, start=1):
        [alarm] = receiver_db.alarms(row.account)
        if zone == 5:
            assert (alarm.category, alarm.zone, alarm.raw) == ("unknown", None, jobs[4][0].raw)
            assert "integer out of range" in alarm.description
        else:
            assert (alarm.category, alarm.zone) == ("intrusion", zone)
    assert metrics.value(ALARMS) == 9
    assert metrics.value(STORE_REFUSED, outcome="unreadable") == 1
    [line] = _writer_warnings(caplog)
    assert line.exc_info is None and len(line.getMessage()) < 300
    assert rows[4].account in line.getMessage()


def test_a_frame_whose_row_cannot_be_stored_at_all_is_refused_alone(
    receiver_db: ReceiverDb, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [receiver_db.add() for _ in range(6)]
    # Its transmitter was deleted after the receiver looked it up: a real foreign-key
    # violation on both databases, for the row and for its unreadable copy alike.
    jobs = [[_record(row, zone)] for zone, row in enumerate(rows, start=1)]
    jobs[2] = [_record(rows[2], 3, transmitter_id=uuid.uuid4())]
    metrics = Metrics()
    writer = AlarmWriter(receiver_db.services.session_factory, metrics)
    with caplog.at_level(logging.INFO):
        outcomes = _one_batch(writer, jobs)
    assert [isinstance(outcome, BaseException) for outcome in outcomes] == [
        False,
        False,
        True,
        False,
        False,
        False,
    ]
    assert [receiver_db.count(row.account) for row in rows] == [1, 1, 0, 1, 1, 1]
    assert metrics.value(STORE_REFUSED, outcome="refused") == 1
    assert not any(record.exc_info for record in caplog.records)


def test_when_the_database_is_away_the_batch_is_refused_at_once_not_row_by_row(
    receiver_db: ReceiverDb, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [receiver_db.add() for _ in range(8)]
    calls: list[int] = []

    def away(session: Session, records: Sequence[AlarmRecord], **kwargs: Any) -> list[Stored]:
        calls.append(len(records))
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(writer_module, "receive_alarms", away)
    writer = AlarmWriter(receiver_db.services.session_factory, Metrics())
    with caplog.at_level(logging.INFO):
        outcomes = _one_batch(writer, [[_record(row, 1)] for row in rows])
    assert all(isinstance(outcome, OperationalError) for outcome in outcomes)
    assert calls == [8]
    [line] = _writer_warnings(caplog)
    assert line.exc_info is None and "server closed the connection" in line.getMessage()


def test_a_job_being_written_when_the_writer_stops_is_failed_not_left_waiting(
    receiver_db: ReceiverDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = receiver_db.add()

    async def scenario() -> BaseException | list[Stored]:
        writer = AlarmWriter(receiver_db.services.session_factory, Metrics())
        entered = asyncio.Event()

        async def hang(records: list[AlarmRecord]) -> list[Stored]:
            entered.set()
            await asyncio.Event().wait()
            return []

        monkeypatch.setattr(writer, "_commit", hang)
        store = asyncio.ensure_future(writer.store([_record(row, 1)]))
        task = asyncio.create_task(writer.run())
        await entered.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        async with asyncio.timeout(10):  # before, the frame's handler waited forever
            results = await asyncio.gather(store, return_exceptions=True)
        return results[0]

    assert isinstance(asyncio.run(scenario()), asyncio.CancelledError)
