"""The receivers' in-memory view of the transmitter registry: address → transmitter and key.

Parsing a frame needs the key before anything else, thousands of times a second,
so receivers never ask the database per known frame. The directory loads every
transmitter once, unseals the keys, and then follows the registry's change feed
(``transmitter_changes``, a row per change in the change's own transaction): every
poll it reads the rows after the last one it read and reloads only the transmitters
they name. The feed is numbered by the database, so a change is seen whatever clock
stamped it and in whichever order transactions committed; on PostgreSQL a number is
handed out before its transaction commits, so numbers skipped over are asked for again
for :data:`GAP_SECONDS`.

Before a frame is refused for something the registry decides (an unknown account, a
key that does not fit, "encrypted only"), the handler asks :meth:`recheck`: the feed
is read once more, so a transmitter registered or re-keyed a moment ago is served on
its very first frame. Rechecks run in the directory's own task, one at a time, each
for every frame that asked before it started: a flood of unknown accounts costs one
small query at a time, never one per frame. Loading happens in a worker thread, never
on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.models import Transmitter, TransmitterChange
from stadsvakt.alarms.service import normalise_hex, open_key
from stadsvakt.alarms.store import describe
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.db import read_only_session

log = logging.getLogger(__name__)

Address = tuple[str, str, str]

#: How long a skipped feed number is waited for (a registry change's transaction that
#: stays open longer is unusual).
GAP_SECONDS = 60.0
#: Feed rows read per query, and transmitters per reload query.
BATCH = 5000
_CHUNK = 500
#: Feed numbers below the newest that a fresh load checks for gaps.
_GAP_WINDOW = 1000
#: Seconds a frame waits for a recheck of the registry before it is refused anyway.
RECHECK_WAIT_S = 2.0


@dataclass(frozen=True, slots=True)
class KnownTransmitter:
    """What a receiver needs to know about one transmitter."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    site_id: uuid.UUID
    protocol: str
    key: bytes | None
    encrypted_only: bool


def address(account: str, receiver: str | None, line: str | None) -> Address:
    """The lookup key of a frame's account, receiver and line fields."""
    return account.upper(), normalise_hex(receiver), normalise_hex(line)


