"""The supervision job: watches every transmitter with an interval, raises path failures.

:class:`Supervisor` loads the transmitters with an interval once at start (one
query) into a :class:`~stadsvakt.alarms.supervision.deadlines.Deadlines` heap.
Then, about once a second, it reads only what changed: transmitters whose
``last_seen_at`` moved past its watermark, and registry rows whose ``updated_at``
did (both index ranges). The watermarks trail the supervisor's clock by an
overlap, because a receiver stamps "last seen" when a message arrives and commits
it up to a couple of seconds later; rows read twice are ignored by the heap.

Between polls it sleeps until the next deadline, so a failure is raised within
moments of interval + grace. Before raising, :func:`~.state.settle` re-reads the
candidates' rows under lock and decides from them, which makes the heap only a
schedule: a heartbeat the polls missed, a changed interval or a removed
transmitter can delay nothing but its own check, and never raise a false alarm.
Any number of supervisors may run against one database (each web process, or
``stadsvakt receive supervision``); each failure and restore is stored once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.metrics import (
    PATH_FAILED,
    REGISTRY,
    SUPERVISED,
    SUPERVISION_ALARMS,
    Metrics,
)
from stadsvakt.alarms.supervision import state
from stadsvakt.alarms.supervision.deadlines import Deadlines
from stadsvakt.alarms.supervision.records import Watched, deadline
from stadsvakt.db import read_only_session, unit_of_work, utcnow
from stadsvakt.settings import AlarmSettings

log = logging.getLogger(__name__)

#: Seconds a receiver may take from stamping "last seen" to committing it.
OVERLAP_S = 3.0
#: Seconds between checks that the number of supervised transmitters still matches.
RESYNC_S = 300.0


class Supervisor:
    """Path supervision of every transmitter with an interval; see the module docstring."""

    def __init__(
        self,
        settings: AlarmSettings,
        factory: sessionmaker[Session],
        *,
        metrics: Metrics = REGISTRY,
        clock: Callable[[], datetime] = utcnow,
        poll_s: float = 1.0,
        heard_poll_s: float | None = None,
        overlap_s: float = OVERLAP_S,
        resync_s: float = RESYNC_S,
    ) -> None:
        self.grace_s = settings.supervision_grace_s
        self.metrics = metrics
        self.deadlines = Deadlines(self.grace_s)
        self.ready = asyncio.Event()
        self._factory = factory
        self._clock = clock
        self._poll = timedelta(seconds=poll_s)
        # Heartbeats only move deadlines that lie interval + grace ahead, so reading
        # them every couple of seconds is enough, and fewer reads mean fewer re-reads
        # of the overlap. A heartbeat not read yet when its old deadline comes is
        # found by settle(), which reads the row itself.
        if heard_poll_s is None:
            heard_poll_s = min(max(poll_s, self.grace_s / 3), 2.0)
        self._heard_poll = timedelta(seconds=heard_poll_s)
        self._overlap = timedelta(seconds=overlap_s)
        self._resync = timedelta(seconds=resync_s)
        start = clock()
        self._heard_since = start
        self._changed_since = start
        self._next_poll = start
        self._next_heard = start
        self._next_resync = start + self._resync
        self._returned: set[uuid.UUID] = set()
        self._recent: dict[Any, Any] = {}  # raw (id → last seen) of the last heartbeat poll
        self._released: set[uuid.UUID] = set()

    def describe(self) -> str:
        """One line for the console."""
        return f"Transmitter supervision (grace {self.grace_s} s)"

    async def serve(self) -> None:
        """Load, then supervise until cancelled; :attr:`ready` is set once loaded."""
        await asyncio.to_thread(self.start)
        self.ready.set()
        while True:
            await asyncio.sleep(self.pause())
            try:
                await asyncio.to_thread(self.tick)
            except Exception:  # a database hiccup must not end supervision
                log.exception("supervision round failed; retrying")

    def start(self) -> None:
        """Load every transmitter with an interval (one query)."""
        now = self._clock()
        with read_only_session(self._factory) as session:
            rows = state.load_watched(session)
        self._heard_since = self._changed_since = now - self._overlap
        self._next_poll = now
        self._next_heard = now
        self._next_resync = now + self._resync
        for row in rows:
            self._take(row, now)
        self._publish()
        log.info("supervising %d transmitters", len(self.deadlines))

    def pause(self) -> float:
        """Seconds until the next poll or deadline, whichever comes first."""
        now = self._clock()
        wake = self._next_poll
        upcoming = self.deadlines.next_deadline()
        if upcoming is not None and upcoming < wake:
            wake = upcoming
        seconds = (wake - now).total_seconds()
        return min(max(seconds, 0.01), self._poll.total_seconds())

    def tick(self) -> state.Settled | None:
        """One round: raise what is due, poll changes when due, raise what that found; commit.

        Deadlines already passed are settled before the poll, and again right after
        it, so a poll never holds back an alarm by more than its own duration.
        """
        now = self._clock()
        settled = self._settle_due(now)
        if now >= self._next_resync:
            self._next_resync = now + self._resync
            self._resync_if_needed(now)
        if now >= self._next_poll:
            self._next_poll = now + self._poll
            heard = now >= self._next_heard
            if heard:
                self._next_heard = now + self._heard_poll
            self.poll(now, heard=heard)
            if self._released:
                self._release()
            more = self._settle_due(self._clock())
            if more is not None:
                settled = more if settled is None else settled.extend(more)
        self._publish()
        return settled

    def _settle_due(self, now: datetime) -> state.Settled | None:
        """Settle the transmitters due at ``now`` and those heard from again."""
        silent = [item.transmitter_id for item in self.deadlines.due(now)]
        returned = sorted(self._returned)
        self._returned.clear()
        if not silent and not returned:
            return None
        try:
            settled = self._commit(silent, returned, now)
        except Exception:
            # Put the candidates back, so the next round tries them again.
            for tid in silent:
                known = self.deadlines.last_seen(tid)
                if known is not None:
                    self.deadlines.clear(tid, known)
            self._returned.update(returned)
            raise
        self._apply(settled)
        return settled

    def poll(self, now: datetime, *, heard: bool = True) -> None:
        """Read what changed since the watermarks: registry rows, and heartbeats if ``heard``."""
        with read_only_session(self._factory) as session:
            changed = state.changed_since(session, self._changed_since)
            beats = state.heard_since(session, self._heard_since) if heard else []
        mark = now - self._overlap
        self._changed_since = max(self._changed_since, mark)
        if heard:
            self._heard_since = max(self._heard_since, mark)
        for row in changed:
            self._take(row, now)
        # Rows of the overlap come back every poll; skip those read before unchanged.
        recent = self._recent
        cutoff = self._heard_since
        fresh: dict[Any, Any] = {}
        for raw_id, raw_moment in beats:
            if recent.get(raw_id) == raw_moment:
                fresh[raw_id] = raw_moment
                continue
            moment = state.decode_moment(raw_moment)
            if moment > cutoff:
                fresh[raw_id] = raw_moment
            tid = state.decode_id(raw_id)
            if self.deadlines.seen(tid, moment) is not None:
                self._returned.add(tid)
        if heard:
            self._recent = fresh

    def _take(self, row: Watched, now: datetime) -> None:
        """Start, change or stop watching one registry row."""
        core = self.deadlines
        if row.interval_s is None:
            core.unwatch(row.id)
            if row.path_failed_at is not None:
                self._released.add(row.id)
            return
        if row.id not in core:
            failed = row.path_failed_at is not None
            core.watch(row.id, row.interval_s, row.baseline, failed=failed)
            if failed and row.last_seen_at is not None and deadline(row, self.grace_s) > now:
                self._returned.add(row.id)  # heard from while no supervisor ran
            return
        core.watch(row.id, row.interval_s, row.baseline)
        if row.last_seen_at is not None and core.seen(row.id, row.last_seen_at) is not None:
            self._returned.add(row.id)

    def _commit(
        self, silent: Sequence[uuid.UUID], returned: Sequence[uuid.UUID], now: datetime
    ) -> state.Settled:
        for attempt in (1, 2):
            try:
                with unit_of_work(self._factory) as session:
                    return state.settle(
                        session, silent=silent, returned=returned, grace_s=self.grace_s, now=now
                    )
            except IntegrityError:
                # Another supervisor stored the same alarm between our check and our
                # insert (its row lock did not cover it); the second attempt sees it.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _apply(self, settled: state.Settled) -> None:
        """Bring the heap in line with what the locked rows said."""
        core = self.deadlines
        for tid in settled.gone:
            core.unwatch(tid)
        for row in settled.alive:
            core.watch(row.id, row.interval_s or 1, row.baseline)
            core.clear(row.id, row.baseline)
        for row in settled.not_failed:
            if row.last_seen_at is not None:
                core.clear(row.id, row.last_seen_at)
        for row in settled.already_failed:
            if not core.is_failed(row.id):
                # Failed by another supervisor (or not heard from after all): wait
                # for a sign of life, which brings the restore.
                core.unwatch(row.id)
                core.watch(row.id, row.interval_s or 1, row.baseline, failed=True)
        if settled.failed:
            self.metrics.inc(SUPERVISION_ALARMS, len(settled.failed), kind="failure")
            log.warning(
                "path failure: %s",
                ", ".join(f"{row.account} ({row.id})" for row in settled.failed[:20]),
            )
        if settled.restored:
            self.metrics.inc(SUPERVISION_ALARMS, len(settled.restored), kind="restore")
            log.info("path restored: %s", ", ".join(row.account for row in settled.restored[:20]))

    def _release(self) -> None:
        released = sorted(self._released)
        self._released.clear()
        with unit_of_work(self._factory) as session:
            state.release(session, released)

    def _resync_if_needed(self, now: datetime) -> None:
        """Reload everything if the count of supervised transmitters drifted (e.g. deletes)."""
        with read_only_session(self._factory) as session:
            if state.watched_count(session) == len(self.deadlines):
                return
            rows = state.load_watched(session)
        present = {row.id for row in rows}
        for tid in [tid for tid in self.deadlines.ids() if tid not in present]:
            self.deadlines.unwatch(tid)
        for row in rows:
            self._take(row, now)

    def _publish(self) -> None:
        self.metrics.set(SUPERVISED, len(self.deadlines))
        self.metrics.set(PATH_FAILED, self.deadlines.failed)
