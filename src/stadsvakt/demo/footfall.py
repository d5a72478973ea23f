"""People at the demo's edge doors: cards shown at simulated OSDP readers, doors opened.

Each door's reader is a libosdp ``PeripheralDevice`` joined to its agent's control panel
over an in-memory line (:func:`~stadsvakt.edge.agent.osdp_reader.loopback_pair`), as a
real reader on RS-485 would be (the demo's ``edge.toml`` turns the secure channel off:
:mod:`.seed_edge` says why). :class:`Footfall` shows a card at a random door every few seconds:
mostly the card of someone who works at the site, now and then a stranger's or a
blocked card. When the agent unlocks the door, the person usually walks through (the
door contact opens and closes a few seconds later) and now and then leaves the door
standing open until it is *held* (kvarhållen). So the site's page shows doors locked,
unlocked, open and held, and the logs show the edge's decisions.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import osdp  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import Credential, CredentialKind, CredentialState
from stadsvakt.directory.models import Person
from stadsvakt.edge.agent.config import DoorConfig, ReaderConfig
from stadsvakt.edge.agent.osdp_reader import QueueChannel
from stadsvakt.edge.agent.outputs import SimulatedOutputs
from stadsvakt.edge.devices.models import EdgeDevice
from stadsvakt.org.models import Site

log = logging.getLogger(__name__)

#: Cards of the site's own staff, of people elsewhere, and blocked ones, per device.
STAFF_CARDS, STRANGER_CARDS, BLOCKED_CARDS = 8, 3, 2
#: How often a card is shown at one of the doors, on average (seconds).
EVERY_S = 4.0
#: Of the cards shown: the share that belongs to the site's staff.
STAFF_SHARE = 0.75
#: Of the doors unlocked: the share nobody walks through (they relock by themselves), and
#: the share left open until held.
NOBODY_SHARE, HELD_SHARE = 0.15, 0.08
#: How often the walk looks at what is due.
TICK_S = 0.1


@dataclass(frozen=True, slots=True)
class Cards:
    """The card UIDs the walk shows at one device's doors."""

    staff: tuple[str, ...]
    others: tuple[str, ...]

    def pick(self, rng: random.Random) -> str | None:
        """A card: mostly the staff's, else someone else's (None: no cards at all)."""
        if self.staff and (not self.others or rng.random() < STAFF_SHARE):
            return rng.choice(self.staff)
        return rng.choice(self.others) if self.others else None


def cards_for(session: Session, device_id: uuid.UUID) -> Cards:
    """Cards to show at a device's doors: active cards of people whose home unit uses its
    site, active cards of people elsewhere, and lost, suspended or revoked cards."""
    device = session.get_one(EdgeDevice, device_id)
    unit = session.scalar(select(Site.org_unit_id).where(Site.id == device.site_id))
    cards = (
        select(Credential.identifier)
        .join(Person, Person.id == Credential.person_id)
        .where(Credential.tenant_id == device.tenant_id, Credential.kind == CredentialKind.CARD)
        .order_by(Credential.identifier)
    )
    active = cards.where(Credential.state == CredentialState.ACTIVE)
    staff = session.scalars(active.where(Person.org_unit_id == unit).limit(STAFF_CARDS))
    strangers = session.scalars(active.where(Person.org_unit_id != unit).limit(STRANGER_CARDS))
    blocked = session.scalars(
        cards.where(Credential.state != CredentialState.ACTIVE).limit(BLOCKED_CARDS)
    )
    return Cards(tuple(staff), (*strangers, *blocked))


def simulated_reader(config: ReaderConfig, channel: QueueChannel) -> Any:
    """A libosdp reader (peripheral device) at ``config``'s address, with the secure
    channel and its install key when ``config`` has one, on ``channel`` (the reader's end
    of a loopback pair); not yet started."""
    features = [(osdp.Capability.LEDControl, 1, 1), (osdp.Capability.AudibleControl, 1, 1)]
    if config.key is not None:
        features.append((osdp.Capability.CommunicationSecurity, 1, 1))
    capabilities = osdp.PDCapabilities(features)
    info = osdp.PDInfo(config.address, channel, scbk=config.key, name=config.name)
    return osdp.PeripheralDevice(info, capabilities, log_level=osdp.LogLevel.Error)


@dataclass
class DemoDoor:
    """One edge door as the walk sees it: its reader, its lock relay and its contact."""

    device_id: uuid.UUID
    door: DoorConfig
    reader: Any  # osdp.PeripheralDevice
    outputs: SimulatedOutputs
    cards: Cards

    def present(self, uid: str) -> None:
        """Show the card ``uid`` (hex digits) at the door's reader."""
        data = bytes.fromhex(uid)
        self.reader.submit_event(
            {
                "event": osdp.Event.CardRead,
                "reader_no": 0,
                "direction": 0,
                "format": osdp.CardFormat.Unspecified,
                "length": len(data) * 8,
                "data": data,
            }
        )

    def unlocked(self) -> bool:
        """Whether the agent has released the lock."""
        return self.outputs.outputs.get(self.door.lock_output, False) != self.door.active_low

    def set_open(self, is_open: bool) -> None:
        """Open or close the door (its contact input)."""
        if self.door.contact_input is not None:
            self.outputs.inputs[self.door.contact_input] = is_open


@dataclass
class Footfall:
    """Cards shown at random doors every ``every_s`` seconds on average, and the doors
    walked through (module docstring); :meth:`run` until ``stop`` is set."""

    doors: list[DemoDoor]
    every_s: float = EVERY_S
    rng: random.Random = field(default_factory=random.Random)
    #: Cards shown so far.
    shown: int = 0
    _due: list[tuple[float, int, Callable[[], None]]] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)
    _open: set[uuid.UUID] = field(default_factory=set)

    def run(self, stop: threading.Event) -> None:
        """Show cards and walk through doors until ``stop`` is set."""
        next_card = time.monotonic() + self.rng.uniform(0.2, 1.0) * self.every_s
        while not stop.wait(TICK_S):
            now = time.monotonic()
            while self._due and self._due[0][0] <= now:
                _, _, action = heapq.heappop(self._due)
                self._safely(action)
            if now >= next_card:
                self._safely(self._show)
                next_card = now + self.rng.uniform(0.5, 1.5) * self.every_s
        for door in self.doors:
            door.set_open(False)

    def _safely(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception:  # one bad step must not end the demo's footfall
            log.exception("demo footfall step failed")

    def _later(self, at: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._due, (at, next(self._order), action))

    def _show(self) -> None:
        now = time.monotonic()
        free = [door for door in self.doors if door.door.door_id not in self._open]
        if not free:
            return
        door = self.rng.choice(free)
        card = door.cards.pick(self.rng)
        if card is None:
            return
        door.present(card)
        self.shown += 1
        # The agent answers within tens of milliseconds; a person takes a moment to push.
        self._later(now + self.rng.uniform(0.6, 1.2), lambda: self._walk(door))

    def _walk(self, door: DemoDoor) -> None:
        if not door.unlocked() or self.rng.random() < NOBODY_SHARE:
            return
        door.set_open(True)
        self._open.add(door.door.door_id)
        if self.rng.random() < HELD_SHARE:
            stay = door.door.held_open_seconds + self.rng.uniform(3, 8)
        else:
            stay = self.rng.uniform(2, 6)
        self._later(time.monotonic() + stay, lambda: self._close(door))

    def _close(self, door: DemoDoor) -> None:
        door.set_open(False)
        self._open.discard(door.door.door_id)
