"""The receivers' database writer: alarms committed in batches, off the event loop.

Frame handlers hand their records to :meth:`AlarmWriter.store` and wait; one task
collects whatever is waiting (up to ``batch`` messages), writes it in one
transaction in a worker thread, commits, and only then wakes the handlers, which
send their ACKs. Under load many frames share one commit; when idle a frame is
written at once. Heartbeats, and the alarms once committed, only note the time in
memory; the writer stores the latest "last seen" per transmitter about once a second
(one UPDATE per transmitter per second, not one per alarm batch).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.metrics import ALARMS, DUPLICATES, Metrics
from stadsvakt.alarms.normalise import AlarmRecord
from stadsvakt.alarms.store import Stored, receive_alarms, touch_transmitters
from stadsvakt.db import unit_of_work

log = logging.getLogger(__name__)


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
    ) -> None:
        self._factory = factory
        self._metrics = metrics
        self._batch = batch
        self._seen_flush_s = seen_flush_s
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._seen: dict[uuid.UUID, datetime] = {}

    async def store(self, records: Sequence[AlarmRecord]) -> list[Stored]:
        """Commit the records (or recognise them as re-sent); returns once committed."""
        done: asyncio.Future[list[Stored]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(records, done))
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
                    await self._flush_seen()
                try:
                    # Not wait_for: on 3.11 it can lose a job and a cancellation together.
                    async with asyncio.timeout(self._seen_flush_s):
                        first = await self._queue.get()
                except TimeoutError:
                    continue
                jobs = [first]
                messages = 1
                while messages < self._batch and not self._queue.empty():
                    jobs.append(self._queue.get_nowait())
                    messages += 1
                await self._write(jobs)
        finally:
            while not self._queue.empty():
                self._queue.get_nowait().done.cancel()

    async def _flush_seen(self) -> None:
        if not self._seen:
            return
        seen, self._seen = self._seen, {}
        try:
            await asyncio.to_thread(self._write_seen, seen)
        except Exception:  # only a "last seen" time; the next heartbeat brings another
            log.exception("storing transmitters' last-seen times failed")

    def _write_seen(self, seen: dict[uuid.UUID, datetime]) -> None:
        with unit_of_work(self._factory) as session:
            touch_transmitters(session, seen)

    async def _write(self, jobs: list[_Job]) -> None:
        records = [record for job in jobs for record in job.records]
        try:
            results = await asyncio.to_thread(self._commit, records)
        except Exception as exc:
            log.exception("storing %d alarm records failed; their frames get NAK", len(records))
            for job in jobs:
                if not job.done.done():
                    job.done.set_exception(exc)
            return
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

    def _commit(self, records: list[AlarmRecord]) -> list[Stored]:
        try:
            with unit_of_work(self._factory) as session:
                return receive_alarms(session, records, touch=False)
        except IntegrityError:
            # A writer in another process stored the same re-sent message between our
            # check and our insert; the second attempt finds it.
            with unit_of_work(self._factory) as session:
                return receive_alarms(session, records, touch=False)
