"""The MQTT input against the machine's real Mosquitto broker (127.0.0.1:1883).

Each test uses its own topic prefix (and so its own client id and session), so parallel
runs never see each other's messages. Without a broker the tests skip, except under CI
(``CI`` set), where they fail: there the broker is part of the test environment.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from stadsvakt.alarms.inputs import json_input
from stadsvakt.alarms.inputs.counters import JSON_REJECTED, MQTT_CONNECTED, MQTT_CONNECTS
from stadsvakt.alarms.metrics import ALARMS, DUPLICATES, Metrics
from stadsvakt.alarms.models import TransmitterProtocol
from stadsvakt.alarms.receivers import mqtt as mqtt_module
from stadsvakt.alarms.receivers.mqtt import MqttReceiver, client_id, items_for, parse_topic
from stadsvakt.alarms.receivers.run import enabled_receivers
from stadsvakt.settings import AlarmSettings, Settings
from tests.alarms.conftest import LoopThread, ReceiverDb
from tests.waiting import wait_until

HOST, PORT = "127.0.0.1", 1883
WAIT_S = 20.0
STADSVAKT = str(Path(sys.executable).parent / "stadsvakt")


@pytest.fixture(scope="module")
def broker() -> None:
    """The broker answers, or the test skips (fails under CI)."""
    try:
        socket.create_connection((HOST, PORT), timeout=3).close()
    except OSError as exc:
        message = f"no MQTT broker on {HOST}:{PORT}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


class RunningMqtt(LoopThread[MqttReceiver]):
    """An :class:`MqttReceiver` served by its own event loop in a thread."""

    def start(self, *, wait_connected: bool = True) -> RunningMqtt:
        """Start, and wait until subscribed unless told not to."""
        self._start_thread(timeout=WAIT_S)
        if wait_connected:
            until(lambda: self.receiver.connected.is_set(), "the receiver to subscribe")
        return self

    @property
    def running(self) -> bool:
        """Whether ``serve()`` is still going."""
        return self._thread.is_alive() and self._task is not None and not self._task.done()

    def stop(self) -> None:
        """Cancel the receiver and wait for its thread (again: nothing to do)."""
        if self._thread.is_alive():
            self._stop_thread(timeout=WAIT_S)


def until(check: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    """Wait (polling) until ``check()`` holds."""
    wait_until(check, what, timeout=timeout)


def forget_session(identifier: str) -> None:
    """Drop a receiver's persistent session at the broker (connect once with a clean one)."""

    async def clean() -> None:
        async with aiomqtt.Client(HOST, PORT, identifier=identifier, clean_session=True):
            pass

    asyncio.run(clean())


@pytest.fixture
def prefix() -> str:
    """A topic prefix of this test's own."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def start(
    broker: None, receiver_db: ReceiverDb, prefix: str
) -> Iterator[Callable[..., RunningMqtt]]:
    """Start MQTT receivers for this test's prefix; stopped (and sessions dropped) after."""
    running: list[RunningMqtt] = []

    def start_one(*, wait_connected: bool = True, **changes: Any) -> RunningMqtt:
        values: dict[str, Any] = {"mqtt_host": HOST, "mqtt_port": PORT}
        values.update({"mqtt_topic_prefix": prefix, **changes})
        services = receiver_db.services
        receiver = MqttReceiver(
            AlarmSettings(**values),
            services.session_factory,
            services.box,
            metrics=Metrics(),
            backoff=(0.05, 0.5),
            identifier=f"stadsvakt-{prefix}",
        )
        running.append(RunningMqtt(receiver).start(wait_connected=wait_connected))
        return running[-1]

    yield start_one
    for item in running:
        item.stop()
    if running:
        forget_session(f"stadsvakt-{prefix}")


