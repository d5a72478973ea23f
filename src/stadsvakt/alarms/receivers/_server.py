"""What the socket receivers share: directory, writer, TCP and UDP serving, shutdown.

:class:`AlarmReception` holds the transmitter directory and the alarm writer every
receiver needs and starts their background loops. :class:`SocketReceiver` adds the
servers of the DC-09 and SCAIP receivers, one :class:`asyncio.TaskGroup` in
:meth:`SocketReceiver.serve`, stopped by cancellation.

One peer cannot hold the receiver (the rules are in :mod:`._limits`). TCP takes at
most ``max_connections_per_address`` connections from one address and
``max_connections`` in all (counted in a gauge). One read loop here serves every
connection and closes it when a frame does not arrive whole within
``frame_timeout_s`` of its first byte, when no whole frame comes for
``read_timeout_s``, or when its replies are not read within ``frame_timeout_s``.
UDP handles at most as many datagrams from one address at once, and
:data:`UDP_IN_FLIGHT` in all. Every refusal is counted, and logged once per address
per minute.

A subclass brings its protocol's framing and answers (``_stream``, a :class:`Stream`)
and its answer to a datagram (``_handle_datagram``); one peer's or one datagram's
trouble is logged and never reaches the others.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.lookup import TransmitterDirectory
from stadsvakt.alarms.metrics import Metrics
from stadsvakt.alarms.receivers._limits import (
    AddressCounts,
    ConnectionDeadline,
    RefusalLog,
    address_key,
)
from stadsvakt.alarms.receivers.writer import AlarmWriter
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.settings import AlarmSettings

#: Bytes asked of a TCP stream per read.
READ_CHUNK = 4096
#: UDP datagrams handled at once before new ones are dropped (the sender re-sends).
UDP_IN_FLIGHT = 1000


class Rejects(Protocol):
    """A protocol handler's way of counting and logging a refusal."""

    def reject(self, reason: str, reply: str, transport: str, peer: str, detail: str, /) -> None:
        """Count and log a refused message or connection."""
        ...


H = TypeVar("H", bound=Rejects)


@dataclass(frozen=True, slots=True)
class Received:
    """What one read of a TCP stream gave: the replies to send, in order, and how many
    frames (or requests) it finished, answered or not."""

    replies: list[bytes]
    finished: int


class Stream(Protocol):
    """One TCP connection's framing and answers, driven by :class:`SocketReceiver`."""

    @property
    def pending(self) -> bool:
        """Whether bytes of an unfinished frame are held."""
        ...

    @property
    def ended(self) -> bool:
        """Whether the stream is lost (close once the replies are sent)."""
        ...

    async def receive(self, data: bytes) -> Received:
        """Frame and answer received bytes."""
        ...


