"""The receivers' database writer: alarms committed in batches, then acknowledged.

Frame handlers hand their records to :meth:`AlarmWriter.store` and wait; one task
collects whatever is waiting (up to ``batch`` messages), writes it in one transaction
(how, on SQLite and on PostgreSQL, :mod:`stadsvakt.loop_writes` says), commits, and only
then wakes the handlers, which send their ACKs. Under load many frames share one commit;
when idle a frame is written at once. Frames with a fire, assault, medical or social
alarm go ahead of everything waiting (a storm's backlog never delays them). Heartbeats,
and the alarms once committed, only note the time in memory; about once a second the
writer stores the latest "last seen" per transmitter (one UPDATE per transmitter per
second, not one per alarm batch). It stores them in small chunks between alarm batches,
so an alarm waits behind at most one chunk, never behind the "last seen" of every
transmitter at once.

One frame's trouble never fails the others. Records are held to the table before they
are written (:func:`~stadsvakt.alarms.normalise.fitted`); should the database refuse a
batch all the same, and not because it is away, the batch is split in halves and each
half written on its own, down to the one frame whose row it refuses. That frame's
alarms are stored as unreadable (the raw frame kept, so an operator sees it) and its
sender gets its ACK; only if even that fails is it refused (NAK, 503), alone. Each such
frame logs one line (no traceback: a frame re-sent every 20 ms would fill the disk).
When the database is away, the whole batch is refused at once, as every row would fail.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.metrics import ALARMS, DUPLICATES, STORE_REFUSED, Metrics
from stadsvakt.alarms.normalise import AlarmRecord, refused
from stadsvakt.alarms.protocols.events import Category
from stadsvakt.alarms.store import (
    Stored,
    describe,
    receive_alarms,
    touch_transmitters,
    unavailable,
)
from stadsvakt.loop_writes import LoopWrites

log = logging.getLogger(__name__)

T = TypeVar("T")
#: Categories whose frames are written before any other waiting frame.
URGENT = frozenset({Category.FIRE, Category.HOLD_UP, Category.MEDICAL, Category.SOCIAL})


@dataclass(slots=True)
class _Job:
    records: Sequence[AlarmRecord]
    done: asyncio.Future[list[Stored]] = field(repr=False)


class AlarmWriter:
    """Batches alarm writes into few transactions; see the module docstring."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        metrics: Metrics,
        *,
        batch: int = 256,
        seen_flush_s: float = 1.0,
        seen_chunk: int = 50,
    ) -> None:
        self._db = LoopWrites(factory)
        self._metrics = metrics
        self._batch = batch
        self._seen_flush_s = seen_flush_s
        self._seen_chunk = seen_chunk
        # Urgent alarms first, else in arrival order: during a storm of mains-loss reports
        # a fire alarm is written with the next batch, not behind the whole backlog.
        self._queue: asyncio.PriorityQueue[tuple[int, int, _Job]] = asyncio.PriorityQueue()
        self._arrivals = itertools.count()
        self._seen: dict[uuid.UUID, datetime] = {}
        # Last-seen times taken from _seen at the last flush, not yet written.
        self._unwritten: list[tuple[uuid.UUID, datetime]] = []

    async def store(self, records: Sequence[AlarmRecord]) -> list[Stored]:
        """Commit the records (or recognise them as re-sent); returns once committed."""
        done: asyncio.Future[list[Stored]] = asyncio.get_running_loop().create_future()
        rank = 0 if any(record.category in URGENT for record in records) else 1
        self._queue.put_nowait((rank, next(self._arrivals), _Job(records, done)))
        return await done

    def seen(self, transmitter_id: uuid.UUID, moment: datetime) -> None:
        """Note a heartbeat; stored with the next flush (cheap: no database write here)."""
        self._seen[transmitter_id] = moment

    async def run(self) -> None:
        """Write until cancelled; jobs still waiting when cancelled are failed, never ACKed."""
        loop = asyncio.get_running_loop()
        flushed = loop.time()
        try:
            while True:
                if loop.time() - flushed >= self._seen_flush_s:
                    flushed = loop.time()
                    # Merged, so a backlog that is not written yet never holds a
                    # transmitter twice.
                    pending = dict(self._unwritten) | self._seen
                    self._unwritten, self._seen = sorted(pending.items()), {}
                if not self._queue.empty():
                    await self._write_taken(self._take(self._queue.get_nowait()[2]))
                elif not self._unwritten:
                    try:
                        # Not wait_for: on 3.11 it can lose a job and a cancellation together.
                        async with asyncio.timeout(self._seen_flush_s):
                            first = (await self._queue.get())[2]
                    except TimeoutError:
                        continue
                    await self._write_taken(self._take(first))
                await self._write_seen_chunk()
        finally:
            while not self._queue.empty():
                self._queue.get_nowait()[2].done.cancel()

    def _take(self, first: _Job) -> list[_Job]:
        """``first`` and whatever else is queued, up to the batch."""
        jobs = [first]
        while len(jobs) < self._batch and not self._queue.empty():
            jobs.append(self._queue.get_nowait()[2])
        return jobs

    async def _write_seen_chunk(self) -> None:
        if not self._unwritten:
            return
        chunk = dict(self._unwritten[: self._seen_chunk])
        del self._unwritten[: self._seen_chunk]
        try:
            await self._run(lambda session: touch_transmitters(session, chunk), len(chunk))
        except Exception as exc:  # only a "last seen" time; the next heartbeat brings another
            log.warning("storing transmitters' last-seen times failed: %s", describe(exc))

    async def _write_taken(self, jobs: list[_Job]) -> None:
        try:
            await self._write(jobs)
        except BaseException:  # cancelled while writing: the frames are not ACKed, and say so
            for job in jobs:
                job.done.cancel()
            raise

    async def _write(self, jobs: list[_Job]) -> None:
        """Commit the jobs' records together, or split them (see the module docstring)."""
        records = [record for job in jobs for record in job.records]
        try:
            results = await self._commit(records)
        except Exception as exc:
            if unavailable(exc):
                log.warning(
                    "storing %d alarm records failed, their frames are refused: %s",
                    len(records),
                    describe(exc),
                )
                self._fail(jobs, exc)
            elif len(jobs) > 1:
                middle = len(jobs) // 2
                await self._write(jobs[:middle])
                await self._write(jobs[middle:])
            else:
                await self._write_refused(jobs[0], exc)
            return
        self._done(jobs, records, results)

    async def _write_refused(self, job: _Job, exc: Exception) -> None:
        """Store the alarms of a frame whose rows the database refused as unreadable."""
        reason = f"the database refused it as sent ({describe(exc)})"
        records = [refused(record, reason) for record in job.records]
        first = job.records[0] if job.records else None
        sender = f"account {first.account} ({first.protocol})" if first else "a frame"
        try:
            results = await self._commit(records)
        except Exception as again:  # its handler refuses it, and logs that
            self._metrics.inc(STORE_REFUSED, outcome="refused")
            self._fail([job], again)
            return
        self._metrics.inc(STORE_REFUSED, outcome="unreadable")
        log.warning("alarm from %s stored as unreadable: %s", sender, describe(exc))
        self._done([job], records, results)

    @staticmethod
    def _fail(jobs: list[_Job], exc: Exception) -> None:
        for job in jobs:
            if not job.done.done():
                job.done.set_exception(exc)

    def _done(self, jobs: list[_Job], records: list[AlarmRecord], results: list[Stored]) -> None:
        for record in records:
            transmitter = record.source.transmitter_id
            if transmitter is not None:
                self.seen(transmitter, record.received_at)
        new = sum(not result.duplicate for result in results)
        self._metrics.inc(ALARMS, new)
        self._metrics.inc(DUPLICATES, len(results) - new)
        start = 0
        for job in jobs:
            end = start + len(job.records)
            if not job.done.done():
                job.done.set_result(results[start:end])
            start = end

    async def _run(self, work: Callable[[Session], T], rows: int) -> T:
        """One transaction; a writer cancelled meanwhile lets it end first, so no worker
        thread holds a connection once the receiver has stopped."""
        running = asyncio.ensure_future(self._db.run(work, rows))
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            await asyncio.wait([running])
            raise

    async def _commit(self, records: list[AlarmRecord]) -> list[Stored]:
        def work(session: Session) -> list[Stored]:
            return receive_alarms(session, records, touch=False)

        try:
            return await self._run(work, len(records))
        except IntegrityError:
            # A writer in another process stored the same re-sent message between our
            # check and our insert; the second attempt finds it.
            return await self._run(work, len(records))
