"""Simulated DC-09 alarm panels: what they send, as pure functions (no I/O).

A :class:`PanelSpec` is what a panel is configured with (account, routing, payload
format, AES key, heartbeat interval); a :class:`Panel` adds the state a real panel
keeps: its sequence number (1-9999, then 1 again), whether it is armed, and the
conditions that are active and will be restored later (burglary, fire, troubles).
An :class:`Outgoing` message is fixed when the event happens; its frame is built
again for every re-send, with the same sequence number and data but a fresh
timestamp (and, when encrypted, a fresh pad), as panels do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from stadsvakt.alarms.protocols.dc09.builder import adm_cid_block, build_frame, sia_block
from stadsvakt.alarms.protocols.dc09.header import Token

MAX_SEQUENCE = 9999


class Payload(StrEnum):
    """The event format a panel sends: SIA DC-03 (``SIA-DCS``) or Contact ID (``ADM-CID``)."""

    SIA = "dc09-sia"
    CID = "dc09-cid"


@dataclass(frozen=True, slots=True)
class PanelSpec:
    """A panel's configuration; ``key`` is its AES key (``None``: it sends in clear)."""

    account: str
    payload: Payload = Payload.SIA
    key: bytes | None = None
    receiver: str = "0"
    line: str = "0"
    interval_s: float = 90.0


@dataclass(frozen=True, slots=True)
class Condition:
    """One kind of event in the mix: its SIA and Contact ID codes and how often it happens.

    ``restore`` is the SIA code that ends the condition (Contact ID restores use the
    same code with qualifier 3); ``None`` for one-off events such as tests.
    ``by_user`` events carry a user number instead of a zone.
    """

    name: str
    sia: str
    cid: int
    weight: float
    restore: str | None = None
    by_user: bool = False


#: The event mix of an intrusion panel, by weight. Opening and closing dominate, as on
#: real panels; restores are not in the table: they follow their condition later.
MIX: tuple[Condition, ...] = (
    Condition("open/close", "OP", 401, 40.0, by_user=True),
    Condition("periodic test", "RP", 602, 14.0),
    Condition("burglary", "BA", 130, 12.0, restore="BR"),
    Condition("AC loss", "AT", 301, 8.0, restore="AR"),
    Condition("low battery", "YT", 302, 6.0, restore="YR"),
    Condition("tamper", "TA", 137, 5.0, restore="TR"),
    Condition("communication trouble", "YC", 350, 4.0, restore="YK"),
    Condition("fire", "FA", 110, 3.0, restore="FR"),
    Condition("panic", "PA", 120, 1.0, restore="PR"),
)
_WEIGHTS = tuple(c.weight for c in MIX)
#: How likely an event is the restore of an active condition rather than a new event.
RESTORE_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message waiting to be acknowledged: sequence, token and data block are fixed."""

    sequence: int
    token: Token
    data: str
    code: str

    @property
    def is_heartbeat(self) -> bool:
        """Whether this is a ``NULL`` supervision message."""
        return self.token is Token.NULL

    def frame(self, spec: PanelSpec, now: datetime) -> bytes:
        """The frame as sent at ``now`` (built again for every re-send)."""
        return build_frame(
            self.token,
            self.sequence,
            spec.account,
            data=self.data,
            receiver=None if spec.receiver == "0" else spec.receiver,
            line=spec.line,
            timestamp=now,
            key=spec.key,
        )


@dataclass(slots=True)
class Panel:
    """A panel's state between messages."""

    spec: PanelSpec
    rng: random.Random
    sequence: int = 0
    armed: bool = True
    active: list[tuple[Condition, int]] = field(default_factory=list)

    def next_sequence(self) -> int:
        """The next sequence number: 1 to 9999, then 1 again."""
        self.sequence = self.sequence % MAX_SEQUENCE + 1
        return self.sequence

    def heartbeat(self) -> Outgoing:
        """A ``NULL`` message (supervision; no event)."""
        return Outgoing(self.next_sequence(), Token.NULL, "", "NULL")

    def event(self) -> Outgoing:
        """The panel's next event: a restore of an active condition, or a new one from the mix."""
        if self.active and self.rng.random() < RESTORE_SHARE:
            condition, number = self.active.pop(self.rng.randrange(len(self.active)))
            return self._message(condition, number, restore=True)
        condition = self.rng.choices(MIX, weights=_WEIGHTS)[0]
        number = self.rng.randint(1, 8) if condition.by_user else self.rng.randint(1, 32)
        if condition.restore is not None and (condition, number) not in self.active:
            self.active.append((condition, number))
        return self._message(condition, number, restore=False)

    def _message(self, condition: Condition, number: int, *, restore: bool) -> Outgoing:
        area = 1
        if condition.by_user:  # opening and closing alternate
            self.armed = not self.armed
        if self.spec.payload is Payload.CID:
            # Contact ID: qualifier 1 new event or opening, 3 restore or closing.
            qualifier = 3 if restore or (condition.by_user and self.armed) else 1
            data = adm_cid_block(self.spec.account, qualifier, condition.cid, area, number)
            return Outgoing(self.next_sequence(), Token.ADM_CID, data, f"{condition.cid}")
        if condition.by_user:
            code = "CL" if self.armed else "OP"
        else:
            code = condition.restore if restore and condition.restore else condition.sia
        events = f"Nri{area}/{code}{number:02d}"
        data = sia_block(self.spec.account, events)
        return Outgoing(self.next_sequence(), Token.SIA_DCS, data, code)


@dataclass(frozen=True, slots=True)
class Reply:
    """A receiver's answer: ``ACK``, ``NAK``, ``DUH`` (or another token), and its sequence."""

    kind: str
    sequence: int | None
    encrypted: bool


def read_reply(frame: bytes) -> Reply:
    """The token and sequence of a reply frame (not checked further: the receiver is trusted)."""
    text = frame.decode("latin-1")
    start = text.find('"')
    end = text.find('"', start + 1)
    if start < 0 or end < 0:
        return Reply("invalid", None, False)
    token = text[start + 1 : end]
    digits = text[end + 1 : end + 5]
    sequence = int(digits) if digits.isdigit() else None
    return Reply(token.removeprefix("*"), sequence, token.startswith("*"))


def acknowledges(reply: Reply, message: Outgoing) -> bool:
    """Whether ``reply`` is the ACK of ``message`` (an ACK for another sequence is not)."""
    return reply.kind == "ACK" and reply.sequence == message.sequence
