"""The MQTT input: technical and door alarms as JSON, subscribed from a broker.

Topics, below the configured prefix (``alarms.mqtt_topic_prefix``, default ``stadsvakt``):

* ``{prefix}/alarms/{account}`` — one message or a batch, the same JSON as
  ``POST /api/v1/alarms/inputs``; every message's ``account`` must be the topic's.
* ``{prefix}/heartbeat/{account}`` — an empty payload or heartbeat messages: only the
  transmitter's last-seen time is updated.
* ``{prefix}/results/{account}`` — published by stadsvakt (QoS 1) once a payload is
  committed, or refused: the per-message results, or the reason it was not stored.

MQTT brings no device token: the broker authenticates devices, and its ACL should let
each device publish only under its own account (mosquitto: ``pattern write
stadsvakt/+/%u``); that is why the topic's account must match the payload's.

Delivery is at least once. stadsvakt subscribes with QoS 1 in a persistent session (a
stable client id, ``clean_session`` off), so what arrives while it is away is kept by
the broker. A message is acknowledged (PUBACK) only once its alarms are committed, or
once it is refused for good (a bad payload); when the database cannot take it, it is
left unacknowledged and the connection is dropped, so the broker delivers it again
when the session resumes. Re-sends and the broker's re-deliveries are recognised
(transmitter, ``message_id``, content) and stored once. A lost broker is
retried with exponential backoff; a bad payload is counted in
``stadsvakt_json_rejected_total{transport="mqtt"}``, logged and answered, and never
stops the loop. A row the database refuses is stored as unreadable by the writer (its
bytes kept), so it is acknowledged like any other. A payload whose handling fails in
an unforeseen way (``reason="internal"``, one log line) is stored the same way, as an
unreadable alarm of its topic's account, and acknowledged: left unacknowledged, the
broker would deliver it again and again, each time dropping the connection and every
other device's messages in flight with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import aiomqtt
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.inputs.counters import (
    JSON_MESSAGES,
    JSON_REJECTED,
    MQTT_CONNECTED,
    MQTT_CONNECTS,
)
from stadsvakt.alarms.inputs.json_input import PROTOCOL, Item, parse, results, to_record
from stadsvakt.alarms.inputs.schema import (
    AccountNotRegistered,
    AlarmMessage,
    HeartbeatMessage,
    InputResults,
    InvalidMessage,
    MessageRejected,
)
from stadsvakt.alarms.metrics import REGISTRY, Metrics
from stadsvakt.alarms.normalise import AlarmRecord, Envelope, Source, unreadable
from stadsvakt.alarms.receivers._server import AlarmReception
from stadsvakt.alarms.store import describe
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.db import utcnow
from stadsvakt.settings import AlarmSettings

log = logging.getLogger(__name__)

ALARMS = "alarms"
HEARTBEAT = "heartbeat"
RESULTS = "results"
#: Payloads handled at once; further messages wait in the client's queue.
IN_FLIGHT = 256
_ACCOUNT = re.compile(r"[0-9A-Fa-f]{3,16}")


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic stadsvakt listens on: its kind (alarms or heartbeat) and account."""

    kind: str
    account: str


def parse_topic(prefix: str, topic: str) -> Topic | None:
    """The kind and account of ``{prefix}/{alarms|heartbeat}/{account}``, else ``None``."""
    rest = topic.removeprefix(prefix + "/")
    parts = rest.split("/")
    if rest == topic or len(parts) != 2 or parts[0] not in (ALARMS, HEARTBEAT):
        return None
    if not _ACCOUNT.fullmatch(parts[1]):
        return None
    return Topic(parts[0], parts[1].upper())


def items_for(prefix: str, topic: Topic, payload: bytes) -> list[Item]:
    """The messages of a payload on ``topic``, checked against it (pure)."""
    if topic.kind == HEARTBEAT and not payload.strip():
        return [Item(HeartbeatMessage(kind="heartbeat", account=topic.account), payload, None)]
    items = parse(payload)
    for item in items:
        if item.account != topic.account:
            raise InvalidMessage.single(
                item.field("account"),
                "account_mismatch",
                f"must be the topic's account {topic.account}",
                reason="account_mismatch",
            )
        if topic.kind == HEARTBEAT and isinstance(item.message, AlarmMessage):
            raise InvalidMessage.single(
                item.field("kind"),
                "wrong_topic",
                f"alarms go to {prefix}/{ALARMS}/{topic.account}",
                reason="wrong_topic",
            )
    return items


def client_id(prefix: str) -> str:
    """A stable client id per host and prefix, so a restarted receiver resumes its session."""
    digest = hashlib.sha256(f"{socket.gethostname()}|{prefix}".encode()).hexdigest()
    return f"stadsvakt-{digest[:16]}"


