"""The agent's door contacts, exit button and clock check (feedback recorded, no reader)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from stadsvakt.access.decide import Decision, PinEntry, Reason
from stadsvakt.access.pins import door_pin_digest
from stadsvakt.edge.agent.agent import Agent
from stadsvakt.edge.agent.buffer import EventBuffer
from stadsvakt.edge.agent.door import DoorAlarm
from stadsvakt.edge.agent.osdp_reader import CardRead, KeyPress
from stadsvakt.edge.agent.outputs import SimulatedOutputs
from tests.edge.agent.fakes import GRANTED_CARD, Clock, DictState, one_door_config, one_door_state

LOCK, CONTACT, EXIT = 17, 27, 22


class Feedback:
    """Records what the readers were told to show."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] = []

    def granted(self, reader: str, seconds: float) -> None:
        self.shown.append((reader, "granted"))

    def denied(self, reader: str) -> None:
        self.shown.append((reader, "denied"))

    def pin_wanted(self, reader: str, seconds: float) -> None:
        self.shown.append((reader, "pin"))


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    tenant_id, door_id = uuid.uuid4(), uuid.uuid4()
    config = one_door_config(tmp_path, device_id=uuid.uuid4(), tenant_id=tenant_id, door_id=door_id)
    buffer = EventBuffer(config.buffer_path)
    yield Agent(
        config,
        state=one_door_state(tenant_id, door_id),
        buffer=buffer,
        outputs=SimulatedOutputs(),
        feedback=Feedback(),
        clock=Clock(),
    )
    buffer.close()


def _outputs(agent: Agent) -> SimulatedOutputs:
    assert isinstance(agent.outputs, SimulatedOutputs)
    return agent.outputs


def _clock(agent: Agent) -> Clock:
    assert isinstance(agent.clock, Clock)
    return agent.clock


def _alarms(agent: Agent) -> list[str]:
    return [e.body["alarm"] for e in agent.buffer.pending(100) if e.body["type"] == "door_alarm"]


def test_a_door_opened_without_a_card_is_forced(agent: Agent) -> None:
    door_id = agent.config.doors[0].door_id
    _outputs(agent).inputs[CONTACT] = True
    assert agent.poll() == [DoorAlarm.FORCED]
    assert agent.door_state(door_id) == "forced"
    assert agent.poll() == []
    _outputs(agent).inputs[CONTACT] = False
    assert agent.poll() == [DoorAlarm.FORCED_RESTORED]
    assert _alarms(agent) == ["door_forced", "door_forced_restored"]
    [event] = [e for e in agent.buffer.pending(10) if e.body["alarm"] == "door_forced"]
    assert event.body["door_id"] == str(door_id)


def test_a_door_held_open_after_a_card_raises_held(agent: Agent) -> None:
    decision = agent.on_reader_event(CardRead("entrance", GRANTED_CARD))
    assert decision is not None and decision.granted
    _outputs(agent).inputs[CONTACT] = True
    assert agent.poll() == []
    _clock(agent).advance(30)
    assert agent.poll() == []
    _clock(agent).advance(1)
    assert agent.poll() == [DoorAlarm.HELD]
    _outputs(agent).inputs[CONTACT] = False
    assert agent.poll() == [DoorAlarm.HELD_RESTORED]
    assert _alarms(agent) == ["door_held", "door_held_restored"]
    assert _outputs(agent).outputs[LOCK] is False


def test_the_exit_button_unlocks_and_the_door_may_open(agent: Agent) -> None:
    _outputs(agent).inputs[EXIT] = True
    assert agent.poll() == []
    assert _outputs(agent).outputs[LOCK] is True
    _outputs(agent).inputs[EXIT] = False
    _outputs(agent).inputs[CONTACT] = True
    assert agent.poll() == []
    assert agent.door_state(agent.config.doors[0].door_id) == "open"


def test_clock_drift_beyond_the_limit_is_a_fault_until_it_is_back(agent: Agent) -> None:
    now = _clock(agent).now
    agent.check_clock(now - timedelta(seconds=4))
    assert agent.status()["status"] == "ok"
    agent.check_clock(now + timedelta(seconds=6))
    status = agent.status()
    assert status["status"] == "fault"
    assert "clock" in status["faults"] and status["clock_drift_seconds"] == -6.0
    agent.check_clock(now)
    assert agent.status()["status"] == "ok"


