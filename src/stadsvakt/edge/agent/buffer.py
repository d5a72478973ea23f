"""The durable event buffer on the edge: a SQLite file (stdlib :mod:`sqlite3`).

Every decision and door alarm is written here first, with an idempotent id (UUIDv7,
so ids sort by time) and its JSON body. It survives restarts (WAL, synchronous
FULL: an event written is on disk before the door opens). An event is marked
uploaded only after the centre confirmed its id; until then it is sent again, and the
centre stores each id once. Confirmed events are deleted after ``keep_uploaded_hours``
(:meth:`EventBuffer.prune_uploaded`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import uuid6

_SCHEMA = """
create table if not exists events (
    id text primary key,
    body text not null,
    uploaded integer not null default 0
);
create index if not exists ix_events_pending on events (uploaded, id);
"""


@dataclass(frozen=True, slots=True)
class BufferedEvent:
    """One event: its id and its body (what is uploaded)."""

    id: uuid.UUID
    body: dict[str, Any]


class EventBuffer:
    """The buffer file; safe to use from the reader and uploader threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("pragma journal_mode=wal")
            self._db.execute("pragma synchronous=full")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def add(self, body: dict[str, Any]) -> BufferedEvent:
        """Store a new event under a fresh UUIDv7 (the body gets it as ``id``)."""
        event_id = uuid6.uuid7()
        stored = {**body, "id": str(event_id)}
        with self._lock:
            self._db.execute(
                "insert into events (id, body) values (?, ?)", (str(event_id), json.dumps(stored))
            )
        return BufferedEvent(event_id, stored)

    def pending(self, limit: int) -> list[BufferedEvent]:
        """The oldest events the centre has not confirmed, at most ``limit``."""
        with self._lock:
            rows = self._db.execute(
                "select id, body from events where uploaded = 0 order by id limit ?", (limit,)
            ).fetchall()
        return [BufferedEvent(uuid.UUID(row[0]), json.loads(row[1])) for row in rows]

    def mark_uploaded(self, ids: list[uuid.UUID]) -> None:
        """The centre confirmed these events."""
        with self._lock:
            self._db.executemany(
                "update events set uploaded = 1 where id = ?", [(str(i),) for i in ids]
            )

    def prune_uploaded(self, before: datetime) -> int:
        """Delete uploaded events written before ``before``; how many went. Access events
        are personal data: once the centre holds them the edge keeps them only briefly."""
        # A UUIDv7 starts with its millisecond timestamp, so ids sort as their times do.
        ms = max(0, int(before.timestamp() * 1000))
        bound = str(uuid.UUID(int=(ms & (1 << 48) - 1) << 80))
        with self._lock:
            cursor = self._db.execute("delete from events where uploaded = 1 and id < ?", (bound,))
        return cursor.rowcount

    def count(self, *, uploaded: bool | None = None) -> int:
        """How many events (all, or only uploaded or pending ones)."""
        with self._lock:
            if uploaded is None:
                row = self._db.execute("select count(*) from events").fetchone()
            else:
                row = self._db.execute(
                    "select count(*) from events where uploaded = ?", (int(uploaded),)
                ).fetchone()
        return int(row[0])
