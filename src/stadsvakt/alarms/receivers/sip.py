"""The SCAIP receiver: asyncio SIP servers over UDP and TCP in front of :class:`ScaipHandler`.

TCP is framed explicitly (headers up to the empty line, then Content-Length bytes,
:class:`SipStreamBuffer`): several requests in one segment and one request over many
segments both work; headers and body are bounded; a connection that sends nothing
for ``read_timeout_s`` (or does not finish a started request within it) is closed,
and at most ``max_connections`` are served at once. Requests on one connection are
answered in order; connections are independent, so a slow or hostile peer only
holds its own. UDP takes one request per datagram, with a bound on datagrams in
flight, and answers to the datagram's source address (units are often behind NAT).

:meth:`ScaipReceiver.serve` runs everything in one :class:`asyncio.TaskGroup` and
stops when cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.lookup import TransmitterDirectory
from stadsvakt.alarms.metrics import REGISTRY, SIP_CONNECTIONS, Metrics
from stadsvakt.alarms.protocols.sip import MAX_BODY_BYTES, MAX_HEADER_BYTES
from stadsvakt.alarms.protocols.sip_framing import SipStreamBuffer
from stadsvakt.alarms.receivers.scaip_handler import ScaipHandler, bare_response
from stadsvakt.alarms.receivers.writer import AlarmWriter
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.db import utcnow
from stadsvakt.settings import AlarmSettings

log = logging.getLogger(__name__)

_READ_CHUNK = 4096
#: UDP datagrams handled at once before new ones are dropped (the unit re-sends).
UDP_IN_FLIGHT = 1000


class ScaipReceiver:
    """UDP and TCP SIP servers sharing one handler, directory and writer."""

    def __init__(
        self,
        settings: AlarmSettings,
        factory: sessionmaker[Session],
        box: SecretBox,
        *,
        metrics: Metrics = REGISTRY,
        clock: Callable[[], datetime] = utcnow,
        max_header: int = MAX_HEADER_BYTES,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.directory = TransmitterDirectory(factory, box)
        self.writer = AlarmWriter(factory, metrics, batch=settings.write_batch)
        self.handler = ScaipHandler(
            self.directory,
            self.writer,
            metrics,
            clock=clock,
            max_header=max_header,
            max_body=max_body,
        )
        self.tcp_port: int | None = None
        self.udp_port: int | None = None
        self.ready = asyncio.Event()
        self._connections: set[asyncio.Task[Any]] = set()
        self._datagrams: set[asyncio.Task[None]] = set()

    def describe(self) -> str:
        """Where it listens, for the console."""
        s = self.settings
        transports = "/".join(t for t, on in (("UDP", s.sip_udp), ("TCP", s.sip_tcp)) if on)
        return f"SCAIP receiver (SIP over {transports}) on {s.sip_host}:{s.sip_port}"

    async def serve(self) -> None:
        """Listen until cancelled; :attr:`ready` is set once the sockets are bound."""
        await asyncio.to_thread(self.directory.refresh)
        settings = self.settings
        server: asyncio.Server | None = None
        transport: asyncio.DatagramTransport | None = None
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self.writer.run(), name="sip-writer")
            tasks.create_task(self.directory.run(), name="sip-directory")
            try:
                if settings.sip_tcp:
                    server = await asyncio.start_server(
                        self._on_connection, settings.sip_host, settings.sip_port
                    )
                    self.tcp_port = server.sockets[0].getsockname()[1]
                if settings.sip_udp:
                    transport = await self._bind_udp()
                    self.udp_port = transport.get_extra_info("sockname")[1]
                log.info(
                    "SCAIP receiver on %s: UDP %s, TCP %s",
                    settings.sip_host,
                    self.udp_port,
                    self.tcp_port,
                )
                self.ready.set()
                await asyncio.Event().wait()  # until cancelled
            finally:
                if server is not None:
                    server.close()
                if transport is not None:
                    transport.close()
                for task in (*self._connections, *self._datagrams):
                    task.cancel()

    async def _bind_udp(self) -> asyncio.DatagramTransport:
        loop = asyncio.get_running_loop()
        host, port = self.settings.sip_host, self.settings.sip_port
        if port == 0 and self.tcp_port:
            # Port 0 with both transports: UDP tries the port TCP was given, so one
            # number serves both (as SIP expects); any free port if that one is taken.
            try:
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: _Datagrams(self), local_addr=(host, self.tcp_port)
                )
                return transport
            except OSError:
                pass
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self), local_addr=(host, port)
        )
        return transport

    # --- TCP -----------------------------------------------------------------------------

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is None:  # start_server always runs this in a task
            raise RuntimeError("connection handler outside a task")
        address = writer.get_extra_info("peername")
        peer = _peer(address)
        self._connections.add(task)
        self.metrics.set(SIP_CONNECTIONS, len(self._connections))
        try:
            if len(self._connections) > self.settings.max_connections:
                self.handler.reject(
                    "connection_limit", "close", "tcp", peer, "too many connections"
                )
                return
            await self._serve_connection(reader, writer, peer, _host(address))
        except (ConnectionError, TimeoutError) as exc:
            log.debug("sip tcp %s: connection ended: %r", peer, exc)
        except Exception:  # one peer's trouble must never reach the others
            log.exception("sip tcp %s: handler failed; connection closed", peer)
        finally:
            self._connections.discard(task)
            self.metrics.set(SIP_CONNECTIONS, len(self._connections))
            writer.close()

    async def _serve_connection(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        peer: str,
        host: str | None,
    ) -> None:
        loop = asyncio.get_running_loop()
        timeout = self.settings.read_timeout_s
        handler = self.handler
        buffer = SipStreamBuffer(handler.max_header, handler.max_body)
        deadline: float | None = None  # a started request must be complete by then
        while not buffer.broken:
            wait = timeout if deadline is None else deadline - loop.time()
            try:
                async with asyncio.timeout(max(wait, 0.0)):
                    data = await reader.read(_READ_CHUNK)
            except TimeoutError:
                reason = "idle" if deadline is None else "incomplete request"
                handler.reject("read_timeout", "close", "tcp", peer, reason)
                return
            if not data:
                return
            replies: list[bytes] = []
            for item in buffer.feed(data):
                if isinstance(item, bytes):
                    reply = await handler.handle(item, "tcp", peer, host)
                else:
                    reply = handler.refuse(item, "tcp", peer, host)
                    if reply is None and buffer.broken:
                        # Nothing to copy headers from: a bare status before closing.
                        reply = bare_response(item.status)
                if reply is not None:
                    replies.append(reply)
            if not buffer.pending:
                deadline = None
            elif deadline is None:
                deadline = loop.time() + timeout
            if replies:
                writer.write(b"".join(replies))
                async with asyncio.timeout(timeout):
                    await writer.drain()

    # --- UDP -----------------------------------------------------------------------------

    def datagram(self, data: bytes, addr: Any, transport: asyncio.DatagramTransport) -> None:
        """Handle one datagram in its own task (bounded; excess is dropped and counted)."""
        if len(self._datagrams) >= UDP_IN_FLIGHT:
            self.handler.reject(
                "udp_overload", "drop", "udp", _peer(addr), "too many datagrams in flight"
            )
            return
        task = asyncio.get_running_loop().create_task(self._on_datagram(data, addr, transport))
        self._datagrams.add(task)
        task.add_done_callback(self._datagrams.discard)

    async def _on_datagram(
        self, data: bytes, addr: Any, transport: asyncio.DatagramTransport
    ) -> None:
        peer = _peer(addr)
        try:
            if not data.strip(b"\r\n"):  # a keep-alive (RFC 5626): nothing to answer
                return
            reply = await self.handler.handle(data, "udp", peer, _host(addr))
            if reply is not None and not transport.is_closing():
                transport.sendto(reply, addr)
        except Exception:  # one datagram's trouble must never reach the others
            log.exception("sip udp %s: handler failed", peer)


class _Datagrams(asyncio.DatagramProtocol):
    """Passes datagrams to the receiver."""

    def __init__(self, receiver: ScaipReceiver) -> None:
        self._receiver = receiver
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self._transport is not None:
            self._receiver.datagram(data, addr, self._transport)

    def error_received(self, exc: Exception) -> None:
        log.debug("sip udp: %r", exc)


def _peer(addr: Any) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        return f"{addr[0]}:{addr[1]}"
    return str(addr)


def _host(addr: Any) -> str | None:
    """The source IP address, for the ``received`` parameter of the top Via."""
    return str(addr[0]) if isinstance(addr, tuple) and addr else None