def exchange(
    prefix: str, topic: str, *payloads: bytes, replies: int | None = None, wait: float = WAIT_S
) -> list[dict[str, Any]]:
    """Publish payloads (QoS 1) and collect the results stadsvakt answers with."""

    async def run() -> list[dict[str, Any]]:
        answers: list[dict[str, Any]] = []
        async with aiomqtt.Client(HOST, PORT) as client:
            await client.subscribe(f"{prefix}/results/#", qos=1)
            for payload in payloads:
                await client.publish(topic, payload, qos=1)
            async with asyncio.timeout(wait):
                async for message in client.messages:
                    assert isinstance(message.payload, bytes)
                    answers.append(json.loads(message.payload))
                    if len(answers) >= (replies if replies is not None else len(payloads)):
                        break
        return answers

    return asyncio.run(run())


def publish(topic: str, payload: bytes) -> None:
    """Publish one payload (QoS 1) without waiting for an answer."""

    async def run() -> None:
        async with aiomqtt.Client(HOST, PORT) as client:
            await client.publish(topic, payload, qos=1)

    asyncio.run(run())


def _alarm(account: str, message_id: str = "m-1", **extra: Any) -> bytes:
    body = {"account": account, "message_id": message_id, "code": "high_temp", **extra}
    return json.dumps(body).encode()


def _json_account(db: ReceiverDb) -> str:
    return db.add(protocol=TransmitterProtocol.JSON).account


# --- pure topic handling -----------------------------------------------------------------


def test_topics_name_kind_and_account() -> None:
    assert parse_topic("sv", "sv/alarms/12ab").account == "12AB"  # type: ignore[union-attr]
    assert parse_topic("a/b", "a/b/heartbeat/0FF").kind == "heartbeat"  # type: ignore[union-attr]
    for topic in (
        "sv/alarms",
        "sv/alarms/12ab/x",
        "sv/other/12ab",
        "x/alarms/12ab",
        "sv/alarms/zz",
    ):
        assert parse_topic("sv", topic) is None


def test_a_payload_must_be_for_its_topic_account() -> None:
    topic = parse_topic("sv", "sv/alarms/ABC")
    assert topic is not None
    with pytest.raises(Exception, match="topic's account ABC") as caught:
        items_for("sv", topic, _alarm("ABD"))
    assert getattr(caught.value, "reason", None) == "account_mismatch"
    beat = parse_topic("sv", "sv/heartbeat/ABC")
    assert beat is not None
    [item] = items_for("sv", beat, b"")
    assert item.message.kind == "heartbeat"
    with pytest.raises(Exception, match="alarms go to sv/alarms/ABC"):
        items_for("sv", beat, _alarm("ABC"))


# --- against the broker --------------------------------------------------------------------


def test_a_published_alarm_is_stored_and_answered(
    start: Callable[..., RunningMqtt], receiver_db: ReceiverDb, prefix: str
) -> None:
    account = _json_account(receiver_db)
    rx = start()
    [answer] = exchange(prefix, f"{prefix}/alarms/{account}", _alarm(account, zone=2))
    [result] = answer["results"]
    assert (result["duplicate"], result["category"], result["priority"]) == (False, "technical", 5)
    [alarm] = receiver_db.alarms(account)
    assert str(alarm.id) == result["alarm_id"]
    assert (alarm.protocol, alarm.code, alarm.zone) == ("json", "high_temp", 2)
    assert alarm.raw == _alarm(account, zone=2)
    assert rx.metrics.value(ALARMS) == 1


def test_a_sender_registered_after_the_receiver_started_is_stored_on_its_first_message(
    start: Callable[..., RunningMqtt], receiver_db: ReceiverDb, prefix: str
) -> None:
    start()  # the registry is loaded before the sender exists
    account = _json_account(receiver_db)
    [answer] = exchange(prefix, f"{prefix}/alarms/{account}", _alarm(account))
    assert answer["results"][0]["duplicate"] is False, answer
    assert receiver_db.count(account) == 1


