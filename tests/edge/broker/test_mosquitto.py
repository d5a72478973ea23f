"""The generated Mosquitto configuration, against a real Mosquitto: devices over TLS with
their passwords, each kept to its own topics; the wrong password and anonymous refused."""

from __future__ import annotations

import asyncio
import getpass
import socket
import subprocess
import uuid
from pathlib import Path

import aiomqtt
import pytest

from stadsvakt.edge.broker.client import QOS, tls_context
from stadsvakt.edge.broker.mosquitto import (
    MOSQUITTO,
    MosquittoBroker,
    acl_text,
    config_text,
    password_file_text,
    write_config,
)
from stadsvakt.edge.broker.passwords import mosquitto_hash
from stadsvakt.edge.broker.settings import BrokerSettings
from stadsvakt.edge.broker.tls import write_dev_certificates
from stadsvakt.edge.broker.topics import ALL_UP, Direction, device_filter, topic
from tests.edge.conftest import EdgeBroker, make_device, require_mosquitto
from tests.waiting import wait_until

WAIT_S = 20.0


def test_the_acl_gives_the_centre_everything_and_a_device_its_own_topics() -> None:
    assert acl_text("centre").splitlines()[1:] == [
        "user centre",
        "topic readwrite stadsvakt/edge/#",
        "",
        "pattern read stadsvakt/edge/%u/down/#",
        "pattern write stadsvakt/edge/%u/up/#",
    ]


def test_the_password_file_refuses_what_would_break_it() -> None:
    good = mosquitto_hash("pw")
    assert password_file_text([("a", good), ("b", good), ("a", good)]) == f"a:{good}\nb:{good}\n"
    for bad in ["", "a:b", "a b", "a\nb", "a/b", "+", "#"]:
        with pytest.raises(ValueError):
            password_file_text([(bad, good)])
    with pytest.raises(ValueError):
        password_file_text([("a", "plain-text")])


def test_the_config_has_one_tls_listener_and_no_anonymous(edge_broker: EdgeBroker) -> None:
    text = config_text(edge_broker.broker.listener)
    lines = text.splitlines()
    assert "allow_anonymous false" in lines
    assert [line for line in lines if line.startswith("listener")] == [
        f"listener {edge_broker.broker.port} 127.0.0.1"
    ]
    assert f"certfile {edge_broker.broker.tls.cert}" in lines
    assert "port" not in {line.split()[0] for line in lines}


def test_a_device_publishes_up_and_receives_down(edge_broker: EdgeBroker) -> None:
    device = edge_broker.devices[0]

    async def scenario() -> tuple[bytes, bytes]:
        async with edge_broker.centre() as centre, edge_broker.device(device) as edge:
            await centre.subscribe(ALL_UP, qos=QOS)
            granted = await edge.subscribe(device_filter(device.id, Direction.DOWN), qos=QOS)
            assert list(granted) == [QOS]
            await edge.publish(topic(device.id, "up", "status"), b"up", qos=QOS)
            async with asyncio.timeout(WAIT_S):
                up = await anext(centre.messages)
            await centre.publish(topic(device.id, "down", "time"), b"down", qos=QOS)
            async with asyncio.timeout(WAIT_S):
                down = await anext(edge.messages)
        assert str(up.topic) == topic(device.id, "up", "status")
        assert str(down.topic) == topic(device.id, "down", "time")
        assert isinstance(up.payload, bytes) and isinstance(down.payload, bytes)
        return up.payload, down.payload

    assert asyncio.run(scenario()) == (b"up", b"down")


def test_a_device_cannot_publish_as_another(edge_broker: EdgeBroker) -> None:
    a, b = edge_broker.devices[0], edge_broker.devices[1]

    async def scenario() -> list[str]:
        seen: list[str] = []
        async with edge_broker.centre() as centre, edge_broker.device(a) as edge:
            await centre.subscribe(ALL_UP, qos=QOS)
            await edge.publish(topic(b.id, "up", "events"), b"forged", qos=QOS)
            await edge.publish(topic(a.id, "down", "snapshot"), b"forged", qos=QOS)
            # One client's messages arrive in order: once its own arrives, a forged one
            # let through would have arrived before it.
            await edge.publish(topic(a.id, "up", "events"), b"own", qos=QOS)
            async with asyncio.timeout(WAIT_S):
                async for message in centre.messages:
                    seen.append(f"{message.topic}={message.payload!r}")
                    if message.payload == b"own":
                        break
        return seen

    assert asyncio.run(scenario()) == [f"{topic(a.id, 'up', 'events')}={b'own'!r}"]


def test_a_device_cannot_read_another_s_messages(edge_broker: EdgeBroker) -> None:
    a, b = edge_broker.devices[0], edge_broker.devices[1]

    async def scenario() -> tuple[list[int], list[str]]:
        seen: list[str] = []
        async with edge_broker.centre() as centre, edge_broker.device(a) as edge:
            wide = await edge.subscribe("stadsvakt/edge/#", qos=QOS)
            other = await edge.subscribe(device_filter(b.id, Direction.DOWN), qos=QOS)
            await edge.subscribe(device_filter(a.id, Direction.DOWN), qos=QOS)
            await centre.publish(topic(b.id, "down", "command"), b"for b", qos=QOS)
            await centre.publish(topic(a.id, "up", "status"), b"a's own up", qos=QOS)
            await centre.publish(topic(a.id, "down", "command"), b"for a", qos=QOS)
            async with asyncio.timeout(WAIT_S):
                async for message in edge.messages:
                    seen.append(f"{message.topic}={message.payload!r}")
                    if message.payload == b"for a":
                        break
        return [getattr(code, "value", code) for code in [*wide, *other]], seen

    codes, seen = asyncio.run(scenario())
    # Mosquitto grants the subscriptions but delivers only what the ACL lets it read.
    assert seen == [f"{topic(a.id, 'down', 'command')}={b'for a'!r}"]
    assert codes == [QOS, QOS]


