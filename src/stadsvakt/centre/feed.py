"""The queue's change feed: every change to an activation, numbered in commit order.

A transaction that changes activations calls :func:`publish` once at its end. It takes
its numbers from the one :class:`~stadsvakt.centre.models.QueueHead` row, whose lock it
holds until it commits, so numbers become visible in order and a reader that has read
up to *n* has missed nothing below *n*. On PostgreSQL it also sends a notification
(``NOTIFY``, delivered at commit) so that every process wakes at once rather than at
its next poll; on SQLite, and as a fallback, processes poll (:func:`changes_since`).
A browser that reconnects asks for the changes after the last number it saw.

Within one process the feed's readers need not wait for either: a transaction that
published changes calls every :func:`on_commit` callback once it has committed (from
the committing thread), so the process's follower reads at once. That is only a
shortcut for the process that wrote; every other process still learns of the change
from the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import event, insert, select, text, update
from sqlalchemy.orm import Session

from stadsvakt.centre.models import Activation, QueueChange, QueueHead
from stadsvakt.db import utcnow

#: The PostgreSQL notification channel the feed's readers LISTEN on.
CHANNEL = "stadsvakt_queue"
NEW = "new"
CLAIMED = "claimed"
UPDATED = "updated"
CLOSED = "closed"
#: The session flag that says this transaction published changes.
_PUBLISHED = "stadsvakt_queue_published"
_committed: list[Callable[[], None]] = []


@dataclass(frozen=True, slots=True)
class Change:
    """One numbered change, as readers see it."""

    seq: int
    activation_id: str
    tenant_id: str
    kind: str
    version: int


def publish(session: Session, changes: Sequence[tuple[Activation, str]]) -> int:
    """Number and store the changes (in the caller's transaction); returns the last number.

    Each activation's ``version`` must already be the one the change leaves it at.
    """
    if not changes:
        return head(session)
    session.flush()
    last = session.execute(
        update(QueueHead)
        .where(QueueHead.id == 1)
        .values(seq=QueueHead.seq + len(changes))
        .returning(QueueHead.seq)
    ).scalar_one()
    first = last - len(changes) + 1
    now = utcnow()
    rows = [
        {
            "seq": first + index,
            "activation_id": activation.id,
            "tenant_id": activation.tenant_id,
            "kind": kind,
            "version": activation.version,
            "at": now,
        }
        for index, (activation, kind) in enumerate(changes)
    ]
    session.execute(insert(QueueChange), rows)
    session.info[_PUBLISHED] = True
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_notify(:channel, :seq)"), {"channel": CHANNEL, "seq": str(last)}
        )
    return int(last)


def head(session: Session) -> int:
    """The last number committed (0 before the first change)."""
    return int(session.execute(select(QueueHead.seq).where(QueueHead.id == 1)).scalar_one())


def changes_since(session: Session, seq: int, *, limit: int = 1000) -> list[Change]:
    """The changes after ``seq``, oldest first, at most ``limit``."""
    rows = session.execute(
        select(QueueChange).where(QueueChange.seq > seq).order_by(QueueChange.seq).limit(limit)
    ).scalars()
    return [
        Change(row.seq, str(row.activation_id), str(row.tenant_id), row.kind, row.version)
        for row in rows
    ]


def on_commit(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` (from the committing thread) after every commit in this process
    that published changes; returns a function that stops it."""
    _committed.append(callback)

    def stop() -> None:
        if callback in _committed:
            _committed.remove(callback)

    return stop


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_PUBLISHED, False):
        for callback in list(_committed):
            callback()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: object) -> None:
    session.info.pop(_PUBLISHED, None)