def test_a_heartbeat_updates_last_seen_only(
    start: Callable[..., RunningMqtt], receiver_db: ReceiverDb, prefix: str
) -> None:
    row = receiver_db.add(protocol=TransmitterProtocol.JSON)
    start()
    [answer] = exchange(prefix, f"{prefix}/heartbeat/{row.account}", b"")
    assert answer["results"][0]["kind"] == "heartbeat"
    until(lambda: receiver_db.transmitter(row.id).last_seen_at is not None, "last seen")
    assert receiver_db.count(row.account) == 0


def test_a_redelivered_message_is_stored_once(
    start: Callable[..., RunningMqtt], receiver_db: ReceiverDb, prefix: str
) -> None:
    account = _json_account(receiver_db)
    rx = start()
    payload = _alarm(account, "door-7", code="door_forced")
    first, second = exchange(prefix, f"{prefix}/alarms/{account}", payload, payload)
    ids = {first["results"][0]["alarm_id"], second["results"][0]["alarm_id"]}
    assert len(ids) == 1
    assert sorted(a["results"][0]["duplicate"] for a in (first, second)) == [False, True]
    assert receiver_db.count(account) == 1
    assert rx.metrics.value(DUPLICATES) == 1


def test_a_message_not_stored_is_not_acknowledged_and_comes_again(
    start: Callable[..., RunningMqtt],
    receiver_db: ReceiverDb,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = _json_account(receiver_db)
    rx = start()
    writer = rx.receiver.writer
    real_store = writer.store
    failures = [RuntimeError("the database is away")]

    async def flaky_store(records: Any) -> Any:
        if failures:
            raise failures.pop()
        return await real_store(records)

    monkeypatch.setattr(writer, "store", flaky_store)
    refused, stored = exchange(
        prefix, f"{prefix}/alarms/{account}", _alarm(account, "retry-1"), replies=2
    )
    assert refused["error"] == "storage"
    assert stored["results"][0]["duplicate"] is False
    assert receiver_db.count(account) == 1
    assert rx.metrics.value(MQTT_CONNECTS, outcome="lost") >= 1


def test_messages_sent_while_away_arrive_after_a_restart(
    start: Callable[..., RunningMqtt], receiver_db: ReceiverDb, prefix: str
) -> None:
    account = _json_account(receiver_db)
    start().stop()  # the broker now keeps a session for the receiver
    publish(f"{prefix}/alarms/{account}", _alarm(account, "while-away"))
    start()
    until(lambda: receiver_db.count(account) == 1, "the queued alarm")


def test_bad_payloads_are_counted_and_the_loop_goes_on(
    start: Callable[..., RunningMqtt], receiver_db: ReceiverDb, prefix: str
) -> None:
    account = _json_account(receiver_db)
    rx = start()
    topic = f"{prefix}/alarms/{account}"
    broken, wrong, unknown = exchange(
        prefix,
        topic,
        b"{not json",
        _alarm(account, zone="3"),
        _alarm("ABCDEF9", "x"),
    )
    assert broken["error"] == "json"
    assert wrong["errors"][0]["field"] == "zone"
    assert unknown["error"] == "account_mismatch"
    [stranger] = exchange(prefix, f"{prefix}/alarms/ABCDEF9", _alarm("ABCDEF9"))
    assert stranger["error"] == "unknown_account"
    publish(f"{prefix}/alarms/not-an-account", b"{}")
    until(lambda: rx.metrics.value(JSON_REJECTED, reason="topic", transport="mqtt") == 1, "topic")
    for reason in ("json", "schema", "account_mismatch", "unknown_account"):
        assert rx.metrics.value(JSON_REJECTED, reason=reason, transport="mqtt") == 1, reason
    # Still serving.
    [answer] = exchange(prefix, topic, _alarm(account, "after"))
    assert answer["results"][0]["duplicate"] is False
    assert rx.running


def test_a_payload_that_fails_unforeseen_is_kept_unreadable_not_redelivered_forever(
    start: Callable[..., RunningMqtt],
    receiver_db: ReceiverDb,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    poisoned, other = _json_account(receiver_db), _json_account(receiver_db)
    real = json_input.to_record

    def to_record(message: Any, *args: Any) -> Any:
        if message.account.upper() == poisoned:
            raise RuntimeError("a bug met this payload")
        return real(message, *args)

    monkeypatch.setattr(mqtt_module, "to_record", to_record)
    rx = start()
    publish(f"{prefix}/alarms/{poisoned}", _alarm(poisoned))
    [answer] = exchange(prefix, f"{prefix}/alarms/{other}", _alarm(other, "after"))
    assert answer["results"][0]["duplicate"] is False
    until(
        lambda: rx.metrics.value(JSON_REJECTED, reason="internal", transport="mqtt") == 1,
        "the failure counted",
    )
    # Before, it was left unacknowledged: the connection dropped, and the broker sent
    # it again on every reconnect.
    assert rx.metrics.value(MQTT_CONNECTS, outcome="lost") == 0
    assert receiver_db.count(other) == 1
    until(lambda: receiver_db.count(poisoned) == 1, "the payload kept as unreadable")
    [kept] = receiver_db.alarms(poisoned)
    assert (kept.category, kept.raw) == ("unknown", _alarm(poisoned))
    assert "RuntimeError" in kept.description


def test_an_absent_broker_is_retried_without_stopping(
    start: Callable[..., RunningMqtt], prefix: str
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind((HOST, 0))
        closed = probe.getsockname()[1]
    rx = start(wait_connected=False, mqtt_port=closed)
    until(lambda: rx.metrics.value(MQTT_CONNECTS, outcome="failed") >= 3, "three attempts")
    assert rx.running
    assert rx.metrics.value(MQTT_CONNECTED) == 0


def test_serve_starts_it_only_when_enabled(receiver_db: ReceiverDb) -> None:
    services = receiver_db.services
    base = {"dc09_enabled": False, "sip_enabled": False, "supervision_enabled": False}
    off = Settings(database_url=receiver_db.url, alarms=AlarmSettings(**base), _env_file=None)
    on = Settings(
        database_url=receiver_db.url,
        alarms=AlarmSettings(**base, mqtt_enabled=True),
        _env_file=None,
    )
    assert not any(
        isinstance(r, MqttReceiver)
        for r in enabled_receivers(off, services.session_factory, services.box)
    )
    [receiver] = [
        r
        for r in enabled_receivers(on, services.session_factory, services.box)
        if isinstance(r, MqttReceiver)
    ]
    assert receiver.describe().startswith("MQTT input from 127.0.0.1:1883")


@pytest.mark.slow
def test_receive_mqtt_runs_the_input_on_its_own(
    broker: None, receiver_db: ReceiverDb, prefix: str, tmp_path: Path
) -> None:
    account = _json_account(receiver_db)
    env = {**os.environ, "STADSVAKT_DATABASE_URL": receiver_db.url}
    log = tmp_path / "receive.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [STADSVAKT, "receive", "mqtt", "--prefix", prefix], env=env, stdout=out, stderr=out
        )
    try:
        heartbeat = f"{prefix}/heartbeat/{account}".encode()
        deadline = time.monotonic() + 60
        while True:  # heartbeats until one is answered: then it is subscribed
            try:
                exchange(prefix, heartbeat.decode(), b"", wait=2)
                break
            except TimeoutError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
        [answer] = exchange(prefix, f"{prefix}/alarms/{account}", _alarm(account, "cli"))
        assert answer["results"][0]["duplicate"] is False
        assert receiver_db.count(account) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=WAIT_S)
        forget_session(client_id(prefix))
    assert "MQTT input from 127.0.0.1:1883" in log.read_text()
    assert process.returncode == 0, log.read_text()
