"""The agent's MQTT link on the real test broker (Mosquitto, TLS, the enrolled devices'
passwords and ACL). The test plays the centre: the real gateway checks what the device
says, the real publisher and sealing functions send it rights, and the agent decides
on them as a reader would ask it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiomqtt
import httpx
import pytest

from stadsvakt import __version__
from stadsvakt.access.decide import Decision, Reason
from stadsvakt.edge.agent.config import parse_config
from stadsvakt.edge.agent.link import CentreLink
from stadsvakt.edge.agent.osdp_reader import CardRead, loopback_pair
from stadsvakt.edge.agent.outputs import SimulatedOutputs
from stadsvakt.edge.agent.runner import EdgeAgent, build, start
from stadsvakt.edge.broker.gateway import DeviceMessage, Gateway, Publisher
from stadsvakt.edge.broker.topics import Direction, Down, Up, topic
from stadsvakt.edge.snapshot.codec import pack
from stadsvakt.edge.snapshot.state import SnapshotState
from tests.edge.agent.centre import CARDS, HandCity, link_toml, write_files
from tests.edge.conftest import EdgeBroker, EdgeDevice
from tests.edge.ingest.test_upload import _closed_port
from tests.waiting import wait_until, wait_until_async

CONTACT = 27


@dataclass
class Centre:
    """The test's centre: its publisher and what the device said, as the gateway checked it."""

    client: aiomqtt.Client
    publisher: Publisher
    gateway: Gateway
    hellos: list[DeviceMessage] = field(default_factory=list)
    statuses: list[DeviceMessage] = field(default_factory=list)

    async def send(self, device: EdgeDevice, payload: bytes) -> None:
        """Publish a sealed message on the topic its envelope names."""
        await self.publisher.publish_sealed(device.id, payload)


@contextlib.asynccontextmanager
async def _centre(broker: EdgeBroker, device: EdgeDevice, city: HandCity) -> AsyncIterator[Centre]:
    async with broker.centre() as client:
        said: dict[Up, list[DeviceMessage]] = {Up.HELLO: [], Up.STATUS: []}

        def keep(kind: Up) -> Callable[[DeviceMessage], Awaitable[None]]:
            async def handle(message: DeviceMessage) -> None:
                said[kind].append(message)

            return handle

        gateway = Gateway({device.id: device.key.public_key()}.get, {k: keep(k) for k in said})
        serving = asyncio.create_task(gateway.run(client))
        await gateway.subscribed.wait()
        publisher = Publisher(client, city.settings.private_key())
        try:
            yield Centre(client, publisher, gateway, said[Up.HELLO], said[Up.STATUS])
        finally:
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving


class Rig:
    """An agent built from its edge.toml as ``stadsvakt edge`` builds it, with its link."""

    def __init__(
        self,
        tmp_path: Path,
        device: EdgeDevice,
        city: HandCity,
        port: int | None,
        broker: EdgeBroker,
    ) -> None:
        write_files(tmp_path, device.key, city)
        where = None if port is None else (broker.broker.host, port, broker.broker.tls.ca)
        text = link_toml(
            tmp_path, device=device.id, city=city, broker=where, password=device.password
        )
        self.config = parse_config(text)
        self.city = city
        self.outputs = SimulatedOutputs()
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{_closed_port()}")
        panel_end, self._nobody = loopback_pair()  # no reader answers on the line
        self.edge: EdgeAgent = build(
            self.config,
            outputs=self.outputs,
            client=self.http,
            channels={"entrance": panel_end},
            backoff=(0.05, 0.2),
        )
        if self.edge.link is not None:
            # Each test starts afresh: nothing queued for the device by an earlier test.
            self.edge.link.clean_session = True
        self.stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def link(self) -> CentreLink:
        """The agent's link."""
        assert self.edge.link is not None
        return self.edge.link

    def run(self) -> None:
        """Run the whole agent (door loop, uploader, link) as ``stadsvakt edge`` does."""
        self._threads.append(start(self.edge, self.stop))
        # Readers up and checked once (no reader answers): a card may be presented now.
        faults = self.edge.agent.health.faults
        wait_until(lambda: "reader entrance" in faults, "the readers' first check")

    def present(self, name: str) -> Decision:
        """A holder's card at the door; the agent's decision."""
        decision = self.edge.agent.on_reader_event(CardRead("entrance", CARDS[name]))
        assert decision is not None
        return decision

    def version(self) -> int | None:
        """The version of the state the agent decides on (None: no rights)."""
        state = self.edge.agent.state
        return state.version if isinstance(state, SnapshotState) else None

    def close(self) -> None:
        """Stop everything started and release the files."""
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        if not self._threads:  # run() closes the buffer itself
            self.edge.agent.buffer.close()
        self._threads.clear()
        self.http.close()