@pytest.mark.parametrize("who", ["wrong password", "unknown device", "anonymous"])
def test_the_broker_refuses_a_wrong_password_and_anonymous(
    edge_broker: EdgeBroker, who: str
) -> None:
    device = edge_broker.devices[2]

    async def scenario() -> None:
        if who == "wrong password":
            client = edge_broker.device(device, password=device.password + "x")
        elif who == "unknown device":
            client = edge_broker.device(make_device())
        else:
            client = aiomqtt.Client(
                edge_broker.broker.host,
                edge_broker.broker.port,
                tls_context=tls_context(edge_broker.broker.tls.ca),
                timeout=WAIT_S,
            )
        async with client:
            pass

    with pytest.raises(aiomqtt.MqttCodeError) as refused:
        asyncio.run(scenario())
    assert refused.value.rc == 135  # MQTT 3.1.1's 5, "not authorised", in paho's v5 terms


def test_the_broker_speaks_tls_only(edge_broker: EdgeBroker) -> None:
    # An MQTT CONNECT in plain text: the broker reads it as a broken TLS handshake and
    # closes the connection instead of answering with a CONNACK.
    connect_packet = bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 30, 0, 0])
    with socket.create_connection(("127.0.0.1", edge_broker.broker.port), timeout=WAIT_S) as raw:
        raw.sendall(connect_packet)
        try:
            answer = raw.recv(64)
        except ConnectionResetError:
            answer = b""
    assert answer == b""


def test_a_reload_lets_new_devices_in_and_removed_ones_out() -> None:
    require_mosquitto()
    old, new = make_device(), make_device()

    async def connects(broker: MosquittoBroker, device_id: uuid.UUID, password: str) -> bool:
        client = aiomqtt.Client(
            broker.host,
            broker.port,
            username=str(device_id),
            password=password,
            tls_context=tls_context(broker.tls.ca),
            timeout=WAIT_S,
        )
        try:
            async with client:
                return True
        except aiomqtt.MqttCodeError:
            return False

    with MosquittoBroker(
        [(str(old.id), mosquitto_hash(old.password))],
        centre_username="centre",
        centre_password="centre-pw",
    ) as broker:
        assert asyncio.run(connects(broker, old.id, old.password))
        assert not asyncio.run(connects(broker, new.id, new.password))
        broker.reload([(str(new.id), mosquitto_hash(new.password))])
        assert asyncio.run(connects(broker, new.id, new.password))
        assert not asyncio.run(connects(broker, old.id, old.password))
        port = broker.port
    # Stopped: nothing listens on its port any more.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_the_production_files_name_the_settings_tls_and_run(tmp_path: Path) -> None:
    require_mosquitto()
    device = make_device()
    tls = write_dev_certificates(tmp_path / "tls", ("127.0.0.1",))
    settings = BrokerSettings(
        tls_ca=tls.ca, tls_cert=tls.cert, tls_key=tls.key, centre_username="centre"
    )
    with pytest.raises(ValueError, match="tls_ca"):
        write_config(tmp_path, BrokerSettings(), [], centre_hash=mosquitto_hash("x"))
    conf = write_config(
        tmp_path / "etc",
        settings,
        [(str(device.id), mosquitto_hash(device.password))],
        centre_hash=mosquitto_hash("centre-pw"),
        listen_host="127.0.0.1",
        listen_port=_free_port(),
    )
    lines = conf.read_text().splitlines()
    assert f"certfile {tls.cert}" in lines and f"cafile {tls.ca}" in lines
    assert (tmp_path / "etc" / "passwd").read_text().startswith("centre:$7$101$")
    assert (tmp_path / "etc" / "passwd").stat().st_mode & 0o077 == 0
    # Mosquitto accepts the files as written: it starts and answers over TLS.
    port = int(next(line for line in lines if line.startswith("listener")).split()[1])
    # As the current user: started as root, Mosquitto would switch to `mosquitto`.
    run = tmp_path / "run.conf"
    run.write_text(f"user {getpass.getuser()}\n{conf.read_text()}")
    process = subprocess.Popen(
        [str(MOSQUITTO), "-c", str(run)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        context = tls_context(tls.ca)

        def answers_tls() -> bool:
            assert process.poll() is None, "mosquitto stopped"
            try:
                with (
                    socket.create_connection(("127.0.0.1", port), timeout=1) as raw,
                    context.wrap_socket(raw, server_hostname="127.0.0.1"),
                ):
                    return True
            except OSError:
                return False

        wait_until(answers_tls, "mosquitto to answer over TLS")
    finally:
        process.terminate()
        process.wait(timeout=WAIT_S)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
