"""The addresses a command listens on, checked before anything starts.

A port that another program holds would otherwise surface deep inside uvicorn or a
receiver's task group, as an exception group with a traceback (or, with several
workers, as a worker dying after the others started). :func:`check_free` binds each
address the way the server will and closes it again, and a failure becomes
:class:`CannotListen`: one line naming the address, what is wrong with it, and the
setting that chooses it.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from stadsvakt.settings import AlarmSettings, ServerSettings, Settings

_LAST_PORT = 65535


@dataclass(frozen=True)
class Listener:
    """One address a command listens on, and the settings that choose it."""

    what: str
    host: str
    port: int
    tcp: bool
    udp: bool
    #: How an operator sets the port and the host, e.g. ``STADSVAKT_DC09_PORT (alarms.dc09_port)``.
    port_setting: str
    host_setting: str
    #: Whether the server binds every address the host name resolves to (asyncio's
    #: ``create_server``) or one socket of the host's family.
    every_address: bool = True


class CannotListen(Exception):
    """An address a command must listen on cannot be bound; ``str()`` is the line to print."""

    def __init__(self, listener: Listener, transport: str, error: OSError) -> None:
        super().__init__(listener, transport, error)
        self.listener = listener
        self.transport = transport
        self.error = error

    def __str__(self) -> str:
        where, code = self.listener, self.error.errno
        address = f"{where.host}:{where.port} ({self.transport})"
        if code == errno.EADDRINUSE:
            return (
                f"{where.what}: port {where.port} ({self.transport}) on {where.host} is already"
                f" in use by another program; stop it or set another port in {where.port_setting}"
            )
        if code in (errno.EACCES, errno.EPERM):
            return (
                f"{where.what}: not allowed to listen on {address} (ports below 1024 need"
                f" privileges); set another port in {where.port_setting}"
            )
        reason = self.error.strerror or str(self.error)
        unresolved = isinstance(self.error, socket.gaierror)
        if unresolved and code == socket.EAI_SERVICE:
            return (
                f"{where.what}: {where.port} is not a port to listen on ({reason});"
                f" set another in {where.port_setting}"
            )
        if unresolved or code == errno.EADDRNOTAVAIL:
            return (
                f"{where.what}: cannot listen on {where.host} ({reason}): it is not a name or"
                f" an address of this machine; check {where.host_setting}"
            )
        return (
            f"{where.what}: cannot listen on {address}: {reason};"
            f" check {where.port_setting} and {where.host_setting}"
        )


def web_listener(server: ServerSettings) -> Listener:
    """The web server's address (``server.host``, ``server.port``)."""
    return Listener(
        what="web server",
        host=server.host,
        port=server.port,
        tcp=True,
        udp=False,
        port_setting="STADSVAKT_SERVER__PORT (server.port, or --port)",
        host_setting="STADSVAKT_SERVER__HOST (server.host, or --host)",
        # One process lets uvicorn bind the host's every address; several workers share
        # one socket of the host's family (stadsvakt.server).
        every_address=server.workers == 1,
    )


def dc09_listener(alarms: AlarmSettings) -> Listener:
    """The DC-09 receiver's address (``alarms.dc09_host``, ``alarms.dc09_port``)."""
    return Listener(
        what="DC-09 receiver",
        host=alarms.dc09_host,
        port=alarms.dc09_port,
        tcp=alarms.dc09_tcp,
        udp=alarms.dc09_udp,
        port_setting="STADSVAKT_DC09_PORT (alarms.dc09_port)",
        host_setting="STADSVAKT_ALARMS__DC09_HOST (alarms.dc09_host)",
    )


def sip_listener(alarms: AlarmSettings) -> Listener:
    """The SCAIP (SIP) receiver's address (``alarms.sip_host``, ``alarms.sip_port``)."""
    return Listener(
        what="SCAIP receiver",
        host=alarms.sip_host,
        port=alarms.sip_port,
        tcp=alarms.sip_tcp,
        udp=alarms.sip_udp,
        port_setting="STADSVAKT_SIP_PORT (alarms.sip_port)",
        host_setting="STADSVAKT_ALARMS__SIP_HOST (alarms.sip_host)",
    )


def serve_listeners(settings: Settings) -> list[Listener]:
    """What ``stadsvakt serve`` listens on: the web server and the enabled receivers
    (the same switches as ``enabled_receivers``)."""
    alarms = settings.alarms
    listeners = [web_listener(settings.server)]
    if alarms.dc09_enabled:
        listeners.append(dc09_listener(alarms))
    if alarms.sip_enabled:
        listeners.append(sip_listener(alarms))
    return listeners


def check_free(listeners: Iterable[Listener]) -> None:
    """Bind each listener's sockets as its server will, and close them again.

    Raises :class:`CannotListen` for the first that fails. Port 0 (any free port) is
    never taken. TCP sockets set ``SO_REUSEADDR`` as uvicorn and asyncio do, so a port
    left in TIME_WAIT by a stopped server still counts as free; no socket sets
    ``SO_REUSEPORT``, so a port another server shares out that way counts as taken.
    """
    for listener in listeners:
        if listener.port == 0:
            continue
        if not 0 < listener.port <= _LAST_PORT:
            # The resolver would take 70000 for 4464 (modulo 65536) without a word.
            out_of_range = socket.gaierror(socket.EAI_SERVICE, "not from 0 to 65535")
            raise CannotListen(listener, "TCP" if listener.tcp else "UDP", out_of_range)
        if listener.tcp:
            _try_tcp(listener)
        if listener.udp:
            _try_udp(listener)


def _addresses(
    listener: Listener, kind: socket.SocketKind
) -> Sequence[tuple[int, tuple[str, int]]]:
    """(family, address) pairs to bind, as the listener's server would pick them."""
    if not listener.every_address:
        # One socket, IPv6 when the host is written as an IPv6 address.
        family = socket.AF_INET6 if ":" in listener.host else socket.AF_INET
        infos = socket.getaddrinfo(listener.host, listener.port, family, kind)
        return [(int(infos[0][0]), (str(infos[0][4][0]), int(infos[0][4][1])))]
    infos = socket.getaddrinfo(listener.host or None, listener.port, 0, kind, 0, socket.AI_PASSIVE)
    return [(int(f), (str(a[0]), int(a[1]))) for f, _, _, _, a in infos]


def _bind(family: int, kind: socket.SocketKind, address: tuple[str, int]) -> None:
    with socket.socket(family, kind) as sock:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            # As asyncio does: an IPv6 socket that leaves IPv4 to its own socket.
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)


def _try_tcp(listener: Listener) -> None:
    """TCP binds every address it is given (``create_server``)."""
    try:
        for family, address in _addresses(listener, socket.SOCK_STREAM):
            _bind(family, socket.SOCK_STREAM, address)
    except OSError as exc:
        raise CannotListen(listener, "TCP", exc) from exc


def _try_udp(listener: Listener) -> None:
    """UDP binds the first address that can be bound (``create_datagram_endpoint``)."""
    try:
        addresses = _addresses(listener, socket.SOCK_DGRAM)
    except OSError as exc:
        raise CannotListen(listener, "UDP", exc) from exc
    last: OSError | None = None
    for family, address in addresses:
        try:
            _bind(family, socket.SOCK_DGRAM, address)
            return
        except OSError as exc:
            last = exc
    if last is not None:
        raise CannotListen(listener, "UDP", last) from last
