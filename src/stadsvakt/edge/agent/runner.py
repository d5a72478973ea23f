"""Running the edge agent: readers, outputs, the contact loop and the uploader.

:func:`build` puts the parts together from ``edge.toml``; :func:`run` polls doors every
:data:`POLL_SECONDS` and uploads every ``upload_interval_seconds`` on a thread of its
own, until ``stop`` is set (the CLI sets it on SIGINT or SIGTERM), and with a
``[broker]`` section the MQTT link to the centre (:mod:`.link`) on a third. Rights come
from the last signed snapshot on disk and the deltas and revocations kept since it
(:mod:`.store`); without a snapshot the agent holds no rights and denies every card
(health ``fault``, ``snapshot``) until the centre sends one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from stadsvakt.access.decide import DecisionState
from stadsvakt.edge.agent.agent import Agent
from stadsvakt.edge.agent.buffer import EventBuffer
from stadsvakt.edge.agent.config import EdgeConfig
from stadsvakt.edge.agent.link import CentreLink
from stadsvakt.edge.agent.osdp_reader import OsdpReaders, QueueChannel, ReaderEvent
from stadsvakt.edge.agent.outputs import GpioOutputs, OutputDriver, SimulatedOutputs
from stadsvakt.edge.agent.rights import NoRights, Rights
from stadsvakt.edge.agent.store import ChainStore, replay
from stadsvakt.edge.agent.uploader import CentreClient, Uploader, centre_client, load_device_key

log = logging.getLogger(__name__)

#: How often door contacts, exit buttons and relock times are looked at.
POLL_SECONDS = 0.05
#: Readers' links are checked every this many polls.
READER_CHECK_POLLS = 10
#: How long a stopping agent waits for its centre link to end.
LINK_STOP_SECONDS = 10.0


def _centre_key(data: bytes) -> Ed25519PublicKey:
    if len(data) == 32:
        return Ed25519PublicKey.from_public_bytes(data)
    key = load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the centre key file does not hold an Ed25519 public key")
    return key


@dataclass
class LoadedRights:
    """The rights found on disk, the store they came from, and what is wrong with them."""

    rights: Rights | None
    store: ChainStore | None
    faults: dict[str, str]

    def state(self) -> DecisionState:
        """What the agent decides on: the rights held, or none."""
        return NoRights() if self.rights is None else self.rights.decision_state()


def load_rights(config: EdgeConfig) -> LoadedRights:
    """The saved snapshot and the deltas and revocations kept since it, each checked
    again against the centre's key and applied in order (:func:`.store.replay`)."""
    if config.snapshot_file is None or config.centre_key_file is None:
        why = "no snapshot_file and centre_key_file configured"
        return LoadedRights(None, None, {"snapshot": why})
    key = _centre_key(config.centre_key_file.read_bytes())
    rights = Rights(key, config.device_id, config.tenant_id)
    store = ChainStore(config.snapshot_file)
    done = replay(store, rights)
    faults: dict[str, str] = {}
    if not config.snapshot_file.exists():
        faults["snapshot"] = f"no snapshot yet at {config.snapshot_file}"
    elif rights.state is None:
        faults["snapshot"] = f"the saved snapshot is refused: {done.refused[0]}"
    fault = done.fault()
    if fault is not None:
        faults["rights"] = fault
    return LoadedRights(rights, store, faults)


def load_state(config: EdgeConfig) -> tuple[DecisionState, str | None]:
    """The rights on disk (:func:`load_rights`), or no rights and why."""
    loaded = load_rights(config)
    return loaded.state(), loaded.faults.get("snapshot")


@dataclass
class EdgeAgent:
    """The running parts."""

    agent: Agent
    readers: OsdpReaders
    uploader: Uploader
    #: The MQTT link to the centre (None without a ``[broker]`` section).
    link: CentreLink | None = None