@pytest.fixture
def rigs(edge_broker: EdgeBroker) -> Iterator[list[Rig]]:
    made: list[Rig] = []
    yield made
    for rig in made:
        rig.close()


def _rig(
    rigs: list[Rig],
    tmp_path: Path,
    broker: EdgeBroker,
    city: HandCity,
    *,
    device: int = 0,
    port: int | None = -1,
) -> Rig:
    chosen = broker.broker.port if port == -1 else port
    rig = Rig(tmp_path, broker.devices[device], city, chosen, broker)
    rigs.append(rig)
    return rig


def test_hello_carries_the_version_and_a_snapshot_grants_the_card(
    rigs: list[Rig], tmp_path: Path, edge_broker: EdgeBroker
) -> None:
    city = HandCity()
    device = edge_broker.devices[0]
    rig = _rig(rigs, tmp_path, edge_broker, city)

    async def centre() -> None:
        async with _centre(edge_broker, device, city) as centre:
            rig.run()
            await wait_until_async(lambda: len(centre.hellos) == 1, "the hello")
            assert centre.hellos[0].body == {
                "snapshot_version": None,
                "software_version": __version__,
            }
            assert rig.edge.agent.health.centre_reachable
            assert rig.present("anna").reason is Reason.UNKNOWN_DOOR
            payload = city.snapshot(device.id, 5)
            await centre.send(device, payload)
            await wait_until_async(lambda: rig.version() == 5, "the snapshot")
            assert rig.present("anna").granted
            assert rig.config.snapshot_file is not None
            assert rig.config.snapshot_file.read_bytes() == payload
            assert "snapshot" not in rig.edge.agent.health.faults
            await wait_until_async(
                lambda: any(s.body["snapshot_version"] == 5 for s in centre.statuses),
                "a status at version 5",
            )
            # Started again from its files, the agent says which version it holds.
            rig.close()
            again = _rig(rigs, tmp_path, edge_broker, city)
            again.run()
            assert again.present("anna").granted
            await wait_until_async(lambda: len(centre.hellos) == 2, "the second hello")
            assert centre.hellos[1].body["snapshot_version"] == 5

    asyncio.run(centre())


