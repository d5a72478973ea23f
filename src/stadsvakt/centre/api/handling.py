"""The safety centre's API for handling an activation, and for operators receiving.

``GET /centre/activations/{id}`` gives the activation with its timeline; each action is
a ``POST`` to ``/centre/activations/{id}/<action>`` whose body carries the ``version``
the client last saw. A stale version is a 409 ``stale_version`` problem (reload and try
again), a claim on someone else's activation a 409 ``activation_held`` naming who holds
it, a close that a guard objects to a 409 ``close_refused`` listing the objections.
Another municipality's activation is a 404, whatever the action.

``POST /centre/receiving`` starts or stops receiving; ``POST /centre/heartbeat`` (every
30 s from the console while receiving) keeps the operator counted and runs the
centre's periodic work (returning due holds, offering; see
:mod:`stadsvakt.centre.receiving`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from stadsvakt.api.deps import ActorDep, SessionDep
from stadsvakt.centre import handling, receiving
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationState, Cause
from stadsvakt.schemas import StrictInput

router = APIRouter(tags=["centre"])

Version = Annotated[
    int, Field(ge=1, le=2_000_000_000, description="The activation's version the client saw")
]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
RequiredText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]


class VersionIn(StrictInput):
    """An action that needs nothing but the version the client saw."""

    version: Version


class HoldIn(StrictInput):
    """Park until a time, with a reason."""

    version: Version
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    until: AwareDatetime = Field(description="When it returns to the queue (at most 7 days)")


class HandoverIn(StrictInput):
    """Give the activation to another operator of the centre."""

    version: Version
    to: uuid.UUID = Field(description="The user id of an operator or shift leader")
    note: Note = ""


class EscalateIn(StrictInput):
    """Ask the shift leader, saying why."""

    version: Version
    note: RequiredText


class NoteIn(StrictInput):
    """A line in the timeline."""

    version: Version
    text: RequiredText


class CloseIn(StrictInput):
    """Close with a cause; a false alarm or a cancellation needs a note."""

    version: Version
    cause: Cause
    note: Note = ""


class ReceivingIn(StrictInput):
    """Start (true) or stop (false) receiving new activations."""

    receiving: bool


class EntryOut(BaseModel):
    """One line of the timeline."""

    id: uuid.UUID
    at: datetime
    kind: str
    actor_id: uuid.UUID | None
    actor_name: str
    alarm_id: uuid.UUID | None
    text: str
    data: dict[str, Any]


class ActivationOut(BaseModel):
    """An activation with its timeline."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    site_id: uuid.UUID | None
    kind: str
    category: str
    code: str
    priority: int
    title: str
    state: ActivationState
    opened_at: datetime
    last_event_at: datetime
    event_count: int
    confirmed: bool
    restored: bool
    claimed_by: uuid.UUID | None
    claimed_by_name: str | None
    claimed_at: datetime | None
    acknowledged_at: datetime | None
    offered_to: uuid.UUID | None
    offered_at: datetime | None
    held_until: datetime | None
    hold_reason: str | None
    escalated_at: datetime | None
    closed_at: datetime | None
    closed_by_name: str | None
    cause: Cause | None
    close_note: str | None
    version: int
    timeline: list[EntryOut]


class ReceivingOut(BaseModel):
    """The operator's receiving state and the activations offered to them."""

    receiving: bool
    since: datetime | None
    offered: list[uuid.UUID] = Field(description="Open activations offered to this operator")
    heartbeat_s: int = Field(description="How often the console should send a heartbeat")


def _out(activation: Activation, entries: list[ActivationEntry]) -> ActivationOut:
    values = {
        name: getattr(activation, name) for name in ActivationOut.model_fields if name != "timeline"
    }
    values["kind"] = activation.kind.value
    values["timeline"] = [EntryOut.model_validate(entry, from_attributes=True) for entry in entries]
    return ActivationOut.model_validate(values)


def _answer(session: SessionDep, activation: Activation) -> ActivationOut:
    return _out(activation, handling.timeline(session, activation))