def build(
    config: EdgeConfig,
    *,
    state: DecisionState | None = None,
    outputs: OutputDriver | None = None,
    client: CentreClient | None = None,
    channels: Mapping[str, QueueChannel] | None = None,
    backoff: tuple[float, float] = (1.0, 60.0),
) -> EdgeAgent:
    """The agent for ``config``; parts not given are made from it (a test gives its own).
    ``backoff`` is the link's first and longest wait between connection attempts."""
    loaded = load_rights(config)
    given = state is not None
    if state is None:
        state = loaded.state()
    if outputs is None:
        if config.outputs.driver == "gpio":
            outputs = GpioOutputs(config.outputs.chip)
        else:
            outputs = SimulatedOutputs()
    key = load_device_key(config.key_file.read_bytes())
    holder: list[Agent] = []

    def deliver(event: ReaderEvent) -> None:
        try:
            holder[0].on_reader_event(event)
        except Exception:
            # One bad read must not stop the reader thread: log it and go on.
            log.exception("reader event %r not handled", event)

    readers = OsdpReaders(config.readers, deliver, channels=channels)
    agent = Agent(
        config,
        state=state,
        buffer=EventBuffer(config.buffer_path),
        outputs=outputs,
        feedback=readers,
    )
    if not given:
        agent.health.faults.update(loaded.faults)
    holder.append(agent)
    link = None
    if config.broker is not None and loaded.rights is not None and loaded.store is not None:
        link = CentreLink(agent, loaded.rights, loaded.store, config.broker, key, backoff=backoff)
    return EdgeAgent(agent, readers, Uploader(agent, key, client or centre_client(config)), link)


def _upload_loop(edge: EdgeAgent, stop: threading.Event) -> None:
    interval = edge.agent.config.upload_interval_seconds
    keep = timedelta(hours=edge.agent.config.keep_uploaded_hours)
    while True:
        try:
            edge.uploader.upload_once()
            edge.agent.buffer.prune_uploaded(edge.agent.clock() - keep)
        except Exception:
            log.exception("upload failed; the events stay buffered")
        if stop.wait(interval):
            return


def check_readers(edge: EdgeAgent) -> None:
    """A reader that does not answer, or answers without its secure channel, is a fault."""
    faults = edge.agent.health.faults
    for reader in edge.agent.config.readers:
        name = f"reader {reader.name}"
        if not edge.readers.online(reader.name):
            faults[name] = "offline"
        elif reader.key is not None and not edge.readers.secure(reader.name):
            faults[name] = "no secure channel"
        else:
            faults.pop(name, None)


def run(edge: EdgeAgent, stop: threading.Event) -> None:
    """Run until ``stop`` is set, then stop the readers and close the buffer and outputs."""
    uploads = threading.Thread(target=_upload_loop, args=(edge, stop), name="edge-upload")
    edge.readers.start()
    uploads.start()
    link = edge.link.start(stop) if edge.link is not None else None
    polls = 0
    try:
        while not stop.wait(POLL_SECONDS):
            try:
                edge.agent.poll()
                if polls % READER_CHECK_POLLS == 0:
                    check_readers(edge)
            except Exception:
                log.exception("door poll failed")
            polls += 1
    finally:
        stop.set()
        uploads.join()
        if link is not None:
            link.join(timeout=LINK_STOP_SECONDS)
            if link.is_alive():  # a daemon thread: it does not hold the process
                log.error("the centre link did not stop within %g s", LINK_STOP_SECONDS)
        edge.readers.stop()
        edge.agent.outputs.close()
        edge.agent.buffer.close()


def start(edge: EdgeAgent, stop: threading.Event) -> threading.Thread:
    """Run ``edge`` (:func:`run`) on a thread of its own until ``stop`` is set; the thread,
    to join. A demo or benchmark runs simulated agents, links and all, in-process so."""
    thread = threading.Thread(
        target=run, args=(edge, stop), name=f"edge-{edge.agent.config.device_id}"
    )
    thread.start()
    return thread


def serve(config: EdgeConfig, stop: threading.Event) -> None:
    """Build the agent from ``config`` and run it until ``stop`` is set."""
    run(build(config), stop)
