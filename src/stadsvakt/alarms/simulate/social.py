"""Running simulated social-alarm units against a SCAIP receiver, over UDP or TCP.

Messages go out at ``rate`` per second in total (exponential gaps, as independent
units give), each from a random unit: a heartbeat with probability
``heartbeat_share``, otherwise an alarm. A message is sent until it is answered,
like a real unit: after a missing answer the same bytes go again (same Call-ID and
branch, so the receiver takes it for a retransmission), up to ``retries`` times.
"""

from __future__ import annotations

import asyncio
import random
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from stadsvakt.alarms.protocols.errors import ProtocolError
from stadsvakt.alarms.protocols.scaip import parse_mrs
from stadsvakt.alarms.protocols.sip import SipResponse, parse_response
from stadsvakt.alarms.simulate.scaip import Dialog, SocialUnit, message

_LENGTH = re.compile(rb"\r\n(?:Content-Length|l)[ \t]*:[ \t]*([0-9]{1,9})", re.IGNORECASE)
_CALL_ID = re.compile(r"\r\n(?:Call-ID|i)[ \t]*:[ \t]*(\S+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SocialOptions:
    """Where to send, how much, for how long (``count`` and ``duration_s``: whichever first)."""

    host: str
    port: int
    transport: str = "udp"
    count: int | None = 20
    rate: float = 5.0
    duration_s: float | None = None
    heartbeat_share: float = 0.5
    timeout_s: float = 5.0
    retries: int = 3
    seed: int | None = None


@dataclass(slots=True)
class SocialTally:
    """What the units sent and how the receiver answered."""

    heartbeats: int = 0
    alarms: int = 0
    ok: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # "403", "200 snu 3", …
    timeouts: int = 0
    resent: int = 0

    @property
    def sent(self) -> int:
        """Messages sent (each counted once, however often it was re-sent)."""
        return self.heartbeats + self.alarms

    def summary(self) -> str:
        """One line for the console."""
        refused = ", ".join(f"{k}: {v}" for k, v in sorted(self.refused.items())) or "none"
        return (
            f"{self.sent} messages ({self.alarms} alarms, {self.heartbeats} heartbeats):"
            f" {self.ok} OK, refused {refused}, {self.timeouts} unanswered,"
            f" {self.resent} re-sent"
        )


class _Link(ABC):
    """A SIP path to the receiver; answers are matched to requests by Call-ID."""

    local: tuple[str, int] = ("127.0.0.1", 5070)

    @abstractmethod
    async def exchange(self, data: bytes, call_id: str, timeout: float) -> SipResponse:
        """Send ``data`` and wait up to ``timeout`` for the answer with this Call-ID."""

    @abstractmethod
    def close(self) -> None:
        """Release the socket."""


class _UdpLink(asyncio.DatagramProtocol, _Link):
    def __init__(self) -> None:
        self._transport: asyncio.DatagramTransport | None = None
        self._waiting: dict[str, asyncio.Future[SipResponse]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)
        self.local = self._transport.get_extra_info("sockname")[:2]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            response = parse_response(data)
        except ProtocolError:
            return
        waiting = self._waiting.get(response.header("Call-ID") or "")
        if waiting is not None and not waiting.done():
            waiting.set_result(response)

    async def exchange(self, data: bytes, call_id: str, timeout: float) -> SipResponse:
        if self._transport is None:
            raise ConnectionError("UDP link is closed")
        future: asyncio.Future[SipResponse] = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = future
        try:
            self._transport.sendto(data)
            async with asyncio.timeout(timeout):
                return await future
        finally:
            self._waiting.pop(call_id, None)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class _TcpLink(_Link):
    """One connection; requests are sent one at a time, so answers come back in order."""

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        self._lock = asyncio.Lock()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def exchange(self, data: bytes, call_id: str, timeout: float) -> SipResponse:
        async with self._lock:
            try:
                async with asyncio.timeout(timeout):
                    if self._streams is None:
                        self._streams = await asyncio.open_connection(*self._address)
                        self.local = self._streams[1].get_extra_info("sockname")[:2]
                    reader, writer = self._streams
                    writer.write(data)
                    await writer.drain()
                    head = await reader.readuntil(b"\r\n\r\n")
                    match = _LENGTH.search(head)
                    body = await reader.readexactly(int(match.group(1)) if match else 0)
                    return parse_response(head + body)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ProtocolError):
                self.close()  # reconnect for the next attempt, as a unit would
                raise TimeoutError from None

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def _open(options: SocialOptions) -> _Link:
    if options.transport == "tcp":
        return _TcpLink(options.host, options.port)
    loop = asyncio.get_running_loop()
    _, link = await loop.create_datagram_endpoint(
        _UdpLink, remote_addr=(options.host, options.port)
    )
    return link


async def run_social_alarms(
    options: SocialOptions,
    accounts: Sequence[str],
    *,
    on_answer: Callable[[], None] | None = None,
) -> SocialTally:
    """Send messages from units with these controller ids; returns the tally."""
    if not accounts:
        raise ValueError("no accounts to send for")
    rng = random.Random(options.seed)
    units = [SocialUnit(account) for account in accounts]
    tally = SocialTally()
    link = await _open(options)
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        async with asyncio.TaskGroup() as tasks:
            sent = 0
            while options.count is None or sent < options.count:
                if options.duration_s is not None and loop.time() - started >= options.duration_s:
                    break
                unit = rng.choice(units)
                heartbeat = rng.random() < options.heartbeat_share
                request = unit.heartbeat() if heartbeat else unit.alarm(rng)
                if heartbeat:
                    tally.heartbeats += 1
                else:
                    tally.alarms += 1
                data = message(
                    request,
                    Dialog.new(rng),
                    transport=options.transport,
                    host=options.host,
                    port=options.port,
                    local=link.local,
                )
                tasks.create_task(_deliver(link, data, options, tally, on_answer))
                sent += 1
                await asyncio.sleep(rng.expovariate(options.rate) if options.rate > 0 else 0)
    finally:
        link.close()
    return tally


async def _deliver(
    link: _Link,
    data: bytes,
    options: SocialOptions,
    tally: SocialTally,
    on_answer: Callable[[], None] | None,
) -> None:
    match = _CALL_ID.search(data.decode("utf-8", "replace"))
    call_id = match.group(1) if match else ""
    for attempt in range(options.retries + 1):
        if attempt:
            tally.resent += 1
        try:
            response = await link.exchange(data, call_id, options.timeout_s)
        except TimeoutError:
            continue
        _count(response, tally)
        if on_answer is not None:
            on_answer()
        return
    tally.timeouts += 1
    if on_answer is not None:
        on_answer()


def _count(response: SipResponse, tally: SocialTally) -> None:
    if response.status != 200:
        tally.refused[str(response.status)] += 1
        return
    try:
        snu = parse_mrs(response.body).snu
    except ProtocolError:
        tally.refused["200 without <mrs>"] += 1
        return
    if snu == 0:
        tally.ok += 1
    else:
        tally.refused[f"200 snu {snu}"] += 1