def test_a_revocation_denies_at_once_and_survives_a_stale_delta_and_a_restart(
    rigs: list[Rig], tmp_path: Path, edge_broker: EdgeBroker
) -> None:
    city = HandCity()
    device = edge_broker.devices[1]
    rig = _rig(rigs, tmp_path, edge_broker, city, device=1)

    async def centre() -> None:
        async with _centre(edge_broker, device, city) as centre:
            rig.run()
            await wait_until_async(lambda: len(centre.hellos) == 1, "the hello")
            await centre.send(device, city.snapshot(device.id, 5))
            await wait_until_async(lambda: rig.version() == 5, "the snapshot")
            assert rig.present("anna").granted
            await centre.publisher.publish(device.id, Down.COMMAND, city.revoke_body(7, ["anna"]))
            await wait_until_async(lambda: rig.link.taken["revoke"] == 1, "the revocation")
            assert rig.present("anna").reason is Reason.UNKNOWN_CREDENTIAL
            assert rig.present("bo").granted
            # A delta computed before the revocation still lists Anna's card.
            await centre.send(device, city.delta(device.id, 5, 6, city.upsert("anna")))
            await wait_until_async(lambda: rig.version() == 6, "the stale delta")
            assert rig.present("anna").reason is Reason.UNKNOWN_CREDENTIAL

    asyncio.run(centre())
    rig.close()
    # Rebooted while the centre is away (nothing listens on the broker's port).
    offline = _rig(rigs, tmp_path, edge_broker, city, device=1, port=_closed_port())
    offline.run()
    assert offline.version() == 6
    assert offline.present("anna").reason is Reason.UNKNOWN_CREDENTIAL
    assert offline.present("bo").granted
    # Nothing wrong with the rights (no reader answers on the test's line).
    assert set(offline.edge.agent.health.faults) == {"reader entrance"}
    wait_until(
        lambda: offline.link.connections == 0 and not offline.edge.agent.health.centre_reachable
    )


def test_tampered_foreign_and_older_snapshots_are_refused_and_the_state_kept(
    rigs: list[Rig], tmp_path: Path, edge_broker: EdgeBroker
) -> None:
    city = HandCity()
    device = edge_broker.devices[2]
    rig = _rig(rigs, tmp_path, edge_broker, city, device=2)
    name = topic(device.id, Direction.DOWN, Down.SNAPSHOT)

    async def centre() -> None:
        async with _centre(edge_broker, device, city) as centre:
            rig.run()
            await wait_until_async(lambda: len(centre.hellos) == 1, "the hello")
            good = city.snapshot(device.id, 5)
            await centre.send(device, good)
            await wait_until_async(lambda: rig.version() == 5, "the snapshot")
            # Tampered: Bo's card taken out of a newer snapshot, the signature kept.
            tampered = json.loads(city.snapshot(device.id, 6))
            tampered["body"] = pack(city.snapshot_body(6, ["anna"]))
            await centre.client.publish(name, json.dumps(tampered).encode(), qos=1)
            # Another device's, sent on this one's topic.
            await centre.client.publish(name, city.snapshot(uuid.uuid4(), 7), qos=1)
            # Signed by the centre for this device, but for another municipality.
            await centre.send(device, HandCity().snapshot(device.id, 8))
            # Older than the one held, and the same one again.
            await centre.send(device, city.snapshot(device.id, 4, ["anna"]))
            await centre.send(device, good)
            await wait_until_async(lambda: rig.link.refused["snapshot:replay"] == 2, "the refusals")
            assert rig.link.device.dropped == {"signature": 1, "device": 1}
            assert rig.link.refused == {"snapshot:foreign": 1, "snapshot:replay": 2}
            assert rig.version() == 5 and rig.present("bo").granted
            assert rig.config.snapshot_file is not None
            assert rig.config.snapshot_file.read_bytes() == good

    asyncio.run(centre())


def test_a_delta_that_skips_changes_makes_the_agent_say_hello_again(
    rigs: list[Rig], tmp_path: Path, edge_broker: EdgeBroker
) -> None:
    city = HandCity()
    device = edge_broker.devices[3]
    rig = _rig(rigs, tmp_path, edge_broker, city, device=3)

    async def centre() -> None:
        async with _centre(edge_broker, device, city) as centre:
            rig.run()
            await wait_until_async(lambda: len(centre.hellos) == 1, "the hello")
            await centre.send(device, city.snapshot(device.id, 5))
            await wait_until_async(lambda: rig.version() == 5, "the snapshot")
            await centre.send(device, city.delta(device.id, 3, 4, city.remove("anna")))
            await centre.send(device, city.delta(device.id, 7, 8, city.remove("anna")))
            await wait_until_async(lambda: len(centre.hellos) == 2, "a hello for the gap")
            assert centre.hellos[1].body["snapshot_version"] == 5
            assert rig.link.refused == {"delta:replay": 1, "delta:catch_up": 1}
            assert rig.version() == 5 and rig.present("anna").granted

    asyncio.run(centre())


