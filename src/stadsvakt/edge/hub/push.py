"""The pusher: follows the access change feed and brings connected devices up to date.

It checks every :data:`TICK_S` whether this process noted a change
(``access.changes.local_generation()``: an API call in this process wakes it at once)
and reads the feed's position every ``feed_poll_ms`` for changes made by other
processes. When the feed has moved on it first sends each municipality's connected
devices one ``revoke`` command naming the credentials and people the batch took access
from (worked out once per municipality; per device only a seal and a publish), then
asks for a delta for every device of the municipalities that changed, devices whose
doors a lockdown or emergency open touched first. Deltas and snapshots are built by a
small pool of worker threads (:class:`~stadsvakt.edge.hub.queue.DeviceQueue` orders and
coalesces them); the feed is read on a thread of its own, so a storm of snapshot builds
never holds up a revocation.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import aiomqtt
from sqlalchemy.orm import Session

from stadsvakt.access.changes import local_generation
from stadsvakt.db import utcnow
from stadsvakt.edge.broker.gateway import Publisher
from stadsvakt.edge.broker.topics import Down
from stadsvakt.edge.hub.gaps import Gaps
from stadsvakt.edge.hub.queries import Batch, device_infos, feed_position, read_batch
from stadsvakt.edge.hub.queue import DeviceQueue, Priority
from stadsvakt.edge.hub.registry import Registry
from stadsvakt.edge.hub.sync import Sync, sync_device
from stadsvakt.edge.snapshot.settings import SnapshotSettings

log = logging.getLogger(__name__)

#: Seconds between checks of this process's own change count (cheap: no database).
TICK_S = 0.05

T = TypeVar("T")


def _in_session(factory: Callable[[], Session], work: Callable[..., T], *args: object) -> T:
    with factory() as session:
        return work(session, *args)


class Pusher:
    """Sends revocations, deltas and snapshots to the devices in the registry."""

    def __init__(
        self,
        factory: Callable[[], Session],
        registry: Registry,
        settings: SnapshotSettings,
        *,
        feed_poll_s: float,
        workers: int = 2,
    ) -> None:
        self._factory = factory
        self._registry = registry
        self._settings = settings
        self._poll_s = feed_poll_s
        self._workers = workers
        self._queue = DeviceQueue()
        self._builds = ThreadPoolExecutor(workers, thread_name_prefix="edge-build")
        self._feed = ThreadPoolExecutor(1, thread_name_prefix="edge-feed")
        #: The feed position every change up to which has been handled (None: not read).
        self.seen: int | None = None
        #: Messages sent, by kind (``revoke``, ``delta``, ``snapshot``).
        self.sent: Counter[str] = Counter()
        #: The feed position at which each municipality last changed (seen by the pusher).
        self._changed: dict[uuid.UUID, int] = {}
        self._gaps = Gaps(settings.delta_overlap_seconds)

    def want(self, device_id: uuid.UUID, priority: Priority) -> None:
        """Bring the device up to date soon."""
        self._queue.want(device_id, priority)

    def forget(self, device_id: uuid.UUID) -> None:
        """Send the device nothing more."""
        self._registry.forget(device_id)
        self._queue.drop(device_id)

    def close(self) -> None:
        """Stop the worker threads (the hub has stopped)."""
        self._builds.shutdown(wait=False, cancel_futures=True)
        self._feed.shutdown(wait=False, cancel_futures=True)

    async def _on_feed(self, work: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        call = functools.partial(_in_session, self._factory, work, *args)
        return await loop.run_in_executor(self._feed, call)

    async def run(self, publisher: Publisher) -> None:
        """Follow the feed and sync devices through ``publisher`` until cancelled or the
        connection is lost (``aiomqtt.MqttError``)."""
        async with asyncio.TaskGroup() as tasks:
            for _ in range(self._workers):
                tasks.create_task(self._work(publisher))
            tasks.create_task(self._watch(publisher))

    async def _watch(self, publisher: Publisher) -> None:
        generation = local_generation()
        polled = -self._poll_s
        failing = False
        while True:
            current = local_generation()
            if current != generation or time.monotonic() - polled >= self._poll_s:
                generation, polled = current, time.monotonic()
                try:
                    await self._follow(publisher)
                except aiomqtt.MqttError:
                    raise  # the connection is lost: the hub reconnects
                except Exception:  # the database is away: keep the connection, read again
                    if not failing:  # logged once per outage, not at every poll
                        log.exception("following the access change feed failed; trying again")
                    failing = True
                else:
                    if failing:
                        log.info("following the access change feed again")
                    failing = False
            await asyncio.sleep(TICK_S)

    async def _follow(self, publisher: Publisher) -> None:
        if self.seen is None:
            # Changes before the hub started reach devices with the sync after their hello.
            self.seen = await self._on_feed(feed_position)
        else:
            await self.catch_up(publisher)

    async def catch_up(self, publisher: Publisher) -> None:
        """If the feed moved on (or a change numbered earlier has committed since:
        :mod:`.gaps`): revocations to every connected device of each municipality
        concerned, then deltas asked for, the urgent ones first."""
        position = await self._on_feed(feed_position)
        after = self.seen if self.seen is not None else position
        late = self._gaps.open(time.monotonic())
        if position <= after and not late:
            return
        upto = max(position, after)
        batch = await self._on_feed(read_batch, after, upto, utcnow(), late)
        if batch.seqs:
            await self._place_unplaced()
            await self._revoke(publisher, batch)
            for tenant_id in batch.tenants:
                self._changed[tenant_id] = max(self._changed.get(tenant_id, 0), batch.upto)
            self._ask_deltas(batch)
        # Only now: if sending failed (the connection is lost), the batch is read again.
        self._gaps.found(batch.seqs)
        self._gaps.missed(set(range(after + 1, upto + 1)) - batch.seqs, time.monotonic())
        self.seen = upto

    async def _place_unplaced(self) -> None:
        """Read, in one go, where the devices are whose first sync has not run yet (after
        a hello storm, most of them): a revocation must reach them too."""
        unplaced = self._registry.unplaced()
        if not unplaced:
            return
        for device_id, info in (await self._on_feed(device_infos, unplaced)).items():
            self._registry.know(device_id, info)

    async def _revoke(self, publisher: Publisher, batch: Batch) -> None:
        sends = [
            publisher.publish(device_id, Down.COMMAND, revocation.body())
            for revocation in batch.revocations
            for device_id, _ in self._registry.of_tenant(revocation.tenant_id)
        ]
        if sends:
            await asyncio.gather(*sends)
            self.sent["revoke"] += len(sends)
            log.info("revocation up to %d sent to %d devices", batch.upto, len(sends))

    def _ask_deltas(self, batch: Batch) -> None:
        for tenant_id in batch.tenants:
            for device_id, info in self._registry.of_tenant(tenant_id):
                urgent = batch.urgent_for(info)
                self.want(device_id, Priority.URGENT if urgent else Priority.CHANGE)

    async def _work(self, publisher: Publisher) -> None:
        while True:
            device_id = await self._queue.take()
            finished = False
            try:
                await self._sync(publisher, device_id)
                finished = True
            except aiomqtt.MqttError:
                raise  # the connection is lost: the hub reconnects
            except Exception:  # one device's failure must not stop the others' syncs
                log.exception("bringing edge device %s up to date failed", device_id)
                finished = True
            finally:
                if not finished:  # cut off by a lost connection: again after reconnecting
                    self._queue.want(device_id, Priority.CHANGE)
                self._queue.done(device_id)

    async def _sync(self, publisher: Publisher, device_id: uuid.UUID) -> None:
        held = self._registry.get(device_id)
        if held is None:
            return
        epoch, version = held.epoch, held.version
        loop = asyncio.get_running_loop()
        call = functools.partial(
            sync_device, self._factory, device_id, version, utcnow(), self._settings
        )
        result: Sync = await loop.run_in_executor(self._builds, call)
        if result.info is None:
            log.info("edge device %s is revoked or unknown: it is sent nothing", device_id)
            self.forget(device_id)
            return
        self._registry.know(device_id, result.info)
        if result.payload is not None:
            now = self._registry.get(device_id)
            if now is None or now.epoch != epoch:
                # It said hello again while this was built: build from what it holds now.
                self._queue.want(device_id, Priority.HELLO)
                return
            await publisher.publish_sealed(device_id, result.payload)
            self._registry.sent(device_id, epoch, result.version)
            self.sent[result.kind] += 1
        self._again_if_behind(device_id, result)

    def _again_if_behind(self, device_id: uuid.UUID, result: Sync) -> None:
        """Its municipality changed while this was built (a device whose place was not
        yet known was left out of that batch): sync it again."""
        held = self._registry.get(device_id)
        if held is None or held.version is None or result.info is None:
            return
        if self._changed.get(result.info.tenant_id, 0) > held.version:
            self._queue.want(device_id, Priority.CHANGE)
