"""The decision engine's pure core: ``decide(request, state, now) -> Decision``.

No I/O and no clock of its own: the caller passes the compiled rights (``state``, a
read-only view of the index) and the time. The same function runs in the centre and
on edge agents. The evaluation order is documented in ``docs/decisions.md``.

Times inside the state are POSIX timestamps (seconds, float) so that checking a
validity window is a comparison of two floats; "no end" is ``math.inf``. ``now`` must
be timezone-aware: a naive one has no instant (its timestamp would depend on the
machine's zone) and is refused.

A credential is found by its kind and its identifier in normal form
(:mod:`stadsvakt.access.identifiers`): a card reader presents card UIDs, a mobile
reader mobile key ids, and the same text of the other kind is another credential.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Container
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from stadsvakt.access.identifiers import CARD
from stadsvakt.access.pins import door_pin_digest
from stadsvakt.access.timerules import NO_DAYS, LocalTime, WeekSchedule
from stadsvakt.errors import InvalidInput


class Reason(StrEnum):
    """Why a decision went the way it did; a fixed list, stable for controllers and reports."""

    # Denies
    UNKNOWN_DOOR = "unknown_door"
    DOOR_LOCKDOWN = "door_lockdown"
    UNKNOWN_CREDENTIAL = "unknown_credential"
    CREDENTIAL_SUSPENDED = "credential_suspended"
    CREDENTIAL_LOST = "credential_lost"
    CREDENTIAL_REVOKED = "credential_revoked"
    CREDENTIAL_NOT_YET_VALID = "credential_not_yet_valid"
    CREDENTIAL_EXPIRED = "credential_expired"
    PERSON_INACTIVE = "person_inactive"
    NO_RIGHT = "no_right"
    OUTSIDE_SCHEDULE = "outside_schedule"
    HOLIDAY = "holiday"
    TRAINING_MISSING = "training_missing"
    PIN_REQUIRED = "pin_required"
    PIN_WRONG = "pin_wrong"
    PIN_LOCKED_OUT = "pin_locked_out"
    # Grants
    GRANTED_BY_POSITION = "granted_by_position"
    GRANTED_BY_GRANT = "granted_by_grant"
    GRANTED_BY_GROUP_GRANT = "granted_by_group_grant"
    DOOR_UNLOCKED_BY_SCHEDULE = "door_unlocked_by_schedule"
    DOOR_EMERGENCY_OPEN = "door_emergency_open"


#: The reasons that open the door.
GRANT_REASONS = frozenset(
    {
        Reason.GRANTED_BY_POSITION,
        Reason.GRANTED_BY_GRANT,
        Reason.GRANTED_BY_GROUP_GRANT,
        Reason.DOOR_UNLOCKED_BY_SCHEDULE,
        Reason.DOOR_EMERGENCY_OPEN,
    }
)

#: The reasons that count as a wrong PIN for a lock-out (see :class:`PinAttempts`).
PIN_FAILURES = frozenset({Reason.PIN_WRONG})

# Credential states, as stored (``access.models.CredentialState``), mapped to their deny.
_STATE_DENY = {
    "suspended": Reason.CREDENTIAL_SUSPENDED,
    "lost": Reason.CREDENTIAL_LOST,
    "revoked": Reason.CREDENTIAL_REVOKED,
}

# Door modes, as stored (``access.models.DoorMode``).
MODE_SECURE = "secure"
MODE_SCHEDULED_UNLOCK = "scheduled_unlock"
MODE_LOCKDOWN = "lockdown"


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """A credential presented at a door, on behalf of a municipality (``tenant_id``): its
    text as the reader sent it and its kind (``card`` or ``mobile``, by the reader), and
    the digits typed on the reader's keypad (``pin``, for doors that require a PIN)."""

    tenant_id: uuid.UUID
    door_id: uuid.UUID
    credential: str
    kind: str = CARD
    pin: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer: open or not, why, and who and where (when known)."""

    granted: bool
    reason: Reason
    person_id: uuid.UUID | None
    door_id: uuid.UUID
    unlock_seconds: int


class DoorEntry:
    """A door as the index holds it.

    The door rules (all optional, so an entry built without them behaves as before):
    ``requires_pin`` (card and PIN: the holder types their PIN on the reader's keypad),
    ``escape_route`` (opens for anyone while ``emergency_open`` is set for its site),
    ``emergency_open`` (the site's emergency state, copied onto each of its doors so a
    decision reads no second entry), and ``holidays``/``eves`` (the door's site's holiday
    calendar: when not None, every schedule checked at this door uses these days instead
    of its own calendar's).
    """

    __slots__ = (
        "emergency_open",
        "escape_route",
        "eves",
        "extended_unlock_seconds",
        "holidays",
        "id",
        "mode",
        "requires_pin",
        "site_id",
        "tenant_id",
        "unlock_schedule_id",
        "unlock_seconds",
        "zone_id",
    )

    def __init__(
        self,
        id: uuid.UUID,
        tenant_id: uuid.UUID,
        zone_id: uuid.UUID,
        mode: str,
        unlock_schedule_id: uuid.UUID | None,
        unlock_seconds: int,
        extended_unlock_seconds: int,
        *,
        site_id: uuid.UUID | None = None,
        requires_pin: bool = False,
        escape_route: bool = False,
        emergency_open: bool = False,
        holidays: Container[date] | None = None,
        eves: Container[date] = NO_DAYS,
    ) -> None:
        self.id = id
        self.tenant_id = tenant_id
        self.zone_id = zone_id
        self.mode = mode
        self.unlock_schedule_id = unlock_schedule_id
        self.unlock_seconds = unlock_seconds
        self.extended_unlock_seconds = extended_unlock_seconds
        self.site_id = site_id
        self.requires_pin = requires_pin
        self.escape_route = escape_route
        self.emergency_open = emergency_open
        self.holidays = holidays
        self.eves = eves


class PinEntry:
    """A PIN credential as the index holds it: its door digest (:mod:`stadsvakt.access.pins`,
    never the PIN), the salt it was made with, and its state and window."""

    __slots__ = ("digest", "salt", "state", "valid_from", "valid_to")

    def __init__(
        self, salt: bytes, digest: bytes, state: str, valid_from: float, valid_to: float
    ) -> None:
        self.salt = salt
        self.digest = digest
        self.state = state
        self.valid_from = valid_from
        self.valid_to = valid_to

    def accepts(self, pin: str, ts: float) -> bool:
        """Whether ``pin`` is this credential's PIN and the credential is usable at ``ts``."""
        if self.state != "active" or not self.valid_from <= ts < self.valid_to:
            return False
        return hmac.compare_digest(door_pin_digest(self.salt, pin), self.digest)


class CredentialEntry:
    """A card, tag or mobile key as the index holds it (``identifier`` in normal form)."""

    __slots__ = (
        "id",
        "identifier",
        "kind",
        "person_id",
        "state",
        "tenant_id",
        "valid_from",
        "valid_to",
    )

    def __init__(
        self,
        id: uuid.UUID,
        tenant_id: uuid.UUID,
        identifier: str,
        person_id: uuid.UUID,
        state: str,
        valid_from: float,
        valid_to: float,
        kind: str = CARD,
    ) -> None:
        self.id = id
        self.tenant_id = tenant_id
        self.identifier = identifier
        self.person_id = person_id
        self.state = state
        self.valid_from = valid_from
        self.valid_to = valid_to
        self.kind = kind


class Right:
    """One way a person reaches a profile: the profile, its window and the source (a reason)."""

    __slots__ = ("profile_id", "source", "valid_from", "valid_to")

    def __init__(
        self, profile_id: uuid.UUID, valid_from: float, valid_to: float, source: Reason
    ) -> None:
        self.profile_id = profile_id
        self.valid_from = valid_from
        self.valid_to = valid_to
        self.source = source

    def __repr__(self) -> str:
        return f"Right({self.profile_id}, {self.valid_from}, {self.valid_to}, {self.source})"


class PersonEntry:
    """A person's compiled rights: active flag, accessibility, rights and valid courses."""

    __slots__ = ("active", "extended_unlock", "id", "pins", "rights", "training")

    def __init__(
        self,
        id: uuid.UUID,
        active: bool,
        extended_unlock: bool,
        rights: tuple[Right, ...],
        training: dict[str, float],
        pins: tuple[PinEntry, ...] = (),
    ) -> None:
        self.id = id
        self.active = active
        self.extended_unlock = extended_unlock
        self.rights = rights
        #: Course → end of validity (timestamp; inf if it never expires).
        self.training = training
        #: The person's PIN credentials (for doors that require a PIN).
        self.pins = pins


class ProfileEntry:
    """An access profile: the zones it opens, its schedule and an optional required course."""

    __slots__ = ("id", "required_course", "schedule_id", "zones")

    def __init__(
        self,
        id: uuid.UUID,
        zones: frozenset[uuid.UUID],
        schedule_id: uuid.UUID,
        required_course: str | None,
    ) -> None:
        self.id = id
        self.zones = zones
        self.schedule_id = schedule_id
        self.required_course = required_course


class ScheduleEntry:
    """A compiled schedule with its holiday dates (any container of dates: a calendar's
    public holidays are worked out per year when first asked, for any year) and its
    calendar's eves (the days its ``"eve"`` intervals apply on, if it has any)."""

    __slots__ = ("eves", "holidays", "id", "week")

    def __init__(
        self,
        id: uuid.UUID,
        week: WeekSchedule,
        holidays: Container[date],
        eves: Container[date] = NO_DAYS,
    ) -> None:
        self.id = id
        self.week = week
        self.holidays = holidays
        self.eves = eves


class DecisionState(Protocol):
    """A read-only view of the compiled rights."""

    def door(self, door_id: uuid.UUID) -> DoorEntry | None:
        """The door, or None."""

    def credential(self, tenant_id: uuid.UUID, kind: str, presented: str) -> CredentialEntry | None:
        """The credential of ``kind`` whose identifier is ``presented`` in normal form, or None."""

    def person(self, person_id: uuid.UUID) -> PersonEntry | None:
        """The person's compiled rights, or None."""

    def profile(self, profile_id: uuid.UUID) -> ProfileEntry | None:
        """The access profile, or None."""

    def schedule(self, schedule_id: uuid.UUID) -> ScheduleEntry | None:
        """The schedule, or None."""


class PinLockouts(Protocol):
    """The caller's count of wrong PINs (decide() only reads it; the caller records each
    ``pin_wrong`` answer and forgets a person's count after a ``granted`` at a PIN door)."""

    def locked_out(self, tenant_id: uuid.UUID, person_id: uuid.UUID, ts: float) -> bool:
        """Whether the person typed too many wrong PINs lately to be let try again at ``ts``."""


def _deny(reason: Reason, door_id: uuid.UUID, person_id: uuid.UUID | None = None) -> Decision:
    return Decision(False, reason, person_id, door_id, 0)


def _schedule_state(
    entry: ScheduleEntry | None, local: LocalTime, door: DoorEntry
) -> Reason | None:
    """None if open, else OUTSIDE_SCHEDULE or HOLIDAY (closed only because of a holiday).
    The door's site calendar, when it has one, replaces the schedule's own."""
    if entry is None:
        return Reason.OUTSIDE_SCHEDULE
    holidays = door.holidays
    if holidays is None:
        holidays, eves = entry.holidays, entry.eves
    else:
        eves = door.eves
    if entry.week.open_at(holidays, local, eves):
        return None
    if holidays and entry.week.open_at(NO_DAYS, local, eves):
        return Reason.HOLIDAY
    return Reason.OUTSIDE_SCHEDULE


# Among failed candidate rights, the deny that names the nearest miss wins.
_MISS_RANK = {Reason.OUTSIDE_SCHEDULE: 1, Reason.HOLIDAY: 2, Reason.TRAINING_MISSING: 3}


def decide(
    request: DecisionRequest,
    state: DecisionState,
    now: datetime,
    lockouts: PinLockouts | None = None,
) -> Decision:
    """Whether ``request`` opens its door at ``now`` (timezone-aware), and why; ``lockouts``
    is the caller's count of wrong PINs (without it, PINs are never locked out)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput(
            "now: a decision needs a time with a time zone", field="now", rule="timezone"
        )
    door_id = request.door_id
    door = state.door(door_id)
    if door is None or door.tenant_id != request.tenant_id:
        return _deny(Reason.UNKNOWN_DOOR, door_id)
    credential = state.credential(request.tenant_id, request.kind, request.credential)
    person_id = credential.person_id if credential is not None else None
    if door.mode == MODE_LOCKDOWN:
        return _deny(Reason.DOOR_LOCKDOWN, door_id, person_id)
    if door.emergency_open and door.escape_route:
        return Decision(True, Reason.DOOR_EMERGENCY_OPEN, person_id, door_id, door.unlock_seconds)
    # Converted to Stockholm time once, when the first schedule is checked.
    local: LocalTime | None = None
    if door.mode == MODE_SCHEDULED_UNLOCK and door.unlock_schedule_id is not None:
        local = LocalTime.of(now)
        if _schedule_state(state.schedule(door.unlock_schedule_id), local, door) is None:
            return Decision(True, Reason.DOOR_UNLOCKED_BY_SCHEDULE, person_id, door_id, 0)
    if credential is None:
        return _deny(Reason.UNKNOWN_CREDENTIAL, door_id)
    state_deny = _STATE_DENY.get(credential.state)
    if state_deny is not None:
        return _deny(state_deny, door_id, person_id)
    ts = now.timestamp()
    if ts < credential.valid_from:
        return _deny(Reason.CREDENTIAL_NOT_YET_VALID, door_id, person_id)
    if ts >= credential.valid_to:
        return _deny(Reason.CREDENTIAL_EXPIRED, door_id, person_id)
    person = state.person(credential.person_id)
    if person is None or not person.active:
        return _deny(Reason.PERSON_INACTIVE, door_id, person_id)
    zone_id = door.zone_id
    miss: Reason = Reason.NO_RIGHT
    for right in person.rights:
        if not right.valid_from <= ts < right.valid_to:
            continue
        profile = state.profile(right.profile_id)
        if profile is None or zone_id not in profile.zones:
            continue
        if local is None:
            local = LocalTime.of(now)
        closed = _schedule_state(state.schedule(profile.schedule_id), local, door)
        if closed is None:
            course = profile.required_course
            if course is None or person.training.get(course, -1.0) > ts:
                if door.requires_pin:
                    pin_deny = _pin_check(request, person, ts, lockouts)
                    if pin_deny is not None:
                        return _deny(pin_deny, door_id, person_id)
                seconds = door.extended_unlock_seconds if person.extended_unlock else 0
                return Decision(
                    True, right.source, person.id, door_id, seconds or door.unlock_seconds
                )
            closed = Reason.TRAINING_MISSING
        if _MISS_RANK[closed] > _MISS_RANK.get(miss, 0):
            miss = closed
    return _deny(miss, door_id, person_id)


def _pin_check(
    request: DecisionRequest, person: PersonEntry, ts: float, lockouts: PinLockouts | None
) -> Reason | None:
    """None if the typed PIN is one of the holder's usable PINs, else why not."""
    if lockouts is not None and lockouts.locked_out(request.tenant_id, person.id, ts):
        return Reason.PIN_LOCKED_OUT
    pin = request.pin
    if not pin:
        return Reason.PIN_REQUIRED
    for entry in person.pins:
        if entry.accepts(pin, ts):
            return None
    return Reason.PIN_WRONG
