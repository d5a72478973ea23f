"""The edge agent's core: a card read decided at the door, the lock pulsed, the door's
contact watched, and every decision and door alarm written to the buffer.

The decision is :func:`stadsvakt.access.decide.decide` — the same function the centre
runs — over the :class:`~stadsvakt.access.decide.DecisionState` the agent is given (the
signed snapshot's state), so a door decides the same whether or not the centre answers.
Nothing here waits: relocking, the held-open timer and the contacts are worked by
:meth:`Agent.poll`, which the run loop calls every few tens of milliseconds.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from stadsvakt.access.decide import Decision, DecisionRequest, DecisionState, Reason, decide
from stadsvakt.access.identifiers import CARD, presented
from stadsvakt.access.pin_attempts import PinAttempts
from stadsvakt.edge.agent.buffer import EventBuffer
from stadsvakt.edge.agent.config import DoorConfig, EdgeConfig
from stadsvakt.edge.agent.door import Door, DoorAlarm, DoorState
from stadsvakt.edge.agent.osdp_reader import CardRead, KeyPress, ReaderEvent
from stadsvakt.edge.agent.outputs import OutputDriver

#: How long a card waits for its PIN at a card-and-PIN door.
PIN_WAIT_SECONDS = 20.0


class Feedback(Protocol):
    """LED and buzzer at a reader (:class:`~stadsvakt.edge.agent.osdp_reader.OsdpReaders`)."""

    def granted(self, reader: str, seconds: float) -> None:
        """Show that the door opens."""

    def denied(self, reader: str) -> None:
        """Show that it does not."""

    def pin_wanted(self, reader: str, seconds: float) -> None:
        """Ask for the PIN on the keypad."""


@dataclass
class _PendingCard:
    uid: str
    door: DoorConfig
    asked: Decision
    at: datetime
    until: float
    keys: str = ""


#: Faults that keep doors from deciding as the centre would (the rest degrade the device).
DOOR_FAULTS = ("snapshot", "rights", "reader ")


@dataclass
class Health:
    """``ok`` or ``fault``, with what is wrong (clock drift), and whether the centre answers."""

    faults: dict[str, str] = field(default_factory=dict)
    centre_reachable: bool = False
    clock_drift_seconds: float | None = None

    @property
    def status(self) -> str:
        """``fault`` while anything is wrong, else ``ok``."""
        return "fault" if self.faults else "ok"

    @property
    def level(self) -> str:
        """As reported to the centre: ``fault`` when rights or a reader are wrong,
        ``degraded`` for anything else (clock, upload), else ``ok``."""
        faults = dict(self.faults)
        if any(name.startswith(DOOR_FAULTS) for name in faults):
            return "fault"
        return "degraded" if faults else "ok"

    def detail(self) -> str:
        """The faults as one line (``name: what``, joined with ``; ``), at most 500 characters."""
        # A copy: other threads (readers, uploader, link) set and clear faults meanwhile.
        faults = sorted(dict(self.faults).items())
        return "; ".join(f"{name}: {what}" for name, what in faults)[:500]


def _at(now: datetime) -> str:
    return now.astimezone(UTC).isoformat()


class Agent:
    """One edge device's doors."""

    def __init__(
        self,
        config: EdgeConfig,
        *,
        state: DecisionState,
        buffer: EventBuffer,
        outputs: OutputDriver,
        feedback: Feedback,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.state = state
        self.buffer = buffer
        self.outputs = outputs
        self.feedback = feedback
        self.clock = clock
        self.health = Health()
        self._lock = threading.RLock()
        self._doors = {door.door_id: Door(door.held_open_seconds) for door in config.doors}
        self._relock_at: dict[uuid.UUID, float] = {}
        self._pending: dict[str, _PendingCard] = {}
        #: Wrong PINs typed at this agent's doors (the edge keeps its own count).
        self.pin_attempts = PinAttempts()
        for door in config.doors:
            self._set_lock(door, unlocked=False)

    # Readers ------------------------------------------------------------------------

    def on_reader_event(self, event: ReaderEvent) -> Decision | None:
        """A card read or keypad input from a reader; the decision made, if one was."""
        with self._lock:
            if isinstance(event, CardRead):
                return self._card(event.reader, event.uid)
            return self._keys(event)

    def _card(self, reader: str, uid: str) -> Decision | None:
        door = self.config.door_of_reader(reader)
        if door is None:
            return None
        self._abandon(reader)
        decision = self._decide(door, reader, uid, pin=None)
        if decision.reason is Reason.PIN_REQUIRED:
            now = self.clock()
            until = now.timestamp() + PIN_WAIT_SECONDS
            self._pending[reader] = _PendingCard(uid, door, decision, now, until)
            self.feedback.pin_wanted(reader, PIN_WAIT_SECONDS)
        return decision

    def _abandon(self, reader: str) -> None:
        """A card that waited for its PIN in vain goes to the log as ``pin_required``."""
        pending = self._pending.pop(reader, None)
        if pending is not None:
            self._record(pending.door, pending.at, pending.uid, pending.asked)

    def _keys(self, event: KeyPress) -> Decision | None:
        pending = self._pending.get(event.reader)
        door = self.config.door_of_reader(event.reader)
        if pending is None or door is None or self.clock().timestamp() > pending.until:
            self._abandon(event.reader)
            return None
        for key in event.keys:
            if key == "*":
                pending.keys = ""
            elif key == "#":
                del self._pending[event.reader]
                return self._decide(door, event.reader, pending.uid, pin=pending.keys)
            elif key.isdigit() and len(pending.keys) < 12:
                pending.keys += key
        return None

    def _decide(self, door: DoorConfig, reader: str, uid: str, *, pin: str | None) -> Decision:
        now = self.clock()
        request = DecisionRequest(self.config.tenant_id, door.door_id, uid, CARD, pin=pin)
        decision = decide(request, self.state, now, self.pin_attempts)
        self.pin_attempts.record(self.config.tenant_id, decision, now.timestamp())
        if decision.reason is not Reason.PIN_REQUIRED:
            self._record(door, now, uid, decision)
        if decision.granted:
            seconds = float(decision.unlock_seconds or door.unlock_seconds)
            self.feedback.granted(reader, seconds)
            self._unlock(door, now.timestamp(), seconds)
        elif decision.reason is not Reason.PIN_REQUIRED:
            self.feedback.denied(reader)
        return decision

    def _record(self, door: DoorConfig, now: datetime, uid: str, decision: Decision) -> None:
        normal = presented(CARD, uid)
        credential = (
            self.state.credential(self.config.tenant_id, CARD, uid) if normal is not None else None
        )
        self.buffer.add(
            {
                "type": "access",
                "at": _at(now),
                "tenant_id": str(self.config.tenant_id),
                "door_id": str(door.door_id),
                "credential": (normal or uid)[:64],
                "credential_id": str(credential.id) if credential is not None else None,
                "person_id": str(decision.person_id) if decision.person_id else None,
                "granted": decision.granted,
                "reason": decision.reason.value,
            }
        )

    # Outputs and contacts -----------------------------------------------------------

    def _set_lock(self, door: DoorConfig, *, unlocked: bool) -> None:
        self.outputs.set_output(door.lock_output, unlocked != door.active_low)

    def _unlock(self, door: DoorConfig, now: float, seconds: float) -> None:
        self._set_lock(door, unlocked=True)
        self._relock_at[door.door_id] = now + seconds
        self._doors[door.door_id] = self._doors[door.door_id].unlock(now, seconds)

    def poll(self) -> list[DoorAlarm]:
        """Relock doors whose time is up, read the contacts and exit buttons, raise door
        alarms (buffered); the alarms raised."""
        with self._lock:
            now_dt = self.clock()
            now = now_dt.timestamp()
            raised: list[DoorAlarm] = []
            for reader in [r for r, p in self._pending.items() if now > p.until]:
                self._abandon(reader)
            for door in self.config.doors:
                relock = self._relock_at.get(door.door_id)
                if relock is not None and now >= relock:
                    self._set_lock(door, unlocked=False)
                    del self._relock_at[door.door_id]
                if door.exit_input is not None and self.outputs.read_input(door.exit_input):
                    if door.door_id not in self._relock_at:
                        self._unlock(door, now, door.unlock_seconds)
                machine = self._doors[door.door_id]
                if door.contact_input is not None:
                    is_open = self.outputs.read_input(door.contact_input)
                    machine, alarms = machine.contact(now, is_open)
                else:
                    machine, alarms = machine.tick(now)
                self._doors[door.door_id] = machine
                for alarm in alarms:
                    self._door_alarm(door, alarm, now_dt)
                raised += alarms
            return raised

    def _door_alarm(self, door: DoorConfig, alarm: DoorAlarm, now: datetime) -> None:
        self.buffer.add(
            {
                "type": "door_alarm",
                "at": _at(now),
                "tenant_id": str(self.config.tenant_id),
                "door_id": str(door.door_id),
                "alarm": alarm.value,
            }
        )

    def door_state(self, door_id: uuid.UUID) -> str:
        """The door's contact state (``closed``, ``open``, ``forced``, ``held``)."""
        with self._lock:
            return self._doors[door_id].state.value

    def live_states(self) -> dict[uuid.UUID, str]:
        """Each door's live state as reported: ``locked`` or ``unlocked`` while closed (by
        the lock relay), else the contact's ``open``, ``forced`` or ``held``."""
        with self._lock:
            live: dict[uuid.UUID, str] = {}
            for door_id, machine in self._doors.items():
                if machine.state is DoorState.CLOSED:
                    live[door_id] = "unlocked" if door_id in self._relock_at else "locked"
                else:
                    live[door_id] = machine.state.value
            return live

    # Rights --------------------------------------------------------------------------

    def replace_state(self, state: DecisionState) -> None:
        """Decide on ``state`` from now on; a decision under way finishes on the old one."""
        with self._lock:
            self.state = state

    # Clock ---------------------------------------------------------------------------

    def check_clock(self, centre_time: datetime) -> None:
        """Compare the edge's clock with the centre's time; drift beyond the limit is a fault."""
        drift = (self.clock() - centre_time).total_seconds()
        self.health.clock_drift_seconds = drift
        limit = self.config.clock_drift_limit_seconds
        if abs(drift) > limit:
            self.health.faults["clock"] = (
                f"the clock is {drift:+.1f} s from the centre's (limit {limit:g} s)"
            )
        else:
            self.health.faults.pop("clock", None)

    def status(self) -> dict[str, Any]:
        """The agent's health, as reported."""
        return {
            "status": self.health.status,
            "faults": dict(self.health.faults),
            "centre_reachable": self.health.centre_reachable,
            "clock_drift_seconds": self.health.clock_drift_seconds,
            "pending_events": self.buffer.count(uploaded=False),
        }