class MqttReceiver(AlarmReception):
    """Subscribes to the alarm and heartbeat topics and stores what arrives."""

    label: ClassVar[str] = "mqtt"

    def __init__(
        self,
        settings: AlarmSettings,
        factory: sessionmaker[Session],
        box: SecretBox,
        *,
        metrics: Metrics = REGISTRY,
        clock: Callable[[], datetime] = utcnow,
        backoff: tuple[float, float] = (1.0, 60.0),
        identifier: str | None = None,
    ) -> None:
        super().__init__(settings, factory, box, metrics)
        self.prefix = settings.mqtt_topic_prefix
        self.identifier = identifier or client_id(self.prefix)
        #: Set while subscribed (for tests and readiness).
        self.connected = asyncio.Event()
        self._clock = clock
        self._backoff = backoff
        self._slots = asyncio.Semaphore(IN_FLIGHT)
        self._handlers: set[asyncio.Task[None]] = set()

    def describe(self) -> str:
        """Where it subscribes, for the console."""
        s = self.settings
        return (
            f"MQTT input from {s.mqtt_host}:{s.mqtt_port}, topics {self.prefix}/{ALARMS}/+"
            f" and {self.prefix}/{HEARTBEAT}/+"
        )

    async def serve(self) -> None:
        """Subscribe until cancelled, reconnecting with backoff whenever the broker is away."""
        try:
            await asyncio.to_thread(self.directory.refresh)
        except Exception:  # the directory's own loop retries; the broker may be fine
            log.exception("loading the transmitter directory failed; retrying in the background")
        async with asyncio.TaskGroup() as tasks:
            self._start_background(tasks)
            try:
                await self._subscribe_forever()
            finally:
                # Before the writer stops: a handler waiting for its commit is cancelled
                # (its message is re-sent by a sender waiting for a result).
                handlers = list(self._handlers)
                for task in handlers:
                    task.cancel()
                await asyncio.gather(*handlers, return_exceptions=True)

    def _client(self) -> aiomqtt.Client:
        s = self.settings
        client = aiomqtt.Client(
            s.mqtt_host,
            s.mqtt_port,
            username=s.mqtt_username,
            password=s.mqtt_password.get_secret_value() if s.mqtt_password else None,
            identifier=self.identifier,
            clean_session=False,
            keepalive=30,
            timeout=10,
        )
        # Commit before acknowledging: aiomqtt has no switch for it, so paho's own
        # manual acknowledgement is turned on below it (see _acknowledge).
        client._client.manual_ack_set(True)
        return client

    async def _subscribe_forever(self) -> None:
        delay, longest = self._backoff
        while True:
            subscribed = False
            try:
                async with self._client() as client:
                    await client.subscribe(
                        [(f"{self.prefix}/{ALARMS}/+", 1), (f"{self.prefix}/{HEARTBEAT}/+", 1)]
                    )
                    subscribed = True
                    delay = self._backoff[0]
                    self.metrics.inc(MQTT_CONNECTS, outcome="connected")
                    self.metrics.set(MQTT_CONNECTED, 1)
                    self.connected.set()
                    log.info("MQTT input subscribed at %s", self.describe())
                    async for message in client.messages:
                        await self._slots.acquire()
                        task = asyncio.create_task(self._handle(client, message))
                        self._handlers.add(task)
                        task.add_done_callback(self._handlers.discard)
            except aiomqtt.MqttError as exc:
                self.metrics.inc(MQTT_CONNECTS, outcome="lost" if subscribed else "failed")
                log.warning(
                    "MQTT broker %s:%s %s (%s); retrying in %.1f s",
                    self.settings.mqtt_host,
                    self.settings.mqtt_port,
                    "connection lost" if subscribed else "unreachable",
                    exc,
                    delay,
                )
            except Exception:  # a bug here must not stop `stadsvakt serve`; retry instead
                self.metrics.inc(MQTT_CONNECTS, outcome="error")
                log.exception("MQTT input failed; reconnecting in %.1f s", delay)
            finally:
                self.connected.clear()
                self.metrics.set(MQTT_CONNECTED, 0)
            # Jitter, so many receivers do not reconnect to a restarted broker in step.
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, longest)

    async def _handle(self, client: aiomqtt.Client, message: aiomqtt.Message) -> None:
        done = False
        name, payload = str(message.topic), _payload(message.payload)
        try:
            done = await self._process(client, name, payload)
        except Exception as exc:  # one payload's trouble must never reach the others
            self.metrics.inc(JSON_REJECTED, reason="internal", transport="mqtt")
            log.error("MQTT message on %s could not be handled: %s", name, describe(exc))
            done = await self._keep_unreadable(name, payload, exc)
        finally:
            self._slots.release()
        _acknowledge(client, message, done)

    async def _keep_unreadable(self, name: str, payload: bytes, exc: Exception) -> bool:
        """Store a payload whose handling failed as an unreadable alarm of its topic's
        sender; ``False`` only when it must come again (the database is away).

        Left unacknowledged for a failure that would only repeat, the broker would deliver
        it again and again, each time dropping the connection and every device's
        messages in flight with it.
        """
        topic = parse_topic(self.prefix, name)
        known = self.directory.find(topic.account, "0", "0") if topic else None
        if topic is None or topic.kind != ALARMS or known is None:
            return True  # no registered sender to keep it for
        envelope = Envelope(
            source=Source(known.tenant_id, known.site_id, known.id),
            protocol=PROTOCOL,
            account=topic.account,
            sequence=None,
            received_at=self._clock(),
            event_time=None,
            encrypted=False,
            payload=payload.decode("utf-8", "replace"),
            raw=payload,
        )
        record = unreadable(f"the JSON input failed ({type(exc).__name__})", envelope)
        try:
            await self.writer.store([record])
        except Exception:  # the database is away: the broker delivers it again
            return False
        return True

    async def _process(self, client: aiomqtt.Client, name: str, payload: bytes) -> bool:
        """Handle one payload; False when it must be delivered again (not stored)."""
        topic = parse_topic(self.prefix, name)
        if topic is None:
            self._reject("topic", name, "not an alarm or heartbeat topic with an account")
            return True
        try:
            items = items_for(self.prefix, topic, payload)
            known = self.directory.find(topic.account, "0", "0")
            if known is None or known.protocol != "json":
                # Registered a moment ago? Read the registry again before refusing.
                await self.directory.recheck()
                known = self.directory.find(topic.account, "0", "0")
            if known is None or known.protocol != "json":
                raise AccountNotRegistered(
                    f"account: no transmitter with account {topic.account} and protocol json",
                    reason="unknown_account",
                    errors=[
                        {
                            "field": "account",
                            "rule": "unknown_account",
                            "message": f"{topic.account} is not registered for JSON input",
                        }
                    ],
                )
            received_at = self._clock()
            source = Source(known.tenant_id, known.site_id, known.id)
            records: list[AlarmRecord | None] = []
            for item in items:
                if isinstance(item.message, AlarmMessage):
                    records.append(to_record(item.message, item.raw, source, received_at))
                else:
                    records.append(None)
                    self.writer.seen(known.id, received_at)
            alarms = [record for record in records if record is not None]
            try:
                stored = await self.writer.store(alarms) if alarms else []
            except Exception as exc:  # the writer logged it; the sender re-sends
                raise MessageRejected(
                    "the alarms could not be stored; send them again", reason="storage", errors=[]
                ) from exc
        except MessageRejected as exc:
            self._reject(exc.reason, name, exc.detail)
            refusal = {"error": exc.reason, "detail": exc.detail, "errors": exc.errors}
            await self._reply(client, topic, refusal)
            return exc.reason != "storage"
        for item in items:
            self.metrics.inc(JSON_MESSAGES, kind=item.message.kind, transport="mqtt")
        answer = InputResults(results=results(items, records, stored))
        await self._reply(client, topic, answer.model_dump(mode="json"))
        return True

    def _reject(self, reason: str, topic: str, detail: str) -> None:
        self.metrics.inc(JSON_REJECTED, reason=reason, transport="mqtt")
        log.info("MQTT message on %s refused (%s): %s", topic, reason, detail)

    async def _reply(self, client: aiomqtt.Client, topic: Topic, body: dict[str, Any]) -> None:
        try:
            await client.publish(
                f"{self.prefix}/{RESULTS}/{topic.account}",
                json.dumps(body, separators=(",", ":")),
                qos=1,
            )
        except aiomqtt.MqttError as exc:  # the alarm is stored; only its answer is lost
            log.debug("MQTT result for %s not published: %s", topic.account, exc)


def _acknowledge(client: aiomqtt.Client, message: aiomqtt.Message, done: bool) -> None:
    """PUBACK a handled message; for one not stored, drop the connection instead.

    The broker re-delivers unacknowledged QoS 1 messages when the persistent session
    resumes, so a message whose alarms could not be committed comes back after the
    reconnect (and its re-delivery is recognised if it was stored after all).
    """
    paho = client._client
    if done:
        paho.ack(message.mid, message.qos)
    else:
        paho.disconnect()


def _payload(payload: object) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if payload is None:
        return b""
    return str(payload).encode()
