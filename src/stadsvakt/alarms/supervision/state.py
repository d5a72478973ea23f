"""Supervision's queries: what it reads each poll and how it settles failures. Callers commit.

Reads are ranges over indexes (``last_seen_at``, ``updated_at``), never a scan
of the registry, except :func:`load_watched` at start and the rare resync.
:func:`settle` is the one write: it locks the candidates' rows (in id order, so
two supervisors and the receivers' "last seen" writer never deadlock), decides
from the locked rows alone, stores the alarms and moves ``path_failed_at``. A
second supervisor deciding about the same rows waits for the first and then
finds them already settled, so each failure and each restore is stored once.

``path_failed_at`` is operational state mirrored from the alarm log, like
``last_seen_at``: it is not audited (the failure and restore alarms are the
record), and writing it leaves ``updated_at`` alone, because it is no change to
the registry and must not make every receiver reload its directory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, func, select, type_coerce, update
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Transmitter
from stadsvakt.alarms.normalise import AlarmRecord
from stadsvakt.alarms.store import receive_alarms
from stadsvakt.alarms.supervision.records import Watched, deadline, failure, restore

# Keep IN lists well below driver parameter limits.
_CHUNK = 500
_COLUMNS = (
    Transmitter.id,
    Transmitter.tenant_id,
    Transmitter.site_id,
    Transmitter.account,
    Transmitter.interval_s,
    Transmitter.last_seen_at,
    Transmitter.created_at,
    Transmitter.path_failed_at,
)


def _watched(row: Any) -> Watched:
    return Watched(*row)


def load_watched(session: Session) -> list[Watched]:
    """Every transmitter with an interval (one query, at start and on resync)."""
    stmt = select(*_COLUMNS).where(Transmitter.interval_s.is_not(None))
    return [_watched(row) for row in session.execute(stmt)]


def watched_count(session: Session) -> int:
    """How many transmitters have an interval (the resync's check)."""
    stmt = select(func.count()).where(Transmitter.interval_s.is_not(None))
    return int(session.scalar(stmt) or 0)


def heard_since(session: Session, since: datetime) -> list[tuple[Any, Any]]:
    """(id, last_seen_at) of transmitters heard from after ``since``, as the driver gives them.

    Read from the index alone. The values come undecoded (SQLite: text; PostgreSQL:
    uuid and datetime) because SQLAlchemy's per-row decoding costs several times the
    query, and most rows are re-reads of the overlap that :func:`decode_id` and
    :func:`decode_moment` are then never needed for.
    """
    stmt = select(
        type_coerce(Transmitter.id, String), type_coerce(Transmitter.last_seen_at, String)
    ).where(Transmitter.last_seen_at > since)
    return [(tid, moment) for tid, moment in session.execute(stmt)]


def decode_id(raw: Any) -> uuid.UUID:
    """A transmitter id as :func:`heard_since` returned it."""
    return raw if isinstance(raw, uuid.UUID) else uuid.UUID(hex=str(raw))


def decode_moment(raw: Any) -> datetime:
    """A "last seen" time as :func:`heard_since` returned it (stored in UTC)."""
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    # Appending the zone is several times cheaper than replace(tzinfo=...) afterwards.
    return datetime.fromisoformat(f"{raw}+00:00")


def changed_since(session: Session, since: datetime) -> list[Watched]:
    """Transmitters added or changed after ``since``, with or without an interval."""
    stmt = select(*_COLUMNS).where(Transmitter.updated_at > since)
    return [_watched(row) for row in session.execute(stmt)]


@dataclass(slots=True)
class Settled:
    """What :func:`settle` found and did, per transmitter id."""

    failed: list[Watched] = field(default_factory=list)  # failure alarm raised here
    already_failed: list[Watched] = field(default_factory=list)  # another supervisor did
    alive: list[Watched] = field(default_factory=list)  # heard from in time after all
    restored: list[Watched] = field(default_factory=list)  # restore alarm raised here
    not_failed: list[Watched] = field(default_factory=list)  # restore already done
    gone: list[uuid.UUID] = field(default_factory=list)  # removed, or no interval now
    records: list[AlarmRecord] = field(default_factory=list)

    def extend(self, other: Settled) -> Settled:
        """This outcome with another round's added (for a tick that settles twice)."""
        for name in ("failed", "already_failed", "alive", "restored", "not_failed", "gone"):
            getattr(self, name).extend(getattr(other, name))
        self.records.extend(other.records)
        return self


def _locked(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Watched]:
    ordered = sorted(set(ids))
    found: dict[uuid.UUID, Watched] = {}
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        stmt = (
            select(*_COLUMNS)
            .where(Transmitter.id.in_(chunk))
            .order_by(Transmitter.id)
            .with_for_update()
        )
        found.update((row.id, row) for row in map(_watched, session.execute(stmt)))
    return found


def _set_failed(session: Session, ids: Sequence[uuid.UUID], moment: datetime | None) -> None:
    for start in range(0, len(ids), _CHUNK):
        session.execute(
            update(Transmitter)
            .where(Transmitter.id.in_(ids[start : start + _CHUNK]))
            .values(path_failed_at=moment, updated_at=Transmitter.updated_at)
            .execution_options(synchronize_session=False)
        )


def settle(
    session: Session,
    *,
    silent: Sequence[uuid.UUID],
    returned: Sequence[uuid.UUID],
    grace_s: int,
    now: datetime,
) -> Settled:
    """Raise the failures and restores the locked rows confirm; see the module docstring.

    A silent candidate fails only if its row, read under lock, still has no sign
    of life within interval + grace and is not failed yet; a returned one is
    restored only if its row is failed and alive.
    """
    rows = _locked(session, [*silent, *returned])
    out = Settled()
    for tid in silent:
        row = rows.get(tid)
        if row is None or row.interval_s is None:
            out.gone.append(tid)
        elif row.path_failed_at is not None:
            out.already_failed.append(row)
        elif deadline(row, grace_s) > now:
            out.alive.append(row)
        else:
            out.failed.append(row)
            out.records.append(failure(row, grace_s=grace_s, now=now))
    for tid in returned:
        row = rows.get(tid)
        if row is None or row.interval_s is None:
            out.gone.append(tid)
        elif row.path_failed_at is None:
            out.not_failed.append(row)
        elif row.last_seen_at is not None and deadline(row, grace_s) > now:
            out.restored.append(row)
            out.records.append(restore(row, now=now))
        else:
            out.already_failed.append(row)
    _set_failed(session, [row.id for row in out.failed], now)
    _set_failed(session, [row.id for row in out.restored], None)
    if out.records:
        receive_alarms(session, out.records, touch=False)
    return out


def release(session: Session, ids: Sequence[uuid.UUID]) -> None:
    """Clear the path failure of transmitters no longer supervised (interval removed)."""
    for start in range(0, len(ids), _CHUNK):
        session.execute(
            update(Transmitter)
            .where(
                Transmitter.id.in_(ids[start : start + _CHUNK]),
                Transmitter.interval_s.is_(None),
                Transmitter.path_failed_at.is_not(None),
            )
            .values(path_failed_at=None, updated_at=Transmitter.updated_at)
            .execution_options(synchronize_session=False)
        )