def _pin_door(agent: Agent, pin: str) -> None:
    """Make the agent's door a card-and-PIN door and give the card's holder ``pin``."""
    state = agent.state
    assert isinstance(state, DictState)
    [door] = state.doors.values()
    door.requires_pin = True
    [person] = state.people.values()
    salt = uuid.uuid4().bytes
    person.pins = (PinEntry(salt, door_pin_digest(salt, pin), "active", -math.inf, math.inf),)


def _keys(agent: Agent, keys: str) -> Decision | None:
    return agent.on_reader_event(KeyPress("entrance", keys))


def test_a_pin_door_waits_for_the_pin_after_the_card(agent: Agent) -> None:
    _pin_door(agent, "4711")
    first = agent.on_reader_event(CardRead("entrance", GRANTED_CARD))
    assert first is not None and first.reason is Reason.PIN_REQUIRED
    assert _outputs(agent).outputs[LOCK] is False
    assert agent.buffer.count() == 0

    feedback = agent.feedback
    assert isinstance(feedback, Feedback)
    assert feedback.shown == [("entrance", "pin")]
    assert _keys(agent, "47") is None
    decision = _keys(agent, "11#")
    assert decision is not None and decision.granted
    assert _outputs(agent).outputs[LOCK] is True
    [event] = agent.buffer.pending(10)
    assert event.body["granted"] is True and "4711" not in str(event.body)
    assert feedback.shown == [("entrance", "pin"), ("entrance", "granted")]


def test_wrong_pins_lock_the_holder_out_and_a_late_pin_is_ignored(agent: Agent) -> None:
    _pin_door(agent, "4711")
    for _ in range(5):
        agent.on_reader_event(CardRead("entrance", GRANTED_CARD))
        wrong = _keys(agent, "0000#")
        assert wrong is not None and wrong.reason is Reason.PIN_WRONG
    # Locked out: the card is refused at once, and a PIN typed now decides nothing.
    locked = agent.on_reader_event(CardRead("entrance", GRANTED_CARD))
    assert locked is not None and locked.reason is Reason.PIN_LOCKED_OUT
    assert _keys(agent, "4711#") is None
    assert _outputs(agent).outputs[LOCK] is False

    _clock(agent).advance(901)
    agent.on_reader_event(CardRead("entrance", GRANTED_CARD))
    _clock(agent).advance(21)  # the card waited too long for its PIN
    assert _keys(agent, "4711#") is None
    agent.on_reader_event(CardRead("entrance", GRANTED_CARD))
    opened = _keys(agent, "4711#")
    assert opened is not None and opened.granted


def test_a_card_whose_pin_never_comes_is_logged_as_pin_required(agent: Agent) -> None:
    _pin_door(agent, "4711")
    agent.on_reader_event(CardRead("entrance", GRANTED_CARD))
    agent.poll()
    assert agent.buffer.count() == 0

    _clock(agent).advance(21)
    agent.poll()
    [event] = agent.buffer.pending(10)
    assert (event.body["granted"], event.body["reason"]) == (False, "pin_required")
    assert _keys(agent, "4711#") is None
    assert agent.buffer.count() == 1


def test_live_states_follow_the_lock_and_the_contact(agent: Agent) -> None:
    door_id = agent.config.doors[0].door_id
    assert agent.live_states() == {door_id: "locked"}
    agent.on_reader_event(CardRead("entrance", GRANTED_CARD))
    assert agent.live_states() == {door_id: "unlocked"}
    _outputs(agent).inputs[CONTACT] = True
    agent.poll()
    assert agent.live_states() == {door_id: "open"}
    _clock(agent).advance(31)
    agent.poll()
    assert agent.live_states() == {door_id: "held"}
    _outputs(agent).inputs[CONTACT] = False
    agent.poll()
    assert agent.live_states() == {door_id: "locked"}
    _outputs(agent).inputs[CONTACT] = True
    agent.poll()
    assert agent.live_states() == {door_id: "forced"}


def test_health_levels_grade_the_faults(agent: Agent) -> None:
    health = agent.health
    assert (health.level, health.detail()) == ("ok", "")
    agent.check_clock(_clock(agent).now + timedelta(seconds=6))
    assert health.level == "degraded" and health.detail().startswith("clock: the clock is")
    health.faults["reader entrance"] = "offline"
    assert health.level == "fault"
    assert health.detail().endswith("; reader entrance: offline")
    health.faults["upload"] = "x" * 600
    assert len(health.detail()) == 500
