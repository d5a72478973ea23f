"""The agent's MQTT link to the centre: rights in, status out.

:class:`CentreLink` runs an asyncio loop on a thread of its own beside the door loop
(:func:`stadsvakt.edge.agent.runner.run`). It connects as the device
(:func:`~stadsvakt.edge.broker.client.device_client`, TLS, the enrolment password),
subscribes to its ``down`` topics, says ``hello`` with the version it holds, and then:

* ``snapshot`` / ``delta`` / ``command`` (``revoke``): checked with the centre's key
  (:class:`~stadsvakt.edge.agent.rights.Rights`), kept on disk
  (:class:`~stadsvakt.edge.agent.store.ChainStore`), then swapped into the agent under
  its lock, so a card read decides on the old state or the new one, never half of each;
* a delta refused as ``catch_up`` sends ``hello`` again (the centre answers with a
  snapshot or the missing delta); ``replay`` is counted and ignored;
* ``time``: the clock is checked against the centre's;
* ``status`` every ``status_interval_seconds`` and at once when a door's live state
  changes.

When the broker is away it connects again with exponential backoff (and jitter); the
doors go on deciding on what they hold. ``agent.health.centre_reachable`` says whether
the link is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime

import aiomqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadsvakt.edge.agent.agent import Agent
from stadsvakt.edge.agent.config import BrokerConfig
from stadsvakt.edge.agent.rights import Rights
from stadsvakt.edge.agent.status import SOFTWARE_VERSION, hello_body, status_body
from stadsvakt.edge.agent.store import ChainStore
from stadsvakt.edge.broker.client import device_client
from stadsvakt.edge.broker.device import CentreMessage, DeviceLink
from stadsvakt.edge.broker.topics import Down, Up
from stadsvakt.edge.snapshot.verify import SnapshotRefused

log = logging.getLogger(__name__)

#: How often door states are compared (a change is reported within this) and the stop looked at.
WATCH_SECONDS = 0.05
#: How long a stopping link waits for a clean disconnect before it cuts the connection.
STOP_GRACE_SECONDS = 2.0


class CentreLink:
    """One agent's MQTT link (module docstring)."""

    def __init__(
        self,
        agent: Agent,
        rights: Rights,
        store: ChainStore,
        broker: BrokerConfig,
        device_key: Ed25519PrivateKey,
        *,
        backoff: tuple[float, float] = (1.0, 60.0),
        clean_session: bool = False,
        software_version: str = SOFTWARE_VERSION,
    ) -> None:
        self.agent = agent
        self.rights = rights
        self.store = store
        self.broker = broker
        self.device = DeviceLink(agent.config.device_id, device_key, rights.key)
        self.backoff = backoff
        self.software_version = software_version
        #: Off: the broker keeps the subscription and the centre's messages while away.
        self.clean_session = clean_session
        self._password = broker.password()
        #: Messages taken, by kind (``snapshot``, ``delta``, ``revoke``, ``time``).
        self.taken: Counter[str] = Counter()
        #: Messages refused, by ``<kind>:<rule>`` (``delta:replay``, ``snapshot:signature``...).
        self.refused: Counter[str] = Counter()
        #: Successful connections so far.
        self.connections = 0
        self._client: aiomqtt.Client | None = None
        self._report_now = False

    # Running ------------------------------------------------------------------------

    def start(self, stop: threading.Event) -> threading.Thread:
        """Run :meth:`serve` on a new thread until ``stop`` is set; the thread (to join)."""
        thread = threading.Thread(
            target=asyncio.run, args=(self.serve(stop),), name="edge-link", daemon=True
        )
        thread.start()
        return thread

    async def serve(self, stop: threading.Event) -> None:
        """Keep the link up until ``stop`` is set."""
        task = asyncio.create_task(self._connect_loop())
        try:
            while not stop.is_set() and not task.done():
                await asyncio.sleep(WATCH_SECONDS)
        finally:
            task.cancel()
            while not task.done():
                await asyncio.wait({task}, timeout=STOP_GRACE_SECONDS)
                # aiomqtt's disconnect may wait for ever for the broker's goodbye when
                # cancelled: cancelling again ends that wait.
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _connect_loop(self) -> None:
        first, longest = self.backoff
        delay = first
        while True:
            try:
                async with device_client(
                    self.broker.host,
                    self.broker.port,
                    device_id=self.agent.config.device_id,
                    password=self._password,
                    ca=self.broker.ca_file,
                    clean_session=self.clean_session,
                ) as client:
                    delay = first
                    await self._session(client)
            except Exception as exc:  # a bug must not end the link for good either
                if _lost(exc):
                    log.warning("edge broker unreachable or lost (%s); again in %.1f s", exc, delay)
                else:
                    log.exception("the centre link failed; connecting again in %.1f s", delay)
            finally:
                self._client = None
                self.agent.health.centre_reachable = False
            # Jitter: a site's devices do not all come back to a restarted broker at once.
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, longest)

    async def _session(self, client: aiomqtt.Client) -> None:
        """Subscribe, say hello, then receive and report until the connection is lost."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self.device.run(client, self.handle))
            await self.device.subscribed.wait()
            self._client = client
            self.connections += 1
            self.agent.health.centre_reachable = True
            # A cancellation swallowed here is repeated by serve(), which ends the group.
            await self.hello()
            group.create_task(self._report(client))

    async def _report(self, client: aiomqtt.Client) -> None:
        interval = self.agent.config.status_interval_seconds
        loop = asyncio.get_running_loop()
        last: dict[uuid.UUID, str] | None = None
        due = loop.time()
        while True:
            _raise_if_cancelled()
            doors = self.agent.live_states()
            if doors != last or loop.time() >= due or self._report_now:
                self._report_now = False
                body = status_body(self.agent, self.rights.version, self.software_version)
                await self.device.publish(client, Up.STATUS, body)
                last, due = dict(doors), loop.time() + interval
            await asyncio.sleep(WATCH_SECONDS)

    async def hello(self) -> None:
        """Tell the centre the version held (it sends what is missing)."""
        if self._client is not None:
            body = hello_body(self.rights.version, self.software_version)
            await self.device.publish(self._client, Up.HELLO, body)

    # Receiving ----------------------------------------------------------------------

    async def handle(self, message: CentreMessage) -> None:
        """Act on one verified message from the centre."""
        try:
            if message.kind is Down.SNAPSHOT:
                self._snapshot(message.payload)
            elif message.kind is Down.DELTA:
                self._delta(message.payload)
            elif message.kind is Down.COMMAND:
                self._command(message.payload)
            else:
                self._time(message.body)
        except SnapshotRefused as exc:
            kind = "revoke" if message.kind is Down.COMMAND else str(message.kind)
            self.refused[f"{kind}:{exc.rule}"] += 1
            if exc.rule == "catch_up":
                log.info("the centre's delta is ahead of us (%s): saying hello again", exc)
                await self.hello()
            elif exc.rule == "replay":
                log.info("the centre's %s is not newer than ours: ignored (%s)", kind, exc)
            else:
                log.warning("the centre's %s refused (%s)", kind, exc)
            return
        self.taken["revoke" if message.kind is Down.COMMAND else str(message.kind)] += 1

    def _snapshot(self, payload: bytes) -> None:
        state = self.rights.snapshot(payload)
        self._keep(lambda: self.store.save_snapshot(payload, state.version))
        self.agent.replace_state(state)
        self.agent.health.faults.pop("snapshot", None)
        self.agent.health.faults.pop("rights", None)
        self._report_now = True

    def _delta(self, payload: bytes) -> None:
        state = self.rights.delta(payload)
        self._keep(lambda: self.store.append_delta(payload))
        self.agent.replace_state(state)
        self._report_now = True

    def _command(self, payload: bytes) -> None:
        revoked = self.rights.revoke(payload)
        if revoked is None:
            raise SnapshotRefused("replay", "the revocation is covered by the version held")
        self._keep(lambda: self.store.append_revoke(payload, revoked.seq))
        self.agent.replace_state(self.rights.decision_state())

    def _time(self, body: object) -> None:
        stated = body.get("now") if isinstance(body, dict) else None
        try:
            now = datetime.fromisoformat(stated) if isinstance(stated, str) else None
        except ValueError:
            now = None
        if now is None or now.tzinfo is None:
            raise SnapshotRefused("body", "time.now must be an ISO 8601 time with its offset")
        self.agent.check_clock(now)
        self._report_now = True  # the drift, and perhaps the health, changed

    def _keep(self, save: Callable[[], object]) -> None:
        """Save to disk; a failure is a fault, but the state is used all the same (a
        revocation must not wait for a full disk)."""
        try:
            save()
        except OSError as exc:
            log.exception("the centre's rights could not be saved")
            self.agent.health.faults["storage"] = f"rights not saved: {exc.strerror or exc}"
        else:
            self.agent.health.faults.pop("storage", None)


def _lost(exc: BaseException) -> bool:
    """Whether ``exc`` is the broker going away (alone or in a task group's exceptions)."""
    if isinstance(exc, BaseExceptionGroup):
        return all(_lost(inner) for inner in exc.exceptions)
    return isinstance(exc, aiomqtt.MqttError)


def _raise_if_cancelled() -> None:
    """End the current task if it was asked to: on Python 3.11, ``asyncio.wait_for`` (in
    aiomqtt's publish) may swallow a cancellation that meets the broker's answer, and a
    task group cancels its tasks only once. Only for a group's child tasks: 3.11's group
    may leave its parent's cancellation count raised after a child failed."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
