"""What keeps one peer from holding a receiver: per-address counts, deadlines, quiet logs.

* :func:`address_key` names the address a peer is counted under: its IPv4 address, or
  its IPv6 /64 (one host usually holds a whole /64, so counting single IPv6 addresses
  would let it open as many connections as it likes).
* :class:`AddressCounts` holds at most ``per_address`` connections (or datagrams in
  flight) per address and ``total`` in all, so a peer that floods reaches its own
  limit long before the shared one and other addresses are still served.
* :class:`ConnectionDeadline` is when a TCP connection must next show progress: a
  whole frame within ``idle_s`` of the last one (noise and keep-alives do not count),
  and within ``frame_s`` of its own first byte (a peer trickling a byte before each
  read timeout no longer resets anything).
* :class:`RefusalLog` logs a refused peer at most once per minute; the refusals in
  between are only counted, so the log does not grow per refused connection.

Pure and synchronous (no I/O but logging), so each rule is tested apart from sockets.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

#: How long a peer's refusals go unlogged after one was logged.
LOG_WINDOW_S = 60.0
#: Peers whose last log line :class:`RefusalLog` remembers; past this (a flood from many
#: addresses), new peers share one line per window.
MAX_LOGGED_PEERS = 10_000
#: The key the refusals of peers past :data:`MAX_LOGGED_PEERS` are logged under.
MANY_PEERS = "many addresses"
#: Refusals logged as warnings: a limit was reached, and real panels may be refused too.
_LIMIT_REASONS = frozenset({"address_limit", "connection_limit", "udp_overload"})


def address_key(addr: Any) -> str:
    """The address a peer's connections are counted under: IPv4, or the IPv6 /64."""
    host = str(addr[0]) if isinstance(addr, tuple) and addr else str(addr)
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:  # not an IP address (a Unix socket path): count it as given
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # a dual-stack socket's IPv4 peer
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class AddressCounts:
    """Connections (or datagrams) held now, at most ``per_address`` per address and
    ``total`` in all."""

    def __init__(self, per_address: int, total: int) -> None:
        self.per_address = per_address
        self.limit = total
        self.total = 0
        self._held: dict[str, int] = {}  # only addresses holding something: bounded by total

    def held(self, key: str) -> int:
        """How many ``key`` holds now."""
        return self._held.get(key, 0)

    def take(self, key: str) -> Literal["address", "total"] | None:
        """Take one for ``key``; or which limit refuses it (the address's is checked first,
        so a flooding peer is refused as itself, not as everyone's overload)."""
        held = self._held.get(key, 0)
        if held >= self.per_address:
            return "address"
        if self.total >= self.limit:
            return "total"
        self._held[key] = held + 1
        self.total += 1
        return None

    def release(self, key: str) -> None:
        """Give back one that ``key`` took."""
        held = self._held[key] - 1
        if held:
            self._held[key] = held
        else:
            del self._held[key]
        self.total -= 1


class ConnectionDeadline:
    """When a TCP connection must next have shown progress, and what it was waiting for.

    Progress is a whole frame (or request) received. A connection must make progress
    within ``idle_s`` of the last (or of its start): noise and keep-alives do not count,
    so nothing but frames keeps it open. Once bytes of a frame are held, the frame must
    also be whole within ``frame_s`` of its first byte; later bytes of the same frame do
    not move either deadline.
    """

    def __init__(self, now: float, *, idle_s: float, frame_s: float) -> None:
        self._idle_s = idle_s
        self._frame_s = frame_s
        self._idle_at = now + idle_s
        self._frame_at: float | None = None  # while bytes of a frame are held

    def received(self, now: float, *, finished: int, pending: bool) -> None:
        """Note a read: ``finished`` frames completed by it, ``pending`` whether a started
        frame is still held after it."""
        if finished:
            self._idle_at = now + self._idle_s
        if not pending:
            self._frame_at = None
        elif finished or self._frame_at is None:
            self._frame_at = now + self._frame_s  # the next frame started in this read

    @property
    def at(self) -> float:
        """The loop time by which the next progress is due."""
        if self._frame_at is None:
            return self._idle_at
        return min(self._idle_at, self._frame_at)

    @property
    def _frame_first(self) -> bool:
        return self._frame_at is not None and self._frame_at < self._idle_at

    @property
    def reason(self) -> str:
        """The refusal reason if the deadline passes now."""
        return "frame_timeout" if self._frame_first else "read_timeout"

    @property
    def detail(self) -> str:
        """What the peer failed to do, for the log."""
        if self._frame_first:
            return f"no whole frame within {self._frame_s:g} s of its first byte"
        return f"no whole frame for {self._idle_s:g} s"


@dataclass
class _Logged:
    """When a peer was last logged, and what it was refused since then."""

    at: float
    since: Counter[str] = field(default_factory=Counter)


class RefusalLog:
    """Logs a refused peer at most once per ``window_s``; refusals in between are counted
    and summed up in the peer's next line (the metrics count every one)."""

    def __init__(
        self,
        logger: logging.Logger,
        label: str,
        *,
        window_s: float = LOG_WINDOW_S,
        max_peers: int = MAX_LOGGED_PEERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._label = label
        self._window_s = window_s
        self._max_peers = max_peers
        self._clock = clock
        # Oldest line first: expired entries are dropped from the front.
        self._peers: OrderedDict[str, _Logged] = OrderedDict()

    def refused(self, key: str, reason: str, reply: str, transport: str, detail: str) -> None:
        """Log this refusal of ``key`` unless one was logged within the window."""
        now = self._clock()
        if key not in self._peers and len(self._peers) >= self._max_peers:
            self._forget_expired(now)
            if len(self._peers) >= self._max_peers:
                key = MANY_PEERS
        entry = self._peers.get(key)
        if entry is not None and now - entry.at < self._window_s:
            entry.since[reason] += 1
            return
        earlier = entry.since if entry is not None else Counter[str]()
        self._peers[key] = _Logged(now)
        self._peers.move_to_end(key)
        level = logging.WARNING if reason in _LIMIT_REASONS else logging.INFO
        self._logger.log(
            level,
            "%s %s from %s refused (%s, %s): %s; %s",
            self._label,
            transport,
            key,
            reason,
            reply,
            detail,
            self._summary(earlier),
        )

    def _summary(self, earlier: Counter[str]) -> str:
        """The tail of a line: what went unlogged before it, and for how long the next go."""
        quiet = f"further refusals of this address are only counted for {self._window_s:g} s"
        if not earlier:
            return quiet
        counts = ", ".join(f"{reason} {count}" for reason, count in sorted(earlier.items()))
        return f"{sum(earlier.values())} more since the last line ({counts}); {quiet}"

    def _forget_expired(self, now: float) -> None:
        """Drop the peers whose window has passed (their unlogged counts stay in metrics)."""
        while self._peers:
            key, entry = next(iter(self._peers.items()))
            if now - entry.at < self._window_s:
                return
            del self._peers[key]
