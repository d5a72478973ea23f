"""One follower of the queue feed per process, fanning each change out to the process's
live streams.

Every process of ``stadsvakt serve --workers N`` runs its own :class:`QueueFollower`, so
a change committed through any process reaches browsers connected to every process:
the fan-out goes through the database, never through one process's memory. The
follower reads the feed (:func:`stadsvakt.centre.feed.changes_since`) after the last
number it has seen whenever it is woken: on PostgreSQL by ``LISTEN stadsvakt_queue`` on
a connection of its own (the feed's ``pg_notify`` arrives at commit; a lost connection
is opened again), by a commit of this very process that published changes
(:func:`stadsvakt.centre.feed.on_commit`), and always by a poll every
``centre.feed_poll_s`` seconds, the only wake-up from other processes on SQLite.

It works only while someone listens: with no subscriber it reads nothing and holds no
connection. Each change is read once per process with its activation as a
:class:`~stadsvakt.centre.queue.QueueRow` and offered to every :class:`Subscription`
(one per stream); each stream filters by its reader. A subscription holds a bounded
backlog; one that falls further behind is marked *lagged* and its stream tells the
browser to reload the queue.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import psycopg
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.api.deps import Services
from stadsvakt.centre import feed
from stadsvakt.centre.queue import QueueRow, load_rows
from stadsvakt.db import read_only

log = logging.getLogger(__name__)

#: Changes read from the feed at once.
READ_LIMIT = 500
#: The most changes a reconnecting stream replays; further behind, it reloads the queue.
REPLAY_LIMIT = 1000
#: Changes a subscription may hold unread before it is lagged (its reader must reload).
BACKLOG = 2000
#: Seconds a LISTEN connection may be silent before it is checked with a query.
LISTEN_CHECK_S = 30.0
#: How long stopping waits for the LISTEN task to end (seconds).
LISTENER_STOP_S = 5.0
#: The longest wait before a lost LISTEN connection is opened again (seconds).
RECONNECT_MAX_S = 30.0


@dataclass(frozen=True, slots=True)
class Delivery:
    """One numbered change and its activation as read just after it (``None``: gone)."""

    change: feed.Change
    row: QueueRow | None


class Subscription:
    """One stream's backlog of deliveries, in feed order."""

    def __init__(self, limit: int = BACKLOG) -> None:
        self.limit = limit
        self.lagged = False
        self._pending: deque[Delivery] = deque()
        self._ready = asyncio.Event()

    def offer(self, deliveries: list[Delivery]) -> None:
        """Queue deliveries; past the limit the backlog is dropped and the stream lagged."""
        if self.lagged or not deliveries:
            return
        if len(self._pending) + len(deliveries) > self.limit:
            self.lagged = True
            self._pending.clear()
        else:
            self._pending.extend(deliveries)
        self._ready.set()

    def reset(self) -> None:
        """Start afresh after the stream told its reader to reload."""
        self.lagged = False
        self._pending.clear()

    async def take(self, timeout: float) -> list[Delivery]:
        """Everything queued, waiting up to ``timeout`` seconds for something (an empty
        list when nothing came; check :attr:`lagged` after each call)."""
        if not self._pending and not self.lagged:
            try:
                async with asyncio.timeout(timeout):  # not wait_for (see _follow)
                    await self._ready.wait()
            except TimeoutError:
                pass
        self._ready.clear()
        taken = list(self._pending)
        self._pending.clear()
        return taken