@router.get("/activations/{activation_id}", response_model=ActivationOut)
def get_activation(activation_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> ActivationOut:
    """An activation the caller sees, with every line of its timeline."""
    return _answer(session, handling.detail(session, actor, activation_id))


@router.post("/activations/{activation_id}/claim", response_model=ActivationOut)
def claim(
    activation_id: uuid.UUID, data: VersionIn, session: SessionDep, actor: ActorDep
) -> ActivationOut:
    """Take the activation; 409 ``activation_held`` names who has it when someone else does."""
    found = handling.claim(session, actor, activation_id, version=data.version)
    return _answer(session, found)


@router.post("/activations/{activation_id}/release", response_model=ActivationOut)
def release(
    activation_id: uuid.UUID, data: VersionIn, session: SessionDep, actor: ActorDep
) -> ActivationOut:
    """Give it back to the queue."""
    found = handling.release(session, actor, activation_id, version=data.version)
    return _answer(session, found)


@router.post("/activations/{activation_id}/hold", response_model=ActivationOut)
def hold(
    activation_id: uuid.UUID, data: HoldIn, session: SessionDep, actor: ActorDep
) -> ActivationOut:
    """Park it with a reason until a time; it then returns to the queue by itself."""
    found = handling.hold(
        session, actor, activation_id, version=data.version, reason=data.reason, until=data.until
    )
    return _answer(session, found)


@router.post("/activations/{activation_id}/handover", response_model=ActivationOut)
def hand_over(
    activation_id: uuid.UUID, data: HandoverIn, session: SessionDep, actor: ActorDep
) -> ActivationOut:
    """Hand it to another operator of the same centre."""
    found = handling.hand_over(
        session, actor, activation_id, version=data.version, to=data.to, note=data.note
    )
    return _answer(session, found)


@router.post("/activations/{activation_id}/escalate", response_model=ActivationOut)
def escalate(
    activation_id: uuid.UUID, data: EscalateIn, session: SessionDep, actor: ActorDep
) -> ActivationOut:
    """Escalate to the shift leader with a note."""
    found = handling.escalate(session, actor, activation_id, version=data.version, note=data.note)
    return _answer(session, found)


@router.post("/activations/{activation_id}/note", response_model=ActivationOut)
def add_note(
    activation_id: uuid.UUID, data: NoteIn, session: SessionDep, actor: ActorDep
) -> ActivationOut:
    """Add a note to the timeline."""
    found = handling.add_note(session, actor, activation_id, version=data.version, text=data.text)
    return _answer(session, found)


@router.post("/activations/{activation_id}/close", response_model=ActivationOut)
def close(
    activation_id: uuid.UUID, data: CloseIn, session: SessionDep, actor: ActorDep
) -> ActivationOut:
    """Close with a cause; 409 ``close_refused`` lists what must be done first."""
    found = handling.close(
        session, actor, activation_id, version=data.version, cause=data.cause, note=data.note
    )
    return _answer(session, found)


def _receiving_out(state: receiving.ReceivingState) -> ReceivingOut:
    return ReceivingOut(
        receiving=state.receiving,
        since=state.since,
        offered=state.offered,
        heartbeat_s=int(receiving.HEARTBEAT_EVERY.total_seconds()),
    )


@router.get("/receiving", response_model=ReceivingOut)
def get_receiving(session: SessionDep, actor: ActorDep) -> ReceivingOut:
    """Whether the caller receives new activations, and those offered to them."""
    return _receiving_out(receiving.state_of(session, actor))


@router.post("/receiving", response_model=ReceivingOut)
def set_receiving(data: ReceivingIn, session: SessionDep, actor: ActorDep) -> ReceivingOut:
    """Start or stop receiving; open activations are offered again among those receiving."""
    return _receiving_out(receiving.set_receiving(session, actor, data.receiving))


@router.post("/heartbeat", response_model=ReceivingOut)
def heartbeat(session: SessionDep, actor: ActorDep) -> ReceivingOut:
    """The console is open (send every ``heartbeat_s`` seconds while receiving)."""
    return _receiving_out(receiving.heartbeat(session, actor))