def _doors(status: DeviceMessage) -> list[str]:
    return list(status.body["doors"].values())


def test_status_reports_the_doors_at_once_and_the_clock_s_drift(
    rigs: list[Rig], tmp_path: Path, edge_broker: EdgeBroker
) -> None:
    city = HandCity()
    device = edge_broker.devices[0]
    rig = _rig(rigs, tmp_path, edge_broker, city)

    async def centre() -> None:
        async with _centre(edge_broker, device, city) as centre:
            rig.run()
            await wait_until_async(lambda: len(centre.statuses) == 1, "the first status")
            first = centre.statuses[0].body
            assert first["doors"] == {str(city.door): "locked"}
            assert first["snapshot_version"] is None and first["pending_events"] == 0
            assert first["software_version"] == __version__ and first["clock_drift_ms"] is None
            await centre.send(device, city.snapshot(device.id, 5))
            await wait_until_async(lambda: rig.version() == 5, "the snapshot")
            # The interval is ten minutes: each status from here is the door's doing.
            assert rig.present("anna").granted
            await wait_until_async(
                lambda: _doors(centre.statuses[-1]) == ["unlocked"], "an unlocked status"
            )
            rig.outputs.inputs[CONTACT] = True
            await wait_until_async(lambda: _doors(centre.statuses[-1]) == ["open"], "open")
            latest = centre.statuses[-1].body
            assert latest["snapshot_version"] == 5 and latest["pending_events"] >= 1
            # No reader answers on the line: a fault of the doors, reported with the drift.
            faults = rig.edge.agent.health.faults
            await wait_until_async(lambda: "reader entrance" in faults, "the reader's fault")
            # The centre's clock is 12 s behind: the drift (limit 5 s) degrades the device.
            behind = datetime.now(UTC) - timedelta(seconds=12)
            await centre.publisher.publish(device.id, Down.TIME, {"now": behind.isoformat()})
            await wait_until_async(
                lambda: centre.statuses[-1].body["clock_drift_ms"] is not None, "the drift"
            )
            drift = centre.statuses[-1].body
            assert 11_000 <= drift["clock_drift_ms"] <= 20_000
            detail = drift["health_detail"]
            assert "clock: the clock is +1" in detail and "reader entrance: offline" in detail
            assert drift["health"] == "fault"

    asyncio.run(centre())


def test_a_lost_connection_is_made_again_and_the_agent_says_hello_again(
    rigs: list[Rig], tmp_path: Path, edge_broker: EdgeBroker
) -> None:
    city = HandCity()
    device = edge_broker.devices[2]
    rig = _rig(rigs, tmp_path, edge_broker, city, device=2)

    async def centre() -> None:
        async with _centre(edge_broker, device, city) as centre:
            rig.run()
            await wait_until_async(lambda: len(centre.hellos) == 1, "the hello")
            await centre.send(device, city.snapshot(device.id, 5))
            await wait_until_async(lambda: rig.version() == 5, "the snapshot")
            # Another connection under the device's client id takes the session over: the
            # broker drops the agent's, which comes back (and takes it back in turn).
            with contextlib.suppress(aiomqtt.MqttError):
                async with edge_broker.device(device):
                    await wait_until_async(lambda: rig.link.connections == 2, "a reconnection")
            await wait_until_async(lambda: len(centre.hellos) == 2, "a hello after the drop")
            assert centre.hellos[1].body["snapshot_version"] == 5
            assert rig.link.connections == 2 and rig.edge.agent.health.centre_reachable
            assert rig.present("anna").granted

    asyncio.run(centre())
