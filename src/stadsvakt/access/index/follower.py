"""One process's decision index: built once, then kept current by following ``access_changes``.

Every process polls the change feed (``seq > last``) every ``index_poll_ms`` and reloads
only the entities named, so a change committed by any process sharing the database is
seen by all within a poll interval. A decision reads the feed first only when this process
has noted a change the index has not read yet (:func:`~stadsvakt.access.changes.local_generation`),
so a process sees its own changes at once without a query before every decision.

On PostgreSQL sequence numbers are handed out before commit, so a change with a lower
``seq`` may become visible after a higher one: numbers skipped over are remembered for
:data:`GAP_SECONDS` and asked for again on each poll.

**A stale index never decides.** The feed position moves only after the changes read
have been applied: a poll whose reload fails (a dropped connection, a lock timeout)
reads the same changes again next time, never loses one. Until a catch-up succeeds the
index is marked *failed*, and so is an index no catch-up has finished for
:meth:`AccessIndex.stale_after` (a poll stuck in a query): :meth:`~AccessIndex.current`
then answers ``None``, so a decision catches up itself first (:meth:`~AccessIndex.ensure`)
and, if that fails too, is refused with :class:`IndexUnavailable` (a 503) — a revoked
card is never let in by a process that could not read the revocation.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from stadsvakt.access.changes import Entity, local_generation
from stadsvakt.access.index.loader import Loader
from stadsvakt.access.index.state import CompiledIndex
from stadsvakt.access.models import AccessChange
from stadsvakt.directory.models import Assignment, TrainingRecord
from stadsvakt.errors import DomainError
from stadsvakt.runtime import settle_heap

log = logging.getLogger(__name__)

#: How long a skipped sequence number is waited for (a transaction that long is unusual).
GAP_SECONDS = 60.0
#: Changes read per query.
BATCH = 5000
#: Doors, credentials and people from which a built index is frozen out of the garbage
#: collector's walks (:func:`~stadsvakt.runtime.settle_heap`); a small one costs it little.
SETTLE_ENTRIES = 10_000

_NEWER = (
    select(AccessChange.seq, AccessChange.entity, AccessChange.entity_id)
    .where(AccessChange.seq > bindparam("last"))
    .order_by(AccessChange.seq)
    .limit(bindparam("batch"))
)

#: An index no catch-up has finished for this many poll intervals (and at least
#: :data:`MIN_STALE_SECONDS`) is not used as it is: the decision reads the feed itself.
STALE_POLLS = 10
MIN_STALE_SECONDS = 2.0

SessionMaker = Callable[[], AbstractContextManager[Session]]


class IndexUnavailable(DomainError):
    """The decision index could not read the change feed: no decision is made on it."""

    code = "access_index_unavailable"
    title = "Decision index unavailable"
    status = 503


def _entries(state: CompiledIndex) -> int:
    return len(state.doors) + len(state.credentials) + len(state.people)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class AccessIndex:
    """The compiled index of one process and its place in the change feed."""

    def __init__(self, poll_ms: int = 200, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.poll_seconds = poll_ms / 1000
        #: How long a caught-up index may be used without another catch-up.
        self.stale_after = max(MIN_STALE_SECONDS, STALE_POLLS * self.poll_seconds)
        self.state = CompiledIndex()
        self.built = False
        self.last_seq = 0
        self.gaps: dict[int, float] = {}
        self.applied = 0
        self.rebuilds = 0
        #: True from a failed catch-up until one succeeds: the state may miss changes.
        self.failed = False
        #: Until when (``clock``) the state counts as current without another catch-up.
        self.fresh_until = -math.inf
        #: The local change generation the request path last caught up with (-1: never).
        self.local_seen = -1
        self._clock = clock
        self._lock = threading.RLock()
        self._loader = Loader(self.state)

    def _caught_up(self) -> None:
        """Note a successful build or catch-up: the state may be used for a while."""
        self.failed = False
        self.fresh_until = self._clock() + self.stale_after

    # -- building and catching up ----------------------------------------------------

    def build(self, session: Session) -> None:
        """Load everything from the database (the feed position is read first, so nothing
        committed meanwhile is missed; reloading an entity twice is harmless)."""
        with self._lock:
            last = session.execute(select(func.max(AccessChange.seq))).scalar() or 0
            state = CompiledIndex()
            loader = Loader(state)
            loader.load_all(session)
            self.state, self._loader = state, loader
            self.last_seq = int(last)
            self.gaps.clear()
            self.built = True
            self.rebuilds += 1
            self._caught_up()
            if _entries(state) >= SETTLE_ENTRIES:
                # A city's index is millions of long-lived objects: out of the cyclic
                # collector's sight, or every full collection walks them all (long pauses).
                settle_heap()

    def current(self) -> CompiledIndex | None:
        """The state if a decision may use it as it is: built, no catch-up failed since the
        last one that succeeded, one succeeded recently (:attr:`stale_after`), and every
        change this process noted has been read. ``None`` means :meth:`ensure` must run
        first (it queries)."""
        if (
            self.built
            and not self.failed
            and self.local_seen == local_generation()
            and self._clock() < self.fresh_until
        ):
            return self.state
        return None

    def ensure(self, session: Session) -> CompiledIndex:
        """The state, built first if needed and caught up with the feed if it may be behind
        (this process noted a change, or the last catch-up failed or is long past).

        Raises :class:`IndexUnavailable` when the feed cannot be read: a decision is then
        refused rather than made on a state that may miss a revocation."""
        # Read before querying: a change noted meanwhile leaves the index behind the
        # count, so the next decision reads the feed again.
        generation = local_generation()
        if self.current() is not None:
            return self.state
        with self._lock:
            try:
                if self.built:
                    self.catch_up(session)
                else:
                    self.build(session)
            except SQLAlchemyError as exc:
                raise IndexUnavailable(
                    "the decision index could not read the latest changes; try again"
                ) from exc
            self.local_seen = generation
        return self.state

    def catch_up(self, session: Session) -> int:
        """Apply the changes committed since the last look; returns how many were applied.

        The feed position moves only once the changes are applied; if reading or applying
        fails, the index is marked failed (decisions stop using it as it is) and the next
        catch-up reads the same changes again."""
        with self._lock:
            if not self.built:
                self.build(session)
                return 0
            applied = 0
            try:
                # Batch after batch: "caught up" means nothing committed is left unread.
                while (count := self._catch_up(session)) == BATCH:
                    applied += count
                applied += count
            except BaseException:
                self.failed = True
                raise
            self._caught_up()
            return applied

    def _catch_up(self, session: Session) -> int:
        now = time.monotonic()
        self.gaps = {seq: until for seq, until in self.gaps.items() if until > now}
        if self.gaps:
            cond = or_(AccessChange.seq > self.last_seq, AccessChange.seq.in_(list(self.gaps)))
            rows = session.execute(
                select(AccessChange.seq, AccessChange.entity, AccessChange.entity_id)
                .where(cond)
                .order_by(AccessChange.seq)
                .limit(BATCH)
            ).all()
        else:
            # The common case, asked every poll: a statement built once.
            rows = session.execute(_NEWER, {"last": self.last_seq, "batch": BATCH}).all()
        if not rows:
            return 0
        # Worked out aside and kept only once the changes are applied.
        last, gaps = self.last_seq, dict(self.gaps)
        for seq, _, _ in rows:
            gaps.pop(seq, None)
            if seq > last + 1:
                for missing in range(last + 1, min(seq, last + 1000)):
                    gaps[missing] = now + GAP_SECONDS
            last = max(last, seq)
        rebuilds = self.rebuilds
        self._apply(session, {(entity, entity_id) for _, entity, entity_id in rows})
        if self.rebuilds == rebuilds:  # a full reload in _apply set the position itself
            self.last_seq, self.gaps = last, gaps
        self.applied += len(rows)
        return len(rows)

    def refresh(self, factory: SessionMaker) -> int:
        """Catch up using a session of its own (the background poll)."""
        with factory() as session:
            if not self.built:
                self.build(session)
                return 0
            return self.catch_up(session)

    async def run(self, factory: SessionMaker) -> None:
        """Poll the feed until cancelled; errors are logged and the poll goes on."""
        while True:
            try:
                await asyncio.to_thread(self.refresh, factory)
            except asyncio.CancelledError:
                raise
            except Exception:  # the poll must survive a lost connection
                log.exception("access index poll failed")
            await asyncio.sleep(self.poll_seconds)

    # -- applying changes ------------------------------------------------------------

    def _apply(self, session: Session, changes: set[tuple[str, str]]) -> None:
        by_entity: dict[str, set[uuid.UUID]] = {}
        for entity, raw_id in changes:
            entity_id = _uuid(raw_id)
            if entity_id is None:
                log.warning("access change with a malformed id: %s %r", entity, raw_id)
                continue
            by_entity.setdefault(entity, set()).add(entity_id)
        unknown = sorted(set(by_entity) - {e.value for e in Entity})
        if unknown:
            # An entity the index does not know how to localise: be safe, load everything.
            log.warning("access change for unknown entities %s: full reload", unknown)
            self.build(session)
            return
        load = self._loader
        people: set[uuid.UUID] = set()
        people |= load.load_units(session, by_entity.get(Entity.ORG_UNIT, set()))
        load.load_calendars(session, by_entity.get(Entity.HOLIDAY_CALENDAR, set()))
        load.load_sites(
            session,
            by_entity.get(Entity.SITE_DOOR_RULES, set())
            | by_entity.get(Entity.SITE_EMERGENCY, set()),
        )
        load.load_schedules(session, by_entity.get(Entity.SCHEDULE, set()))
        zone_ids = by_entity.get(Entity.ZONE, set())
        profile_ids = by_entity.get(Entity.PROFILE, set()) | {
            p.id for p in self.state.profiles.values() if p.zones & zone_ids
        }
        load.load_profiles(session, profile_ids)
        load.load_doors(
            session,
            by_entity.get(Entity.DOOR, set()) | by_entity.get(Entity.DOOR_LOCKDOWN, set()),
        )
        people |= load.load_positions(session, by_entity.get(Entity.POSITION_PROFILE, set()))
        people |= load.load_grants(session, by_entity.get(Entity.GRANT, set()), recompile=False)
        people |= load.load_group_members(session, by_entity.get(Entity.GROUP, set()))
        credentials = by_entity.get(Entity.CREDENTIAL, set())
        reload_people = by_entity.get(Entity.PERSON, set())
        reload_people |= self._people_of(
            session, Assignment, by_entity.get(Entity.ASSIGNMENT, set())
        )
        reload_people |= self._people_of(
            session, TrainingRecord, by_entity.get(Entity.TRAINING, set())
        )
        load.load_people(session, reload_people)
        self.state.recompile_all(people - reload_people)
        load.load_credentials(session, credentials)

    def _people_of(
        self, session: Session, model: type[Assignment] | type[TrainingRecord], ids: set[uuid.UUID]
    ) -> set[uuid.UUID]:
        """The people a changed assignment or training record belongs to.

        A deleted row is gone from the database, so callers note the person too (see
        ``access.changes``); an id that is itself a person's is taken as such.
        """
        if not ids:
            return set()
        found = set(
            session.execute(select(model.person_id).where(model.id.in_(list(ids)))).scalars()
        )
        owners = self.state.owners
        known = {owners[i] for i in ids if i in owners}
        return found | known | {i for i in ids if i in self.state.person_facts}
