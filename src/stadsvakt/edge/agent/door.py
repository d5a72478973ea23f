"""The door-contact state machine (pure: no I/O, no clock; the caller passes the time).

States: ``closed``, ``open`` (opened within an unlock window), ``forced`` (opened
without a granted read or exit request — *uppbruten dörr*), ``held`` (open longer than
the held-open time — *kvarhållen dörr*). Forced and held raise a door alarm once each
time they begin; closing the door restores it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class DoorState(StrEnum):
    """Where a door's contact stands."""

    CLOSED = "closed"
    OPEN = "open"
    FORCED = "forced"
    HELD = "held"


class DoorAlarm(StrEnum):
    """A door alarm the machine raises (``*_restored`` when the door closes again)."""

    FORCED = "door_forced"
    HELD = "door_held"
    FORCED_RESTORED = "door_forced_restored"
    HELD_RESTORED = "door_held_restored"


@dataclass(frozen=True, slots=True)
class Door:
    """A door's contact state; ``unlocked_until`` ends the window a grant or exit opened,
    ``opened_at`` is when the contact opened (None while closed)."""

    held_open_seconds: float
    state: DoorState = DoorState.CLOSED
    unlocked_until: float = float("-inf")
    opened_at: float | None = None

    def unlock(self, now: float, seconds: float) -> Door:
        """A granted read or an exit request: opening within ``seconds`` is allowed."""
        return replace(self, unlocked_until=max(self.unlocked_until, now + seconds))

    def contact(self, now: float, is_open: bool) -> tuple[Door, tuple[DoorAlarm, ...]]:
        """The contact read open or closed at ``now``; the new state and any alarms."""
        if is_open:
            if self.state is not DoorState.CLOSED:
                return self.tick(now)
            if now <= self.unlocked_until:
                # The window is used up by this opening: a second opening is forced.
                opened = replace(
                    self, state=DoorState.OPEN, opened_at=now, unlocked_until=float("-inf")
                )
                return opened.tick(now)
            forced = replace(
                self, state=DoorState.FORCED, opened_at=now, unlocked_until=float("-inf")
            )
            return forced, (DoorAlarm.FORCED,)
        restored: tuple[DoorAlarm, ...] = ()
        if self.state is DoorState.FORCED:
            restored = (DoorAlarm.FORCED_RESTORED,)
        elif self.state is DoorState.HELD:
            restored = (DoorAlarm.HELD_RESTORED,)
        return replace(self, state=DoorState.CLOSED, opened_at=None), restored

    def tick(self, now: float) -> tuple[Door, tuple[DoorAlarm, ...]]:
        """Time passes: a door open past its held-open time becomes held."""
        if (
            self.state is DoorState.OPEN
            and self.opened_at is not None
            and now - self.opened_at > self.held_open_seconds
        ):
            return replace(self, state=DoorState.HELD), (DoorAlarm.HELD,)
        return self, ()
