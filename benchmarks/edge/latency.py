"""Part 2: a door's decision at the edge, from the card read at a real libosdp reader to
the lock relay turning on.

Each door has its own libosdp PeripheralDevice (the reader) in this process, joined to
the agent's control panel by an in-memory channel with the secure channel on, as in
``tests/edge/agent/test_osdp_agent.py``. The agent decides on the state of the signed
snapshot (part 1) and writes each decision to its SQLite buffer before it opens the
door, as it does in service. The door is relocked (the agent's clock moved past the
unlock time, then its poll) before the next read. Reads come at random moments, as
cards do, not in step with the panel's polling. Each read is timed to the
``time.perf_counter()`` the outputs noted when the lock turned on:

* ``edge_decision_*``: from the card read's OSDP reply reaching the edge's panel
  (libosdp's event) — the edge's decision, OSDP handling included;
* ``edge_decision_reader_*``: from the reader's ``submit_event``, so including the wait
  for the panel's next poll, which libosdp sends every 50 ms (a constant of its build):
  up to 50 ms before the edge hears of the card at all;
* ``edge_decision_agent_*``: from the panel's dispatcher handing the read to the agent.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import osdp  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from benchmarks.edge.figures import summary
from benchmarks.edge.rig import (
    LOCK_BASE,
    SCBK,
    SteppedClock,
    TimedOutputs,
    edge_config,
    reader_name,
)
from stadsvakt.access.decide import DecisionRequest, DecisionState, decide
from stadsvakt.access.identifiers import CARD
from stadsvakt.edge.agent.agent import Agent
from stadsvakt.edge.agent.buffer import EventBuffer
from stadsvakt.edge.agent.osdp_reader import OsdpReaders, ReaderEvent, loopback_pair
from stadsvakt.edge.agent.simulated_readers import SimulatedReaders
from stadsvakt.edge.snapshot.state import SnapshotState

#: How long the readers may take to bring their secure channels up.
SECURE_TIMEOUT_S = 60.0
#: How long one read may take before the benchmark gives up on it.
READ_TIMEOUT_S = 10.0
#: The largest random pause before a read (two of the panel's 50 ms poll cycles).
MAX_PAUSE_S = 0.1
#: The agent's clock moves this far after each read, past any door's unlock time (300
#: reads are 2.5 hours of a working day from :data:`~benchmarks.edge.run.NOW`).
RELOCK_S = 30.0


@dataclass
class Running:
    """The agent with its readers, outputs and clock."""

    agent: Agent
    readers: HeardReaders
    devices: list[Any]  # osdp.PeripheralDevice, one per door
    outputs: TimedOutputs
    clock: SteppedClock
    #: ``time.perf_counter()`` of the last read the panel handed to the agent.
    delivered: list[float]


def granted_reads(
    state: SnapshotState, door_ids: list[uuid.UUID], now: datetime
) -> list[tuple[int, str]]:
    """(door index, card UID) of every card the snapshot opens a door with at ``now``."""
    found: list[tuple[int, str]] = []
    cards = [entry.identifier for entry in state.credentials_by_id.values()]
    for index, door in enumerate(door_ids):
        for card in cards:
            request = DecisionRequest(state.tenant_id, door, card, CARD)
            if decide(request, state, now).granted:
                found.append((index, card))
    return found


def _reader(address: int, channel: Any) -> Any:
    capabilities = osdp.PDCapabilities(
        [
            (osdp.Capability.LEDControl, 1, 1),
            (osdp.Capability.AudibleControl, 1, 1),
            (osdp.Capability.CommunicationSecurity, 1, 1),
        ]
    )
    return osdp.PeripheralDevice(
        osdp.PDInfo(address, channel, scbk=bytes.fromhex(SCBK)),
        capabilities,
        log_level=osdp.LogLevel.Error,
    )


class HeardReaders(OsdpReaders):
    """The agent's readers, noting when libosdp hands the panel a reader's reply."""

    heard = 0.0

    def _on_event(self, pd: int, event: dict[str, Any]) -> int:
        self.heard = time.perf_counter()
        return super()._on_event(pd, event)


@contextmanager
def running_agent(
    workdir: Path,
    *,
    device_id: uuid.UUID,
    door_ids: list[uuid.UUID],
    state: DecisionState,
    tenant_id: uuid.UUID,
    now: datetime,
) -> Iterator[Running]:
    """The agent with one secure libosdp reader per door, started and torn down."""
    config = edge_config(
        workdir,
        device_id=device_id,
        tenant_id=tenant_id,
        door_ids=door_ids,
        key=Ed25519PrivateKey.generate(),
    )
    ends = {reader_name(i): loopback_pair() for i in range(len(door_ids))}
    for line, (panel_end, reader_end) in enumerate(ends.values(), start=1):
        panel_end.id = reader_end.id = line
    devices = [_reader(i + 1, ends[reader_name(i)][1]) for i in range(len(door_ids))]
    holder: list[Agent] = []
    delivered = [0.0]

    def deliver(event: ReaderEvent) -> None:
        delivered[0] = time.perf_counter()
        holder[0].on_reader_event(event)

    readers = HeardReaders(
        config.readers, deliver, channels={name: pair[0] for name, pair in ends.items()}
    )
    outputs = TimedOutputs()
    clock = SteppedClock(now)
    buffer = EventBuffer(config.buffer_path)
    agent = Agent(
        config, state=state, buffer=buffer, outputs=outputs, feedback=readers, clock=clock
    )
    holder.append(agent)
    firmware = SimulatedReaders(devices)
    firmware.start()
    readers.start()
    try:
        deadline = time.monotonic() + SECURE_TIMEOUT_S
        while not all(readers.secure(reader.name) for reader in config.readers):
            if time.monotonic() > deadline:
                raise RuntimeError("the readers' secure channels did not come up")
            time.sleep(0.05)
        yield Running(agent, readers, devices, outputs, clock, delivered)
    finally:
        readers.stop()
        firmware.stop()
        buffer.close()


def _card_read(uid: str) -> dict[str, Any]:
    data = bytes.fromhex(uid)
    return {
        "event": osdp.Event.CardRead,
        "reader_no": 0,
        "direction": 0,
        "format": osdp.CardFormat.Unspecified,
        "length": len(data) * 8,
        "data": data,
    }


def _drain(device: Any) -> None:
    """Take the LED and buzzer commands the reader was sent (nobody looks at them here)."""
    while device.get_command(timeout=0) is not None:
        pass


def measure_latency(
    rig: Running,
    reads: list[tuple[int, str]],
    count: int,
    *,
    seed: int,
    advance: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Present ``count`` granted cards (drawn from ``reads``, cycling the doors) and time
    each from the reader to the lock."""
    if not reads:
        raise RuntimeError("the snapshot opens none of the edge's doors at the chosen time")
    rng = random.Random(seed)
    by_door: dict[int, list[str]] = {}
    for index, uid in reads:
        by_door.setdefault(index, []).append(uid)
    doors = sorted(by_door)
    samples: list[float] = []
    from_reader: list[float] = []
    agent_share: list[float] = []
    for n in range(count):
        index = doors[n % len(doors)]
        uid = rng.choice(by_door[index])
        time.sleep(rng.uniform(0, MAX_PAUSE_S))
        device = rig.devices[index]
        started = time.perf_counter()
        device.submit_event(_card_read(uid))
        opened = rig.outputs.wait_on(LOCK_BASE + index, started, READ_TIMEOUT_S)
        if opened is None:
            raise RuntimeError(f"card {uid} did not open door {index} within {READ_TIMEOUT_S} s")
        samples.append((opened - rig.readers.heard) * 1000)
        from_reader.append((opened - started) * 1000)
        agent_share.append((opened - rig.delivered[0]) * 1000)
        # Past the door's unlock time: the next poll relocks it.
        rig.clock.advance(RELOCK_S)
        rig.agent.poll()
        _drain(device)
        if advance is not None:
            advance(1)
    return {
        **summary("edge_decision", samples),
        **summary("edge_decision_reader", from_reader),
        **summary("edge_decision_agent", agent_share),
        "edge_decision_reads": len(samples),
        "edge_decision_doors": len(doors),
        "edge_decision_cards": len({uid for _, uid in reads}),
    }
