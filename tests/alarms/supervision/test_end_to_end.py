"""Supervision end to end: a real DC-09 receiver on port 0 feeds heartbeats; the real loop runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from stadsvakt.alarms.metrics import Metrics
from stadsvakt.alarms.models import Transmitter
from stadsvakt.alarms.receivers.dc09 import Dc09Receiver
from stadsvakt.alarms.store import touch_transmitters
from stadsvakt.alarms.supervision.records import FAILURE_CODE, RESTORE_CODE
from stadsvakt.alarms.supervision.watcher import Supervisor
from stadsvakt.db import unit_of_work, utcnow
from stadsvakt.settings import AlarmSettings
from tests import factories_alarms as fa
from tests.alarms.conftest import ReceiverDb, RunningReceiver, alarm_settings, exchange
from tests.alarms.supervision.test_watcher import Clock, kinds
from tests.waiting import wait_until, wait_until_async


def test_dc09_heartbeats_keep_a_transmitter_supervised_and_silence_fails_it(
    receiver_db: ReceiverDb,
) -> None:
    row = receiver_db.add(interval_s=10)
    clock = Clock()
    settings = alarm_settings(supervision_grace_s=5)
    services = receiver_db.services
    receiver = Dc09Receiver(
        settings, services.session_factory, services.box, metrics=Metrics(), clock=clock
    )
    running = RunningReceiver(receiver).start()
    job = Supervisor(settings, services.session_factory, metrics=Metrics(), clock=clock)
    try:
        job.start()

        def heartbeat(sequence: int) -> None:
            before = receiver_db.transmitter(row.id).last_seen_at
            with running.connect() as sock:
                assert b'"ACK"' in exchange(sock, fa.null_frame(row.account, sequence))
            wait_until(lambda: receiver_db.transmitter(row.id).last_seen_at != before, "last seen")

        heartbeat(1)
        clock.advance(14)
        job.tick()
        assert kinds(receiver_db, row) == []

        clock.advance(2)  # 16 s after the heartbeat: past interval 10 + grace 5
        job.tick()
        assert kinds(receiver_db, row) == [(FAILURE_CODE, "new")]
        assert receiver_db.transmitter(row.id).path_failed_at is not None

        heartbeat(2)
        clock.advance(2)  # heartbeats are read every grace / 3 s here
        job.tick()
        assert kinds(receiver_db, row) == [(FAILURE_CODE, "new"), (RESTORE_CODE, "restore")]
        assert receiver_db.transmitter(row.id).path_failed_at is None
    finally:
        running.stop()


def test_the_serving_loop_raises_a_failure_moments_after_the_deadline(
    receiver_db: ReceiverDb,
) -> None:
    row: Transmitter = receiver_db.add(interval_s=10)
    with unit_of_work(receiver_db.services.session_factory) as session:
        touch_transmitters(session, {row.id: utcnow() - timedelta(seconds=9.5)})
    job = Supervisor(AlarmSettings(supervision_grace_s=0), receiver_db.services.session_factory)

    async def failed() -> bool:
        return await asyncio.to_thread(kinds, receiver_db, row) != []

    async def main() -> None:
        task = asyncio.create_task(job.serve())
        try:
            await asyncio.wait_for(job.ready.wait(), 10)
            await wait_until_async(failed, "the path failure")
        finally:
            task.cancel()

    asyncio.run(asyncio.wait_for(main(), 20))
    (alarm,) = receiver_db.alarms(row.account)
    assert alarm.code == FAILURE_CODE
    assert alarm.event_time is not None
    # Raised moments after the deadline (last seen + 10 s), however the machine is loaded.
    assert alarm.received_at - alarm.event_time < timedelta(seconds=10)
