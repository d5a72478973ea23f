"""Path-supervision deadlines (EN 50136 övervakning): who falls silent when; pure, no I/O.

Each watched transmitter has one deadline, its last sign of life plus its interval
plus the grace. The deadlines sit in one heap, so finding the transmitters that are
due costs O(log n) per transmitter that is due, however many are watched, and no
task or timer exists per transmitter.

A sign of life (:meth:`Deadlines.seen`) only moves the transmitter's "last seen"
time in its record; the heap entry stays where it was. When that old entry comes
up, :meth:`Deadlines.due` finds the newer time and pushes the entry back to the
real deadline. A transmitter heard every interval is therefore touched in the heap
about once per interval, whatever its heartbeat rate, and the heap holds one entry
per transmitter (plus a few stale ones after an interval got shorter).

A transmitter that :meth:`~Deadlines.due` reports is *failed* and reported once;
the next sign of life after it returns one :class:`Returned` (the restore). Times
are timezone-aware datetimes at the edges and POSIX seconds inside.
"""

from __future__ import annotations

import heapq
import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class Silent:
    """A transmitter that has been silent past its deadline (reported once)."""

    transmitter_id: uuid.UUID
    last_seen: datetime
    deadline: datetime


@dataclass(frozen=True, slots=True)
class Returned:
    """A failed transmitter heard from again (reported once per failure)."""

    transmitter_id: uuid.UUID
    last_seen: datetime


@dataclass(slots=True)
class _Watch:
    last: float  # POSIX seconds of the last sign of life (or of the start of watching)
    span: float  # interval + grace, in seconds
    failed: bool
    entry: int  # the sequence number of the heap entry that counts; others are stale


def _ts(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to supervision")
    return moment.timestamp()


def _dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class Deadlines:
    """Deadlines of every watched transmitter, in one heap; see the module docstring."""

    def __init__(self, grace_s: float) -> None:
        if grace_s < 0:
            raise ValueError("grace must not be negative")
        self._grace = float(grace_s)
        self._watches: dict[uuid.UUID, _Watch] = {}
        self._heap: list[tuple[float, int, uuid.UUID]] = []
        self._numbers = itertools.count()
        self._failed = 0

    def __len__(self) -> int:
        return len(self._watches)

    def __contains__(self, transmitter_id: object) -> bool:
        return transmitter_id in self._watches

    @property
    def failed(self) -> int:
        """How many watched transmitters are failed now."""
        return self._failed

    def ids(self) -> list[uuid.UUID]:
        """The watched transmitters."""
        return list(self._watches)

    def is_failed(self, transmitter_id: uuid.UUID) -> bool:
        """Whether the transmitter is watched and failed."""
        watch = self._watches.get(transmitter_id)
        return watch is not None and watch.failed

    def last_seen(self, transmitter_id: uuid.UUID) -> datetime | None:
        """The last sign of life known for a watched transmitter."""
        watch = self._watches.get(transmitter_id)
        return _dt(watch.last) if watch else None

    def watch(
        self,
        transmitter_id: uuid.UUID,
        interval_s: float,
        last_seen: datetime,
        *,
        failed: bool = False,
    ) -> None:
        """Start watching, or take a changed interval of a watched transmitter.

        ``last_seen`` is the last sign of life, or for one never heard from the moment
        watching should count from (its registration); ``failed`` marks a transmitter
        already in path failure (raised before this process started). Both only count
        for a new watch: news about a watched one comes through :meth:`seen`, so a
        restore is never skipped.
        """
        if interval_s <= 0:
            raise ValueError("interval must be positive")
        span = float(interval_s) + self._grace
        moment = _ts(last_seen)
        watch = self._watches.get(transmitter_id)
        if watch is None:
            watch = _Watch(last=moment, span=span, failed=failed, entry=-1)
            self._watches[transmitter_id] = watch
            self._failed += failed
            if not failed:
                self._push(transmitter_id, watch, moment + span)
            return
        shorter = span < watch.span
        watch.span = span
        if shorter and not watch.failed:
            # The old entry would come up too late; a longer span is found lazily.
            self._push(transmitter_id, watch, watch.last + span)

    def unwatch(self, transmitter_id: uuid.UUID) -> None:
        """Stop watching (removed, or no interval any more); its heap entry goes stale."""
        watch = self._watches.pop(transmitter_id, None)
        if watch is not None and watch.failed:
            self._failed -= 1

    def seen(self, transmitter_id: uuid.UUID, moment: datetime) -> Returned | None:
        """Note a sign of life; returns the restore if the transmitter was failed.

        Older moments than the one known are ignored, so updates may arrive in any
        order. Unwatched transmitters are ignored.
        """
        watch = self._watches.get(transmitter_id)
        if watch is None:
            return None
        when = _ts(moment)
        if when <= watch.last:
            return None
        watch.last = when
        if not watch.failed:
            return None
        self._revive(transmitter_id, watch)
        return Returned(transmitter_id, moment)

    def clear(self, transmitter_id: uuid.UUID, moment: datetime) -> None:
        """Take back a failure that was not raised after all: it was heard at ``moment``.

        For a transmitter :meth:`due` reported whose sign of life reached the
        database in time; no restore is due, since no failure was raised.
        """
        watch = self._watches.get(transmitter_id)
        if watch is None:
            return
        watch.last = max(watch.last, _ts(moment))
        if watch.failed:
            self._revive(transmitter_id, watch)

    def due(self, now: datetime) -> list[Silent]:
        """Transmitters silent past their deadline at ``now``, each reported once."""
        limit = _ts(now)
        found: list[Silent] = []
        heap = self._heap
        while heap and heap[0][0] <= limit:
            deadline, number, transmitter_id = heapq.heappop(heap)
            watch = self._watches.get(transmitter_id)
            if watch is None or watch.entry != number or watch.failed:
                continue  # stale: unwatched, rescheduled or already failed
            actual = watch.last + watch.span
            if actual > limit:
                self._push(transmitter_id, watch, actual)
                continue
            watch.failed = True
            self._failed += 1
            found.append(Silent(transmitter_id, _dt(watch.last), _dt(actual)))
        if len(heap) > 2 * len(self._watches) + 64:
            self._compact()
        return found

    def next_deadline(self) -> datetime | None:
        """The earliest deadline in the heap (it may turn out stale), or ``None``."""
        return _dt(self._heap[0][0]) if self._heap else None

    def _revive(self, transmitter_id: uuid.UUID, watch: _Watch) -> None:
        watch.failed = False
        self._failed -= 1
        self._push(transmitter_id, watch, watch.last + watch.span)

    def _push(self, transmitter_id: uuid.UUID, watch: _Watch, deadline: float) -> None:
        number = next(self._numbers)
        watch.entry = number
        heapq.heappush(self._heap, (deadline, number, transmitter_id))

    def _compact(self) -> None:
        """Drop stale entries (after many interval changes or restores)."""
        self._heap = [
            item
            for item in self._heap
            if (watch := self._watches.get(item[2])) is not None and watch.entry == item[1]
        ]
        heapq.heapify(self._heap)