def listen_dsn(url: str) -> str | None:
    """The libpq address of a PostgreSQL database URL (``None`` for any other database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return None
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


class QueueFollower:
    """Reads the queue feed for this process and offers each change to every
    subscription (see the module docstring)."""

    def __init__(
        self, factory: sessionmaker[Session], *, poll_s: float, dsn: str | None = None
    ) -> None:
        self.poll_s = poll_s
        self.dsn = dsn
        self._factory = factory
        self._subscriptions: set[Subscription] = set()
        self._seq: int | None = None
        self._wake = asyncio.Event()
        self._active = asyncio.Event()
        self._lock = asyncio.Lock()
        self.running = False
        #: Whether a LISTEN connection is open now (PostgreSQL only).
        self.listening = False

    @classmethod
    def of(cls, engine: Engine, poll_s: float, url: str) -> QueueFollower:
        """A follower reading with its own read-only sessions of ``engine``."""
        factory = sessionmaker(bind=read_only(engine), expire_on_commit=False)
        return cls(factory, poll_s=poll_s, dsn=listen_dsn(url))

    @property
    def seq(self) -> int | None:
        """The last feed number offered (``None`` while nobody listens)."""
        return self._seq

    @property
    def subscribers(self) -> int:
        """How many streams listen now."""
        return len(self._subscriptions)

    async def subscribe(self) -> Subscription:
        """A new subscription: it gets every change after the feed's head as read now (so
        a stream that then replays the feed up to the head it reads misses nothing)."""
        if not self.running:
            log.warning("queue follower is not running: live changes will not arrive")
        async with self._lock:
            if self._seq is None:
                self._seq = await asyncio.to_thread(self._head)
            subscription = Subscription()
            self._subscriptions.add(subscription)
            self._active.set()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop offering changes to ``subscription``."""
        self._subscriptions.discard(subscription)
        if not self._subscriptions:
            self._active.clear()
            self._wake.set()  # the follower then sees nobody listens, and lets go

    def wake(self) -> None:
        """Read the feed now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Follow the feed while anybody listens, until cancelled."""
        # Made on the loop that runs the follower (an app may be served more than once).
        self._wake, self._active, self._lock = asyncio.Event(), asyncio.Event(), asyncio.Lock()
        if self._subscriptions:
            self._active.set()
        self.running = True
        # A commit in this process that published changes wakes the follower at once (it
        # may come from a worker thread, such as the alarm receivers' writer).
        loop = asyncio.get_running_loop()

        def wake_from_any_thread() -> None:
            loop.call_soon_threadsafe(self._wake.set)

        stop_waking = feed.on_commit(wake_from_any_thread)
        try:
            while True:
                await self._active.wait()
                listener = asyncio.create_task(self._listen(), name="centre-queue-listen")
                try:
                    await self._follow()
                finally:
                    listener.cancel()
                    # Bounded: psycopg may not give up a notification wait at once when its
                    # connection was cut, and stopping must never hang on it.
                    await asyncio.wait([listener], timeout=LISTENER_STOP_S)
                if not self._subscriptions:
                    self._seq = None  # idle: a later subscriber starts from the head again
        finally:
            stop_waking()
            self.running = False

    async def _follow(self) -> None:
        while self._subscriptions:
            self._wake.clear()
            try:
                await self.catch_up()
            except Exception:  # a lost database must not end the follower
                log.exception("reading the queue feed failed")
            try:
                # Not wait_for: on Python 3.11 it can swallow a cancellation that comes as
                # the wake-up does, and the follower would then never stop.
                async with asyncio.timeout(self.poll_s):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def catch_up(self) -> int:
        """Read and offer every change after the last one offered; returns how many."""
        offered = 0
        while self._seq is not None:
            deliveries = await asyncio.to_thread(self._read, self._seq)
            if not deliveries:
                break
            for subscription in list(self._subscriptions):
                subscription.offer(deliveries)
            self._seq = deliveries[-1].change.seq
            offered += len(deliveries)
            if len(deliveries) < READ_LIMIT:
                break
        return offered

    def _head(self) -> int:
        with self._factory() as session:
            return feed.head(session)

    def _read(self, after: int) -> list[Delivery]:
        with self._factory() as session:
            return read_deliveries(session, after, READ_LIMIT)

    async def _listen(self) -> None:
        """Wake the follower on every notification (PostgreSQL); reconnect when lost."""
        if self.dsn is None:
            return
        delay = 0.5
        while True:
            try:
                await self._listen_once()
            except (psycopg.Error, OSError) as exc:
                log.warning("queue notifications lost (%s); polling until reconnected", exc)
            finally:
                self.listening = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_S)

    async def _listen_once(self) -> None:
        assert self.dsn is not None
        conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
        async with conn:
            await conn.execute(f"LISTEN {feed.CHANNEL}")
            self.listening = True
            self.wake()  # whatever was committed while nobody listened
            while True:
                async for _ in conn.notifies(timeout=LISTEN_CHECK_S):
                    self.wake()
                await conn.execute("SELECT 1")  # a silent connection may be a dead one


def read_deliveries(session: Session, after: int, limit: int) -> list[Delivery]:
    """The feed's changes after ``after`` (at most ``limit``), each with its activation."""
    changes = feed.changes_since(session, after, limit=limit)
    if not changes:
        return []
    rows = load_rows(session, {uuid.UUID(change.activation_id) for change in changes})
    return [Delivery(change, rows.get(uuid.UUID(change.activation_id))) for change in changes]


@dataclass(frozen=True, slots=True)
class Replay:
    """What a reconnecting stream must send first: the changes it missed, or ``resync``
    (reload the whole queue) when they cannot be given; ``head`` is the feed's number."""

    deliveries: list[Delivery]
    head: int
    resync: bool


def replay(session: Session, after: int | None, *, limit: int = REPLAY_LIMIT) -> Replay:
    """The changes after ``after`` (``None``: none, start at the head), or a resync when
    ``after`` is unknown (beyond the head), older than the feed keeps, or so far back
    that reloading the queue is cheaper than replaying."""
    head = feed.head(session)
    if after is None:
        return Replay([], head, resync=False)
    if after > head or head - after > limit:
        return Replay([], head, resync=True)
    deliveries = read_deliveries(session, after, limit)
    if deliveries and deliveries[0].change.seq != after + 1:
        return Replay([], head, resync=True)  # the feed no longer keeps what came next
    return Replay(deliveries, head, resync=False)


def install(app: FastAPI, services: Services) -> None:
    """Give the app its queue follower (one per process)."""
    app.state.centre_follower = QueueFollower.of(
        services.engine, services.settings.centre.feed_poll_s, services.settings.database.url
    )


def follower_of(app: FastAPI) -> QueueFollower:
    """The app's queue follower (made by :func:`install`)."""
    follower: QueueFollower = app.state.centre_follower
    return follower


@asynccontextmanager
async def background(app: FastAPI) -> AsyncIterator[None]:
    """Run the app's queue follower while it serves; stop by cancellation."""
    task = asyncio.create_task(follower_of(app).run(), name="centre-queue-follower")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
