"""The rights an agent decides on, kept current from the centre: snapshots, deltas and
fast revocations, each checked with the centre's key. Pure: no I/O, no threads.

A snapshot replaces the state; a delta moves it on (:mod:`stadsvakt.edge.snapshot.verify`
says what is refused and why). A revocation (a ``command`` with ``op`` ``revoke``) takes
credentials and people out at once when its ``seq`` is past the version held, and stays
*pending* until a snapshot or delta of version ``seq`` or later arrives: a delta computed
before the revocation would otherwise bring the card back, so every pending revocation
is applied again after each snapshot and delta.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stadsvakt.access.decide import (
    CredentialEntry,
    DecisionState,
    DoorEntry,
    PersonEntry,
    ProfileEntry,
    ScheduleEntry,
)
from stadsvakt.edge.envelope import BadEnvelope, open_envelope
from stadsvakt.edge.snapshot.state import SnapshotState
from stadsvakt.edge.snapshot.verify import SnapshotRefused, accept_delta, accept_snapshot

UUID = uuid.UUID


class NoRights:
    """The state before any snapshot: no doors, so every card is denied (``unknown_door``)."""

    def door(self, door_id: UUID) -> DoorEntry | None:
        """None: no door is known."""
        return None

    def credential(self, tenant_id: UUID, kind: str, presented: str) -> CredentialEntry | None:
        """None."""
        return None

    def person(self, person_id: UUID) -> PersonEntry | None:
        """None."""
        return None

    def profile(self, profile_id: UUID) -> ProfileEntry | None:
        """None."""
        return None

    def schedule(self, schedule_id: UUID) -> ScheduleEntry | None:
        """None."""
        return None


@dataclass(frozen=True, slots=True)
class Revocation:
    """Credentials and people to take out now, as of the centre's change ``seq``."""

    seq: int
    credentials: frozenset[UUID]
    people: frozenset[UUID]


def _ids(body: dict[str, Any], name: str) -> frozenset[UUID]:
    value = body.get(name)
    if not isinstance(value, list):
        raise SnapshotRefused("command", f"command.{name} must be a list of ids")
    try:
        return frozenset(uuid.UUID(str(item)) for item in value)
    except ValueError:
        raise SnapshotRefused("command", f"command.{name} must hold only UUIDs") from None


def revocation(body: Any, tenant_id: UUID) -> Revocation:
    """The revocation a ``revoke`` command's body names, or :class:`SnapshotRefused`
    (``command``: malformed, ``foreign``: another municipality's)."""
    if not isinstance(body, dict) or body.get("op") != "revoke":
        raise SnapshotRefused("command", "command.op must be 'revoke'")
    seq = body.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise SnapshotRefused("command", f"command.seq must be a whole number, got {seq!r}")
    if body.get("tenant") != str(tenant_id):
        raise SnapshotRefused("foreign", f"command.tenant {body.get('tenant')!r} is not ours")
    return Revocation(seq, _ids(body, "credentials"), _ids(body, "people"))


def open_command(payload: bytes, key: Ed25519PublicKey, device_id: UUID) -> dict[str, Any]:
    """A command envelope's signed fields if the centre signed it for this device (as
    :class:`~stadsvakt.edge.broker.device.DeviceLink` checks it; used again on restart)."""
    try:
        fields = open_envelope(payload, key)
    except BadEnvelope as exc:
        raise SnapshotRefused(
            "signature" if exc.rule == "signature" else "envelope", str(exc)
        ) from None
    if fields.get("kind") != "command":
        raise SnapshotRefused("kind", f"expected a command, got {fields.get('kind')!r}")
    if fields.get("device") != str(device_id):
        raise SnapshotRefused("foreign", f"meant for device {fields.get('device')!r}")
    return fields


class Rights:
    """The verified state and the revocations still pending over it."""

    def __init__(self, key: Ed25519PublicKey, device_id: UUID, tenant_id: UUID) -> None:
        self.key = key
        self.device_id = device_id
        self.tenant_id = tenant_id
        #: The state decided on (pending revocations applied); None before any snapshot.
        self.state: SnapshotState | None = None
        #: Revocations not yet covered by the version held, by ``seq``.
        self.pending: dict[int, Revocation] = {}

    @property
    def version(self) -> int | None:
        """The version of the state held (None before any snapshot)."""
        return None if self.state is None else self.state.version

    def decision_state(self) -> DecisionState:
        """What ``decide()`` reads: the state, or :class:`NoRights` before any snapshot."""
        return NoRights() if self.state is None else self.state

    def snapshot(self, payload: bytes) -> SnapshotState:
        """Take a snapshot message (newer than the state held) and return the new state."""
        state = accept_snapshot(payload, self.key, self.device_id, self.tenant_id, self.version)
        return self._settle(state)

    def delta(self, payload: bytes) -> SnapshotState:
        """Take a delta message that starts at the version held and return the new state."""
        if self.state is None:
            raise SnapshotRefused("catch_up", "no snapshot is held yet: a delta cannot apply")
        state = accept_delta(payload, self.key, self.device_id, self.tenant_id, self.state)
        return self._settle(state)

    def revoke(self, payload: bytes) -> Revocation | None:
        """Take a ``revoke`` command; the revocation if it is past the version held (now
        applied and pending), None if the state held already covers it."""
        fields = open_command(payload, self.key, self.device_id)
        revoked = revocation(fields.get("body"), self.tenant_id)
        if self.version is not None and revoked.seq <= self.version:
            return None
        known = self.pending.get(revoked.seq)
        if known is not None:  # sent again (QoS 1), perhaps naming more
            revoked = Revocation(
                revoked.seq, known.credentials | revoked.credentials, known.people | revoked.people
            )
        self.pending[revoked.seq] = revoked
        if self.state is not None:
            self.state = self.state.without(revoked.credentials, revoked.people)
        return revoked

    def _settle(self, state: SnapshotState) -> SnapshotState:
        """Drop revocations the new version covers; apply the rest again."""
        self.pending = {seq: r for seq, r in self.pending.items() if seq > state.version}
        for revoked in self.pending.values():
            state = state.without(revoked.credentials, revoked.people)
        self.state = state
        return state
