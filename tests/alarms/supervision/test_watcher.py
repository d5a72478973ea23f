"""The supervision job against a real database (SQLite and PostgreSQL), clock injected.

Each test drives :meth:`Supervisor.tick` with a fake clock, so a 90-second interval
takes no real time; the last test runs the real loop beside a real DC-09 receiver.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import update

from stadsvakt.alarms.metrics import PATH_FAILED, SUPERVISED, Metrics
from stadsvakt.alarms.models import Transmitter
from stadsvakt.alarms.schemas import TransmitterOut
from stadsvakt.alarms.store import touch_transmitters
from stadsvakt.alarms.supervision.records import FAILURE_CODE, RESTORE_CODE
from stadsvakt.alarms.supervision.watcher import Supervisor
from stadsvakt.db import unit_of_work, utcnow
from stadsvakt.settings import AlarmSettings
from tests.alarms.conftest import ReceiverDb

GRACE = 30


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        """Move on and return the new time."""
        self.now += timedelta(seconds=seconds)
        return self.now


def supervisor(db: ReceiverDb, clock: Clock, metrics: Metrics | None = None) -> Supervisor:
    """A started supervisor on the test database."""
    settings = AlarmSettings(supervision_grace_s=GRACE)
    job = Supervisor(
        settings, db.services.session_factory, metrics=metrics or Metrics(), clock=clock
    )
    job.start()
    return job


def heartbeat(db: ReceiverDb, row: Transmitter, moment: datetime) -> None:
    """Store a heartbeat as the receivers' writer does."""
    with unit_of_work(db.services.session_factory) as session:
        touch_transmitters(session, {row.id: moment})


def edit(db: ReceiverDb, clock: Clock, ids: list[uuid.UUID], **values: object) -> None:
    """Change registry rows as the API does, stamped with the test's clock."""
    with unit_of_work(db.services.session_factory) as session:
        stmt = update(Transmitter).where(Transmitter.id.in_(ids))
        session.execute(stmt.values(updated_at=clock.now, **values))


def kinds(db: ReceiverDb, row: Transmitter) -> list[tuple[str, str]]:
    """The (code, qualifier) of a transmitter's alarms, oldest first."""
    return [(alarm.code, alarm.qualifier) for alarm in db.alarms(row.account)]


def test_silent_transmitter_fails_once_and_its_heartbeat_restores_it(
    receiver_db: ReceiverDb,
) -> None:
    row = receiver_db.add(interval_s=90)
    clock = Clock()
    heartbeat(receiver_db, row, clock.now)
    metrics = Metrics()
    job = supervisor(receiver_db, clock, metrics)
    assert metrics.value(SUPERVISED) >= 1
    clock.advance(90 + GRACE - 1)
    job.tick()
    assert kinds(receiver_db, row) == []

    clock.advance(1)
    job.tick()
    (alarm,) = receiver_db.alarms(row.account)
    assert (alarm.code, alarm.qualifier, alarm.category) == (FAILURE_CODE, "new", "fault")
    assert alarm.priority == 6 and alarm.protocol == "supervision"
    assert alarm.site_id == receiver_db.site.id and alarm.transmitter_id == row.id
    assert "path failure" in alarm.description
    stored = receiver_db.transmitter(row.id)
    assert stored.path_failed_at is not None
    assert TransmitterOut.model_validate(stored).path_failed is True
    assert metrics.value(PATH_FAILED) >= 1

    for _ in range(5):  # still silent: no second alarm
        clock.advance(60)
        job.tick()
    assert kinds(receiver_db, row) == [(FAILURE_CODE, "new")]

    heartbeat(receiver_db, row, clock.advance(1))
    clock.advance(5)  # heartbeats are read every few seconds (a third of the grace, 5 s at most)
    job.tick()
    assert kinds(receiver_db, row) == [(FAILURE_CODE, "new"), (RESTORE_CODE, "restore")]
    restore = receiver_db.alarms(row.account)[1]
    assert restore.priority == 7
    assert receiver_db.transmitter(row.id).path_failed_at is None


def test_heartbeats_in_time_never_fail(receiver_db: ReceiverDb) -> None:
    row = receiver_db.add(interval_s=60)
    clock = Clock()
    job = supervisor(receiver_db, clock)
    for _ in range(10):
        heartbeat(receiver_db, row, clock.advance(60))
        clock.advance(1)
        job.tick()
    assert kinds(receiver_db, row) == []


