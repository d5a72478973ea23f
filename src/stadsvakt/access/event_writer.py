"""The access event writer: the events of many decisions committed in one transaction.

A decision hands its event to :meth:`EventWriter.store` and waits; one task takes
whatever is waiting (up to ``batch`` events), inserts it in one transaction (how, on
SQLite and on PostgreSQL, :mod:`stadsvakt.loop_writes` says), commits, and only then
lets those decisions answer. Under load the events that
arrive while one commit runs share the next, and the writer waits ``gather_ms`` (a couple
of milliseconds) for more before committing; when idle an event is written at once. A
failed commit fails every decision of its batch with :class:`EventNotStored` (a 503
problem): no answer goes out without its stored event.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.access.events import store_events
from stadsvakt.errors import DomainError
from stadsvakt.loop_writes import LoopWrites

log = logging.getLogger(__name__)


class EventNotStored(DomainError):
    """The decision's access event could not be stored, so no answer is given."""

    code = "access_event_not_stored"
    title = "Decision not recorded"
    status = 503


@dataclass(slots=True)
class _Job:
    row: dict[str, Any]
    done: asyncio.Future[None] = field(repr=False)


class EventWriter:
    """Groups access event inserts into few transactions; see the module docstring."""

    def __init__(
        self, factory: sessionmaker[Session], *, batch: int = 512, gather_ms: float = 2.0
    ) -> None:
        self._db = LoopWrites(factory)
        self._batch = batch
        self._gather = gather_ms / 1000
        self._busy = False
        # Made by run(), on the loop that serves the requests.
        self._queue: asyncio.Queue[_Job] | None = None
        self.commits = 0
        self.events = 0

    async def store(self, row: dict[str, Any]) -> None:
        """Return once the event is committed; raises :class:`EventNotStored` otherwise."""
        queue = self._queue
        if queue is None:
            # No writer task (an app used without its lifespan): write this one alone.
            await self._write_alone(row)
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.put_nowait(_Job(row, done))
        await done

    async def run(self) -> None:
        """Write until cancelled; events still waiting then fail (their decisions get 503)."""
        queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._queue = queue
        jobs: list[_Job] = []
        try:
            while True:
                jobs = [await queue.get()]
                if self._busy and self._gather:
                    # Under load (the last commit carried several events) wait a moment
                    # for more: each commit costs far more than each row in it. When
                    # idle an event is written at once.
                    await asyncio.sleep(self._gather)
                while len(jobs) < self._batch and not queue.empty():
                    jobs.append(queue.get_nowait())
                self._busy = len(jobs) > 1
                await self._write(jobs)
        finally:
            self._queue = None
            while not queue.empty():
                jobs.append(queue.get_nowait())
            for job in jobs:
                if not job.done.done():
                    job.done.set_exception(EventNotStored("the server is stopping"))

    async def _write(self, jobs: list[_Job]) -> None:
        try:
            await self._commit([job.row for job in jobs])
        except Exception:
            log.exception("storing %d access events failed; their decisions get 503", len(jobs))
            for job in jobs:
                if not job.done.done():
                    job.done.set_exception(EventNotStored("the access event could not be stored"))
            return
        self.commits += 1
        self.events += len(jobs)
        for job in jobs:
            if not job.done.done():
                job.done.set_result(None)

    async def _write_alone(self, row: dict[str, Any]) -> None:
        try:
            await self._commit([row])
        except Exception as exc:
            log.exception("storing an access event failed; the decision gets 503")
            raise EventNotStored("the access event could not be stored") from exc
        self.commits += 1
        self.events += 1

    async def _commit(self, rows: list[dict[str, Any]]) -> None:
        await self._db.run(lambda session: store_events(session, rows), len(rows))
