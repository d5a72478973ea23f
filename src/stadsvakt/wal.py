"""SQLite's write-ahead log checkpointed in the background, off the commit path.

In WAL mode SQLite appends each commit to the log and, once the log holds
``wal_autocheckpoint`` pages, copies it back into the database file inside the commit
that crossed the limit, syncing the file to disk. On a busy centre that commit (and
every alarm or door decision waiting behind it) then takes tens of milliseconds, and
the disk decides how many. A serving process instead runs a thread that checkpoints
every :data:`INTERVAL_S` (``PASSIVE``: it never waits for, nor blocks, readers and
writers), so the log stays small and commits only append. The engines' own limit is
raised to :data:`stadsvakt.db.AUTOCHECKPOINT_PAGES`, a safety net for processes without
this thread (CLI commands) and for a disk the thread cannot keep up with.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from stadsvakt.db import is_sqlite

log = logging.getLogger(__name__)

#: Seconds between background checkpoints.
INTERVAL_S = 0.025


class Checkpointer:
    """A daemon thread running ``PRAGMA wal_checkpoint(PASSIVE)`` every ``interval_s``."""

    def __init__(self, engine: Engine, interval_s: float = INTERVAL_S) -> None:
        self._engine = engine
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self.checkpoints = 0

    def start(self) -> None:
        """Start checkpointing."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the checkpoint under way, if any."""
        self._stop.set()
        self._thread.join()

    @property
    def running(self) -> bool:
        """Whether the checkpoint thread is still going."""
        return self._thread.is_alive()

    def checkpoint(self) -> tuple[int, int, int]:
        """One passive checkpoint: (busy, log frames, frames checkpointed), as SQLite says."""
        # A raw pool connection: it runs in autocommit, so no BEGIN IMMEDIATE is issued
        # (a checkpoint inside a transaction could not run, and must not take the lock).
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                busy, frames, done = cursor.fetchone() or (1, -1, -1)
            finally:
                cursor.close()
        finally:
            connection.close()
        self.checkpoints += 1
        return int(busy), int(frames), int(done)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.checkpoint()
            except Exception:  # the commits' own checkpoints remain; try again next time
                log.exception("background WAL checkpoint failed")


@contextmanager
def background_checkpoints(engine: Engine) -> Iterator[Checkpointer | None]:
    """Checkpoint a SQLite file database in the background while the block runs (yields
    the :class:`Checkpointer`); for other databases, and in-memory SQLite, does nothing."""
    url = engine.url
    if not is_sqlite(url.render_as_string()) or url.database in (None, "", ":memory:"):
        yield None
        return
    checkpointer = Checkpointer(engine)
    checkpointer.start()
    try:
        yield checkpointer
    finally:
        checkpointer.stop()