class AlarmReception:
    """Settings, metrics, the transmitter directory and the alarm writer of a receiver."""

    #: Prefix of the background tasks' names, e.g. ``dc09`` (``dc09-writer``).
    label: ClassVar[str]

    def __init__(
        self,
        settings: AlarmSettings,
        factory: sessionmaker[Session],
        box: SecretBox,
        metrics: Metrics,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.directory = TransmitterDirectory(factory, box)
        self.writer = AlarmWriter(
            factory, metrics, batch=settings.write_batch, seen_flush_s=settings.seen_flush_s
        )

    def _start_background(self, tasks: asyncio.TaskGroup) -> None:
        """Run the writer and the directory's refresh loop in ``tasks``."""
        tasks.create_task(self.writer.run(), name=f"{self.label}-writer")
        tasks.create_task(self.directory.run(), name=f"{self.label}-directory")


class SocketReceiver(AlarmReception, ABC, Generic[H]):
    """TCP and UDP servers in front of one protocol handler (``handler``)."""

    handler: H
    #: The receiver's logger, so its lines keep the protocol module's name.
    logger: ClassVar[logging.Logger]
    #: Gauge of open TCP connections.
    connections_gauge: ClassVar[str]
    #: Counter of refusals, and the name of its label for the reply (``reply``, ``status``).
    rejected_counter: ClassVar[str]
    reply_label: ClassVar[str]
    #: Logged once bound; ``%(host)s``, ``%(tcp)s`` and ``%(udp)s`` are filled in.
    listening: ClassVar[str]

    def __init__(
        self,
        settings: AlarmSettings,
        factory: sessionmaker[Session],
        box: SecretBox,
        metrics: Metrics,
    ) -> None:
        super().__init__(settings, factory, box, metrics)
        self.tcp_port: int | None = None
        self.udp_port: int | None = None
        self.ready = asyncio.Event()
        self._connections: set[asyncio.Task[Any]] = set()
        self._datagrams: set[asyncio.Task[None]] = set()
        per_address = settings.max_connections_per_address
        self._open = AddressCounts(per_address, settings.max_connections)
        self._in_flight = AddressCounts(per_address, UDP_IN_FLIGHT)
        self.refusals = RefusalLog(self.logger, self.label)

    @abstractmethod
    def _endpoint(self) -> tuple[str, int, bool, bool]:
        """Host, port, and whether TCP and UDP are on."""

    @abstractmethod
    def _stream(self, peer: str, address: Any) -> Stream:
        """The framing and answers of a new TCP connection from ``address``."""

    @abstractmethod
    async def _handle_datagram(
        self, data: bytes, addr: Any, peer: str, transport: asyncio.DatagramTransport
    ) -> None:
        """Answer one datagram."""

    async def serve(self) -> None:
        """Listen until cancelled; :attr:`ready` is set once the sockets are bound."""
        await asyncio.to_thread(self.directory.refresh)
        host, port, tcp, udp = self._endpoint()
        server: asyncio.Server | None = None
        transport: asyncio.DatagramTransport | None = None
        async with asyncio.TaskGroup() as tasks:
            self._start_background(tasks)
            try:
                if tcp:
                    server = await asyncio.start_server(self._on_connection, host, port)
                    self.tcp_port = server.sockets[0].getsockname()[1]
                if udp:
                    transport = await self._bind_udp(host, port)
                    self.udp_port = transport.get_extra_info("sockname")[1]
                self.logger.info(
                    self.listening, {"host": host, "tcp": self.tcp_port, "udp": self.udp_port}
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

    async def _bind_udp(self, host: str, port: int) -> asyncio.DatagramTransport:
        """The UDP socket on ``host`` and ``port``."""
        return await self._datagram_endpoint(host, port)

    async def _datagram_endpoint(self, host: str, port: int) -> asyncio.DatagramTransport:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self), local_addr=(host, port)
        )
        return transport

    def refuse(self, reason: str, reply: str, transport: str, key: str, detail: str) -> None:
        """Count a refused connection or datagram; log it once per address per minute."""
        # Logged before counted: whoever sees the count sees the line too.
        self.refusals.refused(key, reason, reply, transport, detail)
        labels = {"reason": reason, self.reply_label: reply, "transport": transport}
        self.metrics.inc(self.rejected_counter, 1.0, **labels)

    # --- TCP -----------------------------------------------------------------------------

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is None:  # start_server always runs this in a task
            raise RuntimeError("connection handler outside a task")
        address = writer.get_extra_info("peername")
        peer = peer_name(address)
        key = address_key(address)
        self._connections.add(task)
        try:
            if self._admit(key):
                try:
                    await self._serve_connection(reader, writer, peer, address, key)
                finally:
                    self._open.release(key)
                    self.metrics.set(self.connections_gauge, self._open.total)
        except (ConnectionError, TimeoutError) as exc:
            self.logger.debug("%s tcp %s: connection ended: %r", self.label, peer, exc)
        except Exception:  # one peer's trouble must never reach the others
            self.logger.exception("%s tcp %s: handler failed; connection closed", self.label, peer)
        finally:
            self._connections.discard(task)
            if writer.transport.get_write_buffer_size():
                # The peer is not reading: a graceful close would keep the socket and its
                # unsent replies until it does, outside every limit.
                writer.transport.abort()
            else:
                writer.close()

    def _admit(self, key: str) -> bool:
        """Count a new connection from ``key`` in, or refuse it (it is closed unanswered)."""
        over = self._open.take(key)
        if over is None:
            self.metrics.set(self.connections_gauge, self._open.total)
            return True
        if over == "address":
            detail = (
                f"{self._open.per_address} connections from this address are open "
                "(alarms.max_connections_per_address: raise it for panels behind one NAT address)"
            )
            self.refuse("address_limit", "close", "tcp", key, detail)
        else:
            detail = f"{self._open.limit} connections are open (alarms.max_connections)"
            self.refuse("connection_limit", "close", "tcp", key, detail)
        return False

    async def _serve_connection(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        peer: str,
        address: Any,
        key: str,
    ) -> None:
        """Read, frame and answer one connection until it ends, misses its deadline, or its
        stream is lost."""
        loop = asyncio.get_running_loop()
        settings = self.settings
        stream = self._stream(peer, address)
        deadline = ConnectionDeadline(
            loop.time(), idle_s=settings.read_timeout_s, frame_s=settings.frame_timeout_s
        )
        while not stream.ended:
            try:
                async with asyncio.timeout_at(deadline.at):
                    data = await reader.read(READ_CHUNK)
            except TimeoutError:
                self.refuse(deadline.reason, "close", "tcp", key, deadline.detail)
                return
            if not data:
                return
            received = await stream.receive(data)
            if received.replies:
                try:
                    await send_replies(writer, received.replies, settings.frame_timeout_s)
                except TimeoutError:
                    detail = f"replies not read within {settings.frame_timeout_s:g} s"
                    self.refuse("reply_timeout", "close", "tcp", key, detail)
                    return
            # After the answers: time spent storing an alarm is not the peer's to lose.
            deadline.received(loop.time(), finished=received.finished, pending=stream.pending)

    # --- UDP -----------------------------------------------------------------------------

    def datagram(self, data: bytes, addr: Any, transport: asyncio.DatagramTransport) -> None:
        """Handle one datagram in its own task (bounded per address and in all; excess is
        dropped and counted, and the sender re-sends)."""
        key = address_key(addr)
        over = self._in_flight.take(key)
        if over == "address":
            detail = (
                f"{self._in_flight.per_address} datagrams from this address are being handled "
                "(alarms.max_connections_per_address)"
            )
            self.refuse("address_limit", "drop", "udp", key, detail)
            return
        if over == "total":
            self.refuse("udp_overload", "drop", "udp", key, "too many datagrams in flight")
            return
        task = asyncio.get_running_loop().create_task(
            self._on_datagram(data, addr, peer_name(addr), transport)
        )
        self._datagrams.add(task)
        task.add_done_callback(partial(self._datagram_done, key))

    def _datagram_done(self, key: str, task: asyncio.Task[None]) -> None:
        self._datagrams.discard(task)
        self._in_flight.release(key)

    async def _on_datagram(
        self, data: bytes, addr: Any, peer: str, transport: asyncio.DatagramTransport
    ) -> None:
        try:
            await self._handle_datagram(data, addr, peer, transport)
        except Exception:  # one datagram's trouble must never reach the others
            self.logger.exception("%s udp %s: handler failed", self.label, peer)


class _Datagrams(asyncio.DatagramProtocol):
    """Passes datagrams to the receiver."""

    def __init__(self, receiver: SocketReceiver[Any]) -> None:
        self._receiver = receiver
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self._transport is not None:
            self._receiver.datagram(data, addr, self._transport)

    def error_received(self, exc: Exception) -> None:
        self._receiver.logger.debug("%s udp: %r", self._receiver.label, exc)


def peer_name(addr: Any) -> str:
    """A socket address as ``host:port``, for logs."""
    if isinstance(addr, tuple) and len(addr) >= 2:
        return f"{addr[0]}:{addr[1]}"
    return str(addr)


async def send_replies(writer: asyncio.StreamWriter, replies: list[bytes], timeout: float) -> None:
    """Write the replies; wait for them to leave (at most ``timeout``) only when the peer
    is not reading them fast enough, so a reply that went out at once costs no timer."""
    writer.write(b"".join(replies))
    if writer.transport.get_write_buffer_size():
        async with asyncio.timeout(timeout):
            await writer.drain()
