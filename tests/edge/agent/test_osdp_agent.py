"""The agent with a real libosdp reader: a PeripheralDevice in this process, joined to the
agent's control panel over an in-memory channel, with the secure channel on."""

from __future__ import annotations

import math
import queue
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import osdp  # type: ignore[import-untyped]
import pytest

from stadsvakt.access.decide import Decision, PinEntry, Reason
from stadsvakt.access.pins import door_pin_digest
from stadsvakt.edge.agent.agent import Agent
from stadsvakt.edge.agent.buffer import EventBuffer
from stadsvakt.edge.agent.config import EdgeConfig
from stadsvakt.edge.agent.osdp_reader import OsdpReaders, ReaderEvent, loopback_pair
from stadsvakt.edge.agent.outputs import SimulatedOutputs
from tests.edge.agent.fakes import (
    GRANTED_CARD,
    SCBK,
    UNKNOWN_CARD,
    Clock,
    DictState,
    one_door_config,
    one_door_state,
)
from tests.waiting import wait_until

LOCK = 17


@dataclass
class Rig:
    """A running agent with its reader, outputs and buffer."""

    config: EdgeConfig
    agent: Agent
    reader: Any  # osdp.PeripheralDevice
    readers: OsdpReaders
    outputs: SimulatedOutputs
    buffer: EventBuffer
    clock: Clock
    decisions: queue.SimpleQueue[Decision | None]

    def present(self, uid: str) -> Decision | None:
        """The reader reads a card; the agent's decision once it has made it."""
        self.reader.submit_event(
            {
                "event": osdp.Event.CardRead,
                "reader_no": 0,
                "direction": 0,
                "format": osdp.CardFormat.Unspecified,
                "length": len(bytes.fromhex(uid)) * 8,
                "data": bytes.fromhex(uid),
            }
        )
        return self.decisions.get(timeout=30)

    def commands(self, count: int) -> list[dict[str, Any]]:
        """The next ``count`` commands the reader received from the agent."""
        got: list[dict[str, Any]] = []
        wait_until(lambda: _take(self.reader, got, count), f"{count} reader commands")
        return got


def _take(reader: Any, got: list[dict[str, Any]], count: int) -> bool:
    command = reader.get_command(timeout=0)
    if command is not None:
        got.append(command)
    return len(got) >= count


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    tenant_id, door_id = uuid.uuid4(), uuid.uuid4()
    config = one_door_config(tmp_path, device_id=uuid.uuid4(), tenant_id=tenant_id, door_id=door_id)
    panel_end, reader_end = loopback_pair()
    capabilities = osdp.PDCapabilities(
        [
            (osdp.Capability.LEDControl, 1, 1),
            (osdp.Capability.AudibleControl, 1, 1),
            (osdp.Capability.CommunicationSecurity, 1, 1),
        ]
    )
    reader = osdp.PeripheralDevice(
        osdp.PDInfo(101, reader_end, scbk=bytes.fromhex(SCBK)),
        capabilities,
        log_level=osdp.LogLevel.Error,
    )
    outputs = SimulatedOutputs()
    buffer = EventBuffer(config.buffer_path)
    clock = Clock()
    decisions: queue.SimpleQueue[Decision | None] = queue.SimpleQueue()
    holder: list[Agent] = []

    def deliver(event: ReaderEvent) -> None:
        decisions.put(holder[0].on_reader_event(event))

    readers = OsdpReaders(config.readers, deliver, channels={"entrance": panel_end})
    agent = Agent(
        config,
        state=one_door_state(tenant_id, door_id),
        buffer=buffer,
        outputs=outputs,
        feedback=readers,
        clock=clock,
    )
    holder.append(agent)
    reader.start()
    readers.start()
    try:
        wait_until(lambda: readers.secure("entrance"), "the reader's secure channel")
        yield Rig(config, agent, reader, readers, outputs, buffer, clock, decisions)
    finally:
        readers.stop()
        reader.stop()
        buffer.close()


def test_a_granted_card_pulses_the_lock_and_shows_green(rig: Rig) -> None:
    decision = rig.present(GRANTED_CARD)

    assert decision is not None and decision.granted
    assert rig.outputs.outputs[LOCK] is True
    led, buzzer = rig.commands(2)
    assert led["command"] == osdp.Command.LED
    assert led["on_color"] == osdp.CommandLEDColor.Green
    assert buzzer["command"] == osdp.Command.Buzzer and buzzer["rep_count"] == 1

    # The door's own unlock time (5 s, from the centre's rights) wins over edge.toml's.
    assert decision.unlock_seconds == 5
    rig.clock.advance(4.9)
    rig.agent.poll()
    assert rig.outputs.outputs[LOCK] is True
    rig.clock.advance(0.2)
    rig.agent.poll()
    assert rig.outputs.history[-2:] == [(LOCK, True), (LOCK, False)]

    [event] = rig.buffer.pending(10)
    assert event.body["type"] == "access"
    assert event.body["credential"] == GRANTED_CARD
    assert event.body["granted"] is True and event.body["reason"] == "granted_by_grant"


def test_a_denied_card_leaves_the_door_locked_and_shows_red(rig: Rig) -> None:
    decision = rig.present(UNKNOWN_CARD)

    assert decision is not None and not decision.granted
    assert rig.outputs.history == [(LOCK, False)]
    led, buzzer = rig.commands(2)
    assert led["on_color"] == osdp.CommandLEDColor.Red
    assert buzzer["rep_count"] == 3
    [event] = rig.buffer.pending(10)
    assert event.body["granted"] is False and event.body["reason"] == "unknown_credential"


def test_keypad_input_reaches_the_agent(rig: Rig) -> None:
    rig.reader.submit_event({"event": osdp.Event.KeyPress, "reader_no": 0, "data": b"12#"})

    # No card waits for a PIN, so the keys decide nothing and open nothing.
    assert rig.decisions.get(timeout=30) is None
    assert rig.outputs.history == [(LOCK, False)]


def test_a_pin_door_asks_for_the_pin_in_amber_and_opens_on_it(rig: Rig) -> None:
    state = rig.agent.state
    assert isinstance(state, DictState)
    [door] = state.doors.values()
    door.requires_pin = True
    [person] = state.people.values()
    salt = uuid.uuid4().bytes
    person.pins = (PinEntry(salt, door_pin_digest(salt, "2468"), "active", -math.inf, math.inf),)

    asked = rig.present(GRANTED_CARD)
    assert asked is not None and asked.reason is Reason.PIN_REQUIRED
    led, _ = rig.commands(2)
    assert led["on_color"] == osdp.CommandLEDColor.Amber

    rig.reader.submit_event({"event": osdp.Event.KeyPress, "reader_no": 0, "data": b"2468#"})
    opened = rig.decisions.get(timeout=30)
    assert opened is not None and opened.granted
    assert rig.outputs.outputs[LOCK] is True
    led, _ = rig.commands(2)
    assert led["on_color"] == osdp.CommandLEDColor.Green
