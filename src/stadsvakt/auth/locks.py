"""Making a check and the write it guards take turns across processes.

Rules such as "the last system owner stays" or "an address in backoff is not checked"
read, decide and then write. Two transactions doing that at once each decide before
seeing the other's write. On PostgreSQL a transaction-level advisory lock on a name
makes them take turns (the lock goes with the commit or rollback). SQLite needs none:
its write transactions take the database's write lock up front (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def lock_key(name: str) -> int:
    """The signed 64-bit advisory-lock key of a name (a collision only costs a wait)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def take_turns(session: Session, *names: str) -> None:
    """Wait until no other transaction holds any of the named locks, then hold them until
    this transaction ends. Keys are taken in one global order, so two callers that want
    overlapping names cannot deadlock each other."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted({lock_key(name) for name in names}):
        session.execute(select(func.pg_advisory_xact_lock(key)))
