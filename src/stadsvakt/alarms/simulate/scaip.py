"""Simulated social-alarm units (trygghetslarm): SCAIP messages as SIP MESSAGE bytes; pure.

A unit is a controller id (``<cid>``, the transmitter's account); it sends
heartbeats (``PI``) and, now and then, an alarm drawn from :data:`ALARM_MIX`
(button press, fall, smoke, pill not taken, low battery …). The receiver's
tests, the ``stadsvakt simulate social-alarms`` command and the demo build their
messages here.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from stadsvakt.alarms.protocols.scaip import (
    CONTENT_TYPE,
    MessageType,
    ScaipRequest,
    build_mrq,
)
from stadsvakt.alarms.protocols.sip import build_request

#: What units send besides heartbeats: (weight, device type, status code, component,
#: location). Mostly button presses, as in real social-alarm traffic.
ALARM_MIX: tuple[tuple[int, int, int, int | None, int | None], ...] = (
    (40, 3, 10, 2, None),  # personal trigger (larmknapp), manual alarm, button 1
    (10, 2, 10, 2, None),  # the unit's own button
    (10, 5, 9, None, 11),  # fall detector, automatic alarm, bathroom
    (5, 23, 9, None, 21),  # smoke detector, automatic alarm, kitchen
    (5, 11, 81, None, None),  # pill dispenser, pill not taken
    (5, 2, 110, None, None),  # assistance call
    (10, 3, 16, None, None),  # personal trigger, battery low
    (5, 2, 85, None, None),  # power failure
    (10, 2, 102, None, None),  # test transmission
)
_WEIGHTS = [row[0] for row in ALARM_MIX]


def accounts_from(prefix: str, count: int, start: int = 1) -> list[str]:
    """``count`` controller ids: ``prefix`` followed by a running number (all digits).

    ``accounts_from("4670000", 3)`` gives ``4670000001`` … ``4670000003``; the demo
    registers transmitters under the same numbers.
    """
    width = max(3, len(str(start + count - 1)))
    accounts = [f"{prefix}{number:0{width}d}" for number in range(start, start + count)]
    for account in accounts:
        if not account.isdigit() or not 3 <= len(account) <= 16:
            raise ValueError(f"account {account!r} is not 3-16 digits")
    return accounts


@dataclass(slots=True)
class SocialUnit:
    """One simulated social-alarm unit with its own reference counter."""

    cid: str
    voice: str | None = None  # e.g. "gsm:+46701234567", sent as <crd>
    # Per run, so a second run's messages are not taken for re-sends of the first's.
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    _refs: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_ref(self) -> str:
        """A fresh ``<ref>``: the run's prefix and the unit's running number."""
        return f"{self.run}{next(self._refs):010d}"[:16]

    def heartbeat(self) -> ScaipRequest:
        """A supervision message (``PI``)."""
        return ScaipRequest(
            ref=self.next_ref(),
            cid=self.cid,
            device_type=2,
            message_type=MessageType.HEARTBEAT,
            version="01.00",
        )

    def alarm(self, rng: random.Random) -> ScaipRequest:
        """An alarm drawn from :data:`ALARM_MIX`."""
        _, device_type, status, component, location = rng.choices(ALARM_MIX, _WEIGHTS)[0]
        return ScaipRequest(
            ref=self.next_ref(),
            cid=self.cid,
            device_type=device_type,
            message_type=MessageType.ALARM,
            status=status,
            component=component,
            location=location,
            callers=(self.voice,) if self.voice else (),
            version="01.00",
        )


@dataclass(frozen=True, slots=True)
class Dialog:
    """The SIP identifiers of one MESSAGE: kept for a re-send, which must repeat them."""

    call_id: str
    from_tag: str
    branch: str
    cseq: int = 1

    @classmethod
    def new(cls, rng: random.Random | None = None) -> Dialog:
        """Fresh identifiers (RFC 3261 branches start with ``z9hG4bK``)."""
        bits = (rng or random.Random()).getrandbits(128)
        token = uuid.UUID(int=bits).hex
        return cls(call_id=f"{token[:20]}@stadsvakt-sim", from_tag=token[20:28], branch=token[8:24])


def message(
    request: ScaipRequest,
    dialog: Dialog,
    *,
    transport: str,
    host: str,
    port: int,
    local: tuple[str, int] = ("127.0.0.1", 5070),
    extra: Sequence[tuple[str, str]] = (),
) -> bytes:
    """The SIP MESSAGE carrying ``request``'s ``<mrq>`` to the receiver at host:port."""
    proto = "TCP" if transport.lower() == "tcp" else "UDP"
    local_host, local_port = local
    headers = [
        ("Via", f"SIP/2.0/{proto} {local_host}:{local_port};branch=z9hG4bK{dialog.branch}"),
        ("Max-Forwards", "70"),
        ("From", f"<sip:{request.cid}@{local_host}>;tag={dialog.from_tag}"),
        ("To", f"<sip:alarm@{host}:{port}>"),
        ("Call-ID", dialog.call_id),
        ("CSeq", f"{dialog.cseq} MESSAGE"),
        ("User-Agent", "stadsvakt-simulator"),
        ("Content-Type", CONTENT_TYPE),
        *extra,
    ]
    return build_request("MESSAGE", f"sip:alarm@{host}:{port}", headers, build_mrq(request))