class TransmitterDirectory:
    """Address → :class:`KnownTransmitter`, kept current by following the change feed."""

    def __init__(self, factory: sessionmaker[Session], box: SecretBox) -> None:
        self._factory = factory
        self._box = box
        # Replaced whole, never changed in place: the loop reads while a thread loads.
        self._by_address: Mapping[Address, KnownTransmitter] = {}
        self._by_id: Mapping[uuid.UUID, Address] = {}
        #: The last feed number read (``None``: nothing loaded yet).
        self.last_seq: int | None = None
        #: Feed numbers skipped over, and until when (monotonic) they are asked for.
        self.gaps: dict[int, float] = {}
        self._lock = threading.Lock()
        self._asked = asyncio.Event()
        self._waiting: list[asyncio.Future[bool]] = []

    def __len__(self) -> int:
        return len(self._by_address)

    def find(self, account: str, receiver: str | None, line: str | None) -> KnownTransmitter | None:
        """The transmitter at this address as last loaded, or ``None``.

        The fallback to line 0 serves panels that send a line prefix the registry
        left at its default.
        """
        key = address(account, receiver, line)
        return self._by_address.get(key) or self._by_address.get((key[0], key[1], "0"))

    def key_for(self, account: str, receiver: str | None, line: str | None) -> bytes | None:
        """The AES key for a frame's address (the ``KeyLookup`` the DC-09 parser takes)."""
        found = self.find(account, receiver, line)
        return found.key if found else None

    async def recheck(self) -> bool:
        """Wait for a read of the change feed that starts after this call; returns whether
        it changed anything (``False`` after :data:`RECHECK_WAIT_S` without an answer).
        Needs :meth:`run` going, as every receiver has it."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append(done)
        self._asked.set()
        try:
            async with asyncio.timeout(RECHECK_WAIT_S):
                return await done
        except TimeoutError:  # the database is slow: the frame is refused, and re-sent
            return False

    async def run(self, poll_s: float = 1.0) -> None:
        """Keep the directory current until cancelled: every ``poll_s``, or at once when a
        frame asks for a recheck."""
        waiting: list[asyncio.Future[bool]] = []
        try:
            while True:
                try:
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a
                    # cancellation that arrives as the event is set, and never stop.
                    async with asyncio.timeout(poll_s):
                        await self._asked.wait()
                except TimeoutError:
                    pass
                self._asked.clear()
                # Those who asked before this read starts; later ones wait for the next.
                waiting, self._waiting = self._waiting, []
                changed = False
                try:
                    changed = await self._refresh_in_thread()
                except Exception as exc:  # a database hiccup must not stop the receiver
                    log.warning(
                        "reading the transmitter registry failed (retrying): %s", describe(exc)
                    )
                for done in waiting:
                    if not done.done():
                        done.set_result(changed)
        finally:
            for done in (*waiting, *self._waiting):
                done.cancel()

    async def _refresh_in_thread(self) -> bool:
        """:meth:`refresh` in a worker thread; a cancelled caller waits for it to end, so
        no read holds a connection after the receiver has stopped."""
        reading = asyncio.ensure_future(asyncio.to_thread(self.refresh))
        try:
            return await asyncio.shield(reading)
        except asyncio.CancelledError:
            await asyncio.wait([reading])
            raise

    def refresh(self) -> bool:
        """Load everything the first time, then apply the changes in the feed since the
        last read; returns whether anything was loaded."""
        with self._lock, read_only_session(self._factory) as session:
            if self.last_seq is None:
                self._load_all(session)
                return True
            changed: set[uuid.UUID] = set()
            while True:
                rows = self._newer(session)
                changed |= {transmitter_id for _, transmitter_id in rows}
                if len(rows) < BATCH:
                    break
            if changed:
                self._reload(session, changed)
            return bool(changed)

    def _load_all(self, session: Session) -> None:
        # The feed's position first: a change committed meanwhile is read again later,
        # which is harmless, rather than missed.
        last = session.scalar(select(func.max(TransmitterChange.seq))) or 0
        recent = set(
            session.scalars(
                select(TransmitterChange.seq).where(TransmitterChange.seq > last - _GAP_WINDOW)
            )
        )
        until = time.monotonic() + GAP_SECONDS
        # Numbers below the newest not committed yet (PostgreSQL) are waited for.
        self.gaps = {seq: until for seq in range(max(last - _GAP_WINDOW, 0) + 1, last)}
        for seq in recent:
            self.gaps.pop(seq, None)
        by_address, by_id = self._entries(session.scalars(select(Transmitter)))
        self._by_address, self._by_id = by_address, by_id
        self.last_seq = int(last)

    def _newer(self, session: Session) -> list[tuple[int, uuid.UUID]]:
        """Feed rows after the last read, and any skipped number that has appeared since."""
        last = self.last_seq or 0
        now = time.monotonic()
        self.gaps = {seq: until for seq, until in self.gaps.items() if until > now}
        wanted = TransmitterChange.seq > last
        if self.gaps:
            wanted = wanted | TransmitterChange.seq.in_(sorted(self.gaps))
        stmt = (
            select(TransmitterChange.seq, TransmitterChange.transmitter_id)
            .where(wanted)
            .order_by(TransmitterChange.seq)
            .limit(BATCH)
        )
        rows = [(int(seq), transmitter_id) for seq, transmitter_id in session.execute(stmt)]
        for seq, _ in rows:
            self.gaps.pop(seq, None)
            if seq > last + 1:
                for missing in range(last + 1, min(seq, last + 1 + _GAP_WINDOW)):
                    self.gaps[missing] = now + GAP_SECONDS
            last = max(last, seq)
        self.last_seq = last
        return rows

    def _reload(self, session: Session, ids: set[uuid.UUID]) -> None:
        """Reload the named transmitters (absent ones were deleted)."""
        ordered = sorted(ids)
        rows: list[Transmitter] = []
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            rows.extend(session.scalars(select(Transmitter).where(Transmitter.id.in_(chunk))))
        by_address = dict(self._by_address)
        by_id = dict(self._by_id)
        for transmitter_id in ids:
            old = by_id.pop(transmitter_id, None)
            entry = by_address.get(old) if old is not None else None
            if old is not None and entry is not None and entry.id == transmitter_id:
                del by_address[old]
        loaded_address, loaded_id = self._entries(rows)
        by_address.update(loaded_address)
        by_id.update(loaded_id)
        self._by_address, self._by_id = by_address, by_id

    def _entries(
        self, rows: Iterable[Transmitter]
    ) -> tuple[dict[Address, KnownTransmitter], dict[uuid.UUID, Address]]:
        by_address: dict[Address, KnownTransmitter] = {}
        by_id: dict[uuid.UUID, Address] = {}
        for row in rows:
            key = None
            if row.key_sealed:
                try:
                    key = open_key(self._box, row.key_sealed)
                except ValueError:
                    log.error("transmitter %s: key cannot be unsealed; treated as unknown", row.id)
                    continue
            where = (row.account, row.receiver, row.line)
            by_address[where] = KnownTransmitter(
                id=row.id,
                tenant_id=row.tenant_id,
                site_id=row.site_id,
                protocol=row.protocol.value,
                key=key,
                encrypted_only=row.encrypted_only,
            )
            by_id[row.id] = where
        return by_address, by_id
