"""Write transactions for code on the event loop, run the cheapest way the database allows.

A receiver's or the decision API's writer commits from the event loop. On PostgreSQL a
commit mostly waits for the server, so it runs in a worker thread and the loop serves
others meanwhile. On SQLite the commit is this process's own CPU work. A small one
(up to :data:`INLINE_ROWS` rows, well under a millisecond) runs on the loop itself:
in a worker thread it would need the interpreter lock all the same, and handing the
lock over and back several times per commit (each handover may wait for the loop's
time slice) costs more than the commit. It takes SQLite's write lock without waiting;
only when another connection holds that lock does it move to a worker thread and wait
there, so the loop never sleeps in SQLite's busy handler. The thread does not use the
busy handler either: it sleeps 1, 2, 5, 10 ms and more between attempts, while another
process's commit holds the lock for well under a millisecond, so the thread tries
again every :data:`LOCK_RETRY_S` instead. A large batch (the centre
under a burst) runs in a worker thread: its SQLite work, done without the interpreter
lock, then overlaps with the loop reading and parsing the next messages.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.db import BUSY_TIMEOUT_MS, lock_was_busy, unit_of_work, works_in_process

T = TypeVar("T")

#: The largest SQLite write (in rows) that runs on the event loop itself.
INLINE_ROWS = 16
#: Seconds between a worker thread's attempts at a SQLite write lock another holds.
LOCK_RETRY_S = 0.0002


class LoopWrites:
    """Runs ``work(session)`` in one committed transaction for a coroutine (see module)."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        bind = factory.kw.get("bind")
        #: Whether small writes run on the loop itself (SQLite).
        self.inline = isinstance(bind, Engine) and works_in_process(bind)

    async def run(self, work: Callable[[Session], T], rows: int = 1) -> T:
        """Commit what ``work`` does (about ``rows`` rows) and return its result; raises
        what it raised."""
        if not self.inline:
            return await asyncio.to_thread(self._transaction, work, True)
        if rows <= INLINE_ROWS:
            try:
                return self._transaction(work, wait=False)
            except Exception as exc:
                if not lock_was_busy(exc):
                    raise
        return await asyncio.to_thread(self._retrying, work)

    def _retrying(self, work: Callable[[Session], T]) -> T:
        """SQLite, in a worker thread: try for the lock every LOCK_RETRY_S until the
        busy timeout, as the busy handler would, but without its long sleeps."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return self._transaction(work, wait=False)
            except Exception as exc:
                if not lock_was_busy(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(LOCK_RETRY_S)

    def _transaction(self, work: Callable[[Session], T], wait: bool) -> T:
        with unit_of_work(self._factory, wait=wait) as session:
            return work(session)
