"""While the demo serves, its edge devices decide at their doors, joined to the centre by an
MQTT broker inside the process, so the demo needs no broker set up.

On a thread with an event loop of its own (as the panels have, :mod:`.panels`): an
embedded amqtt broker (:mod:`stadsvakt.edge.broker.embedded`) with TLS, its
certificates made afresh in the demo's edge folder, on the loopback port the demo's
settings chose; and the centre's :class:`~stadsvakt.edge.hub.EdgeHub` connected to it,
handing the broker its accounts whenever the devices change, so a device enrolled in
the web UI can connect at once. Beside them, each device seeded by :mod:`.seed_edge`
runs as ``stadsvakt edge`` runs it, from its ``edge.toml`` (:func:`runner.start
<stadsvakt.edge.agent.runner.start>`: door loop, uploader, MQTT link), with simulated
outputs and simulated OSDP readers that :class:`~.footfall.Footfall` shows the demo's
cards at. Events upload over HTTP to the demo's own server.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from stadsvakt.api.deps import Services
from stadsvakt.demo.footfall import EVERY_S, DemoDoor, Footfall, cards_for, simulated_reader
from stadsvakt.demo.panels import LoopThread
from stadsvakt.demo.seed_edge import CONFIG_NAME, edge_folder
from stadsvakt.edge.agent.config import EdgeConfig, load_config
from stadsvakt.edge.agent.osdp_reader import QueueChannel, loopback_pair
from stadsvakt.edge.agent.outputs import SimulatedOutputs
from stadsvakt.edge.agent.runner import EdgeAgent, build, start
from stadsvakt.edge.agent.uploader import centre_client
from stadsvakt.edge.broker.embedded import EmbeddedBroker, embedded_broker
from stadsvakt.edge.broker.tls import TlsFiles, write_dev_certificates
from stadsvakt.edge.devices.service import mqtt_accounts
from stadsvakt.edge.hub import EdgeHub
from stadsvakt.settings import Settings

log = logging.getLogger(__name__)

#: How long the broker may take to start listening.
START_TIMEOUT_S = 20.0
#: The agents' first and longest wait between attempts to reach the broker.
LINK_BACKOFF = (0.5, 5.0)


@dataclass
class DemoAgent:
    """One running demo device: its agent, its simulated outputs and readers, its thread."""

    config: EdgeConfig
    edge: EdgeAgent
    outputs: SimulatedOutputs
    readers: dict[str, Any]  # reader name: osdp.PeripheralDevice
    #: The uploads' HTTP client (closed here: the runner leaves a given client open).
    http: httpx.Client
    thread: threading.Thread | None = None


class CentreSide(LoopThread):
    """The embedded broker and the edge hub on an event loop of their own."""

    def __init__(self, settings: Settings, services: Services, tls: TlsFiles) -> None:
        self._settings = settings
        self._services = services
        self._tls = tls
        self.ready = threading.Event()
        self.broker: EmbeddedBroker | None = None
        self.hub: EdgeHub | None = None
        super().__init__(self._serve(), "demo-edge-centre")

    async def _serve(self) -> None:
        broker_settings = self._settings.edge.broker
        assert broker_settings.centre_password is not None
        with self._services.session_factory() as session:
            accounts = mqtt_accounts(session)
        try:
            async with embedded_broker(
                accounts,
                centre_username=broker_settings.centre_username,
                centre_password=broker_settings.centre_password.get_secret_value(),
                host=broker_settings.host,
                port=broker_settings.port,
                tls=self._tls,
            ) as broker:
                self.broker = broker
                hub = EdgeHub(self._settings.edge, self._services.session_factory, embedded=broker)
                self.hub = hub
                self.ready.set()
                await hub.serve()
        finally:
            self.ready.set()  # a broker that did not start wakes start() all the same


class DemoEdge:
    """The demo's edge (module docstring): :meth:`start`, then :meth:`stop`."""

    def __init__(
        self,
        settings: Settings,
        services: Services,
        configs: list[EdgeConfig],
        *,
        every_s: float | None = EVERY_S,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.services = services
        self.configs = configs
        self.every_s = every_s
        self.rng = rng or random.Random()
        self.centre: CentreSide | None = None
        self.agents: list[DemoAgent] = []
        self.doors: dict[uuid.UUID, DemoDoor] = {}
        self.footfall: Footfall | None = None
        self._stop = threading.Event()
        self._walker: threading.Thread | None = None

    def start(self) -> bool:
        """Start the broker and hub, then the devices and the footfall; False (and nothing
        left running) if the broker did not start."""
        ca = self.settings.edge.broker.tls_ca
        if ca is None:
            raise ValueError("edge.broker.tls_ca: the demo's settings name the broker's CA file")
        # Where the settings say the CA is: the hub and the devices check the broker by it.
        tls = write_dev_certificates(ca.parent)
        self.centre = CentreSide(self.settings, self.services, tls).start()
        if not self.centre.ready.wait(START_TIMEOUT_S) or self.centre.hub is None:
            log.error("the demo's edge broker did not start: the edge devices stay off")
            self.centre.stop()
            self.centre = None
            return False
        for config in self.configs:
            self._start_agent(config)
        if self.every_s is not None:
            self.footfall = Footfall(list(self.doors.values()), self.every_s, self.rng)
            self._walker = threading.Thread(
                target=self.footfall.run, args=(self._stop,), name="demo-footfall"
            )
            self._walker.start()
        return True

    def _start_agent(self, config: EdgeConfig) -> None:
        outputs = SimulatedOutputs()
        channels: dict[str, QueueChannel] = {}
        readers: dict[str, Any] = {}
        for reader in config.readers:
            panel_end, reader_end = loopback_pair()
            channels[reader.name] = panel_end
            readers[reader.name] = simulated_reader(reader, reader_end)
        http = centre_client(config)
        edge = build(config, outputs=outputs, client=http, channels=channels, backoff=LINK_BACKOFF)
        agent = DemoAgent(config, edge, outputs, readers, http)
        self.agents.append(agent)
        with self.services.session_factory() as session:
            cards = cards_for(session, config.device_id)
        for door in config.doors:
            reader = readers[door.reader]
            self.doors[door.door_id] = DemoDoor(config.device_id, door, reader, outputs, cards)
        for reader in readers.values():
            reader.start()
        agent.thread = start(edge, self._stop)

    def stop(self) -> None:
        """Stop the footfall and the devices (threads joined), then the hub and broker."""
        self._stop.set()
        if self._walker is not None:
            self._walker.join()
        for agent in self.agents:
            if agent.thread is not None:
                agent.thread.join()
            for reader in agent.readers.values():
                reader.stop()
            agent.http.close()
        if self.centre is not None:
            self.centre.stop()

    def describe(self) -> str:
        """One line for the console."""
        broker = self.settings.edge.broker
        doors = sum(len(config.doors) for config in self.configs)
        cards = "" if self.every_s is None else f", a card every ~{self.every_s:g} s"
        return (
            f"Edge: {len(self.configs)} simulated door controllers ({doors} doors, OSDP "
            f"readers{cards}) on an embedded MQTT broker at {broker.host}:{broker.port} "
            "(TLS); see /edge/devices and the sites' pages"
        )


def demo_configs(settings: Settings) -> list[EdgeConfig]:
    """The ``edge.toml`` of every device the demo seeded, in its edge folder."""
    database = settings.sqlite_path()
    if database is None:
        return []
    folder: Path = edge_folder(database)
    return [load_config(path) for path in sorted(folder.glob(f"*/{CONFIG_NAME}"))]


@contextmanager
def demo_edge(
    settings: Settings, services: Services, *, every_s: float | None = EVERY_S
) -> Iterator[DemoEdge | None]:
    """Run the demo's edge (module docstring) while the block runs; ``every_s`` is how
    often a card is shown on average (None: only when :class:`DemoDoor` is told to).
    Nothing runs when the demo seeded no devices, its settings name no broker password or
    CA file (:func:`~.seed_edge.demo_edge_settings` names them), or the broker cannot start."""
    configs = demo_configs(settings)
    broker = settings.edge.broker
    if not configs or broker.centre_password is None or broker.tls_ca is None:
        yield None
        return
    edge = DemoEdge(settings, services, configs, every_s=every_s)
    try:
        running = edge.start()
        yield edge if running else None
    finally:
        edge.stop()