def test_two_supervisors_on_one_database_raise_one_failure_and_one_restore(
    receiver_db: ReceiverDb,
) -> None:
    row = receiver_db.add(interval_s=30)
    clock = Clock()
    first, second = supervisor(receiver_db, clock), supervisor(receiver_db, clock)
    clock.advance(30 + GRACE)
    first.tick()
    second.tick()
    assert kinds(receiver_db, row) == [(FAILURE_CODE, "new")]
    assert first.deadlines.is_failed(row.id) and second.deadlines.is_failed(row.id)

    heartbeat(receiver_db, row, clock.advance(5))
    second.tick()
    first.tick()
    assert kinds(receiver_db, row) == [(FAILURE_CODE, "new"), (RESTORE_CODE, "restore")]
    assert not first.deadlines.is_failed(row.id) and not second.deadlines.is_failed(row.id)


def test_a_transmitter_registered_while_running_is_supervised(receiver_db: ReceiverDb) -> None:
    clock = Clock()
    job = supervisor(receiver_db, clock)
    row = receiver_db.add(interval_s=20)
    job.tick()
    assert row.id in job.deadlines
    clock.advance(20 + GRACE + 1)
    job.tick()
    assert kinds(receiver_db, row) == [(FAILURE_CODE, "new")]


def test_removing_the_interval_ends_supervision_and_the_failure(receiver_db: ReceiverDb) -> None:
    quiet, failed = receiver_db.add(interval_s=40), receiver_db.add(interval_s=40)
    clock = Clock()
    job = supervisor(receiver_db, clock)
    clock.advance(40 + GRACE)
    heartbeat(receiver_db, quiet, clock.now - timedelta(seconds=1))
    job.tick()
    assert kinds(receiver_db, failed) == [(FAILURE_CODE, "new")]
    edit(receiver_db, clock, [quiet.id, failed.id], interval_s=None)
    clock.advance(1)
    job.tick()
    assert quiet.id not in job.deadlines and failed.id not in job.deadlines
    assert receiver_db.transmitter(failed.id).path_failed_at is None
    clock.advance(3600)
    job.tick()
    assert kinds(receiver_db, quiet) == [] and len(kinds(receiver_db, failed)) == 1


def test_a_deleted_transmitter_raises_nothing(receiver_db: ReceiverDb) -> None:
    row = receiver_db.add(interval_s=20)
    clock = Clock()
    job = supervisor(receiver_db, clock)
    with unit_of_work(receiver_db.services.session_factory) as session:
        session.delete(session.get_one(Transmitter, row.id))
    clock.advance(20 + GRACE)
    job.tick()
    assert receiver_db.count(row.account) == 0
    assert row.id not in job.deadlines


def test_a_restarted_supervisor_keeps_the_failure_and_restores_once(
    receiver_db: ReceiverDb,
) -> None:
    row = receiver_db.add(interval_s=20)
    clock = Clock()
    job = supervisor(receiver_db, clock)
    clock.advance(20 + GRACE)
    job.tick()
    later = supervisor(receiver_db, clock)  # e.g. the process restarted
    assert later.deadlines.is_failed(row.id)
    clock.advance(300)
    later.tick()
    heartbeat(receiver_db, row, clock.advance(1))
    later.tick()
    job.tick()
    assert kinds(receiver_db, row) == [(FAILURE_CODE, "new"), (RESTORE_CODE, "restore")]


def test_a_longer_interval_set_while_running_delays_the_failure(receiver_db: ReceiverDb) -> None:
    row = receiver_db.add(interval_s=20)
    clock = Clock()
    job = supervisor(receiver_db, clock)
    edit(receiver_db, clock, [row.id], interval_s=600)
    clock.advance(20 + GRACE + 5)
    job.tick()
    assert kinds(receiver_db, row) == []
    clock.advance(600)
    job.tick()
    assert kinds(receiver_db, row) == [(FAILURE_CODE, "new")]


def test_a_heartbeat_the_polls_missed_still_prevents_a_false_failure(
    receiver_db: ReceiverDb,
) -> None:
    row = receiver_db.add(interval_s=20)
    clock = Clock()
    job = supervisor(receiver_db, clock)
    clock.advance(20 + GRACE - 1)
    job.tick()
    # Committed late with a moment older than the poll's watermark.
    heartbeat(receiver_db, row, clock.now - timedelta(seconds=10))
    clock.advance(1)
    job.poll(clock.now)  # the poll cannot see it any more
    job.tick()
    assert kinds(receiver_db, row) == []
    assert not job.deadlines.is_failed(row.id)


def test_a_round_with_nothing_due_writes_nothing(receiver_db: ReceiverDb) -> None:
    clock = Clock()
    job = supervisor(receiver_db, clock)
    assert job.deadlines.seen(uuid.uuid4(), clock.now) is None  # not supervised
    clock.advance(1)
    assert job.tick() is None
