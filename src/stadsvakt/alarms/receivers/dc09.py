"""The SIA DC-09 receiver: asyncio TCP and UDP servers in front of :class:`Dc09Handler`.

TCP is framed explicitly (LF … CR, :class:`FrameBuffer`): several frames in one
segment and one frame over many segments both work, a frame longer than
``max_frame_bytes`` is dropped and answered with NAK, a connection that sends
nothing for ``read_timeout_s`` (or does not finish a started frame within it) is
closed, and at most ``max_connections`` are served at once. Frames on one
connection are answered in order; connections are independent, so a slow or
hostile peer only ever holds its own connection. UDP takes one frame per
datagram, with a bound on datagrams in flight.

:meth:`Dc09Receiver.serve` runs everything in one :class:`asyncio.TaskGroup` and
stops when cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.lookup import TransmitterDirectory
from stadsvakt.alarms.metrics import CONNECTIONS, REGISTRY, Metrics
from stadsvakt.alarms.protocols.dc09.framing import FrameBuffer
from stadsvakt.alarms.protocols.dc09.message import TimestampWindow
from stadsvakt.alarms.protocols.dc09.responses import nak
from stadsvakt.alarms.receivers.handler import Dc09Handler
from stadsvakt.alarms.receivers.writer import AlarmWriter
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.db import utcnow
from stadsvakt.settings import AlarmSettings

log = logging.getLogger(__name__)

_READ_CHUNK = 4096
#: UDP datagrams handled at once before new ones are dropped (the panel re-sends).
UDP_IN_FLIGHT = 1000


class Dc09Receiver:
    """TCP and UDP DC-09 servers sharing one handler, directory and writer."""

    def __init__(
        self,
        settings: AlarmSettings,
        factory: sessionmaker[Session],
        box: SecretBox,
        *,
        metrics: Metrics = REGISTRY,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.directory = TransmitterDirectory(factory, box)
        self.writer = AlarmWriter(factory, metrics, batch=settings.write_batch)
        window = TimestampWindow(
            past=timedelta(seconds=settings.timestamp_past_s),
            future=timedelta(seconds=settings.timestamp_future_s),
        )
        self.handler = Dc09Handler(self.directory, self.writer, metrics, window=window, clock=clock)
        self.clock = clock
        self.tcp_port: int | None = None
        self.udp_port: int | None = None
        self.ready = asyncio.Event()
        self._connections: set[asyncio.Task[Any]] = set()
        self._datagrams: set[asyncio.Task[None]] = set()

    def describe(self) -> str:
        """Where it listens, for the console."""
        s = self.settings
        transports = "/".join(t for t, on in (("TCP", s.dc09_tcp), ("UDP", s.dc09_udp)) if on)
        return f"DC-09 receiver ({transports}) on {s.dc09_host}:{s.dc09_port}"

    async def serve(self) -> None:
        """Listen until cancelled; :attr:`ready` is set once the sockets are bound."""
        await asyncio.to_thread(self.directory.refresh)
        settings = self.settings
        server: asyncio.Server | None = None
        transport: asyncio.DatagramTransport | None = None
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self.writer.run(), name="dc09-writer")
            tasks.create_task(self.directory.run(), name="dc09-directory")
            try:
                if settings.dc09_tcp:
                    server = await asyncio.start_server(
                        self._on_connection, settings.dc09_host, settings.dc09_port
                    )
                    self.tcp_port = server.sockets[0].getsockname()[1]
                if settings.dc09_udp:
                    loop = asyncio.get_running_loop()
                    transport, _ = await loop.create_datagram_endpoint(
                        lambda: _Datagrams(self),
                        local_addr=(settings.dc09_host, settings.dc09_port),
                    )
                    self.udp_port = transport.get_extra_info("sockname")[1]
                log.info(
                    "DC-09 receiver on %s: TCP %s, UDP %s",
                    settings.dc09_host,
                    self.tcp_port,
                    self.udp_port,
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

    # --- TCP -----------------------------------------------------------------------------

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        peer = _peer(writer.get_extra_info("peername"))
        self._connections.add(task)
        self.metrics.set(CONNECTIONS, len(self._connections))
        try:
            if len(self._connections) > self.settings.max_connections:
                self.handler.reject(
                    "connection_limit", "close", "tcp", peer, "too many connections"
                )
                return
            await self._serve_connection(reader, writer, peer)
        except (ConnectionError, TimeoutError) as exc:
            log.debug("dc09 tcp %s: connection ended: %r", peer, exc)
        except Exception:  # one peer's trouble must never reach the others
            log.exception("dc09 tcp %s: handler failed; connection closed", peer)
        finally:
            self._connections.discard(task)
            self.metrics.set(CONNECTIONS, len(self._connections))
            writer.close()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        loop = asyncio.get_running_loop()
        timeout = self.settings.read_timeout_s
        buffer = FrameBuffer(self.settings.max_frame_bytes)
        frame_deadline: float | None = None  # a started frame must end by then
        while True:
            wait = timeout if frame_deadline is None else frame_deadline - loop.time()
            try:
                async with asyncio.timeout(max(wait, 0.0)):
                    data = await reader.read(_READ_CHUNK)
            except TimeoutError:
                reason = "idle" if frame_deadline is None else "incomplete frame"
                self.handler.reject("read_timeout", "close", "tcp", peer, reason)
                return
            if not data:
                return
            oversized = buffer.oversized_frames
            frames = buffer.feed(data)
            replies: list[bytes] = []
            for _ in range(buffer.oversized_frames - oversized):
                self.handler.reject("frame_too_large", "NAK", "tcp", peer, "frame over the limit")
                replies.append(nak(self.clock()))
            for frame in frames:
                replies.append(await self.handler.handle(frame, "tcp", peer))
            if frames or buffer.pending == 0:
                frame_deadline = loop.time() + timeout if buffer.pending else None
            elif frame_deadline is None:
                frame_deadline = loop.time() + timeout
            if replies:
                writer.write(b"".join(replies))
                async with asyncio.timeout(timeout):
                    await writer.drain()

    # --- UDP -----------------------------------------------------------------------------

    def datagram(self, data: bytes, addr: Any, transport: asyncio.DatagramTransport) -> None:
        """Handle one datagram in its own task (bounded; excess is dropped and counted)."""
        peer = _peer(addr)
        if len(self._datagrams) >= UDP_IN_FLIGHT:
            self.handler.reject("udp_overload", "drop", "udp", peer, "too many datagrams in flight")
            return
        task = asyncio.get_running_loop().create_task(
            self._on_datagram(data, addr, peer, transport)
        )
        self._datagrams.add(task)
        task.add_done_callback(self._datagrams.discard)

    async def _on_datagram(
        self, data: bytes, addr: Any, peer: str, transport: asyncio.DatagramTransport
    ) -> None:
        try:
            if len(data) > self.settings.max_frame_bytes:
                self.handler.reject(
                    "frame_too_large", "NAK", "udp", peer, "datagram over the limit"
                )
                transport.sendto(nak(self.clock()), addr)
                return
            frames = FrameBuffer(self.settings.max_frame_bytes).feed(data) or [data]
            for frame in frames:
                transport.sendto(await self.handler.handle(frame, "udp", peer), addr)
        except Exception:  # one datagram's trouble must never reach the others
            log.exception("dc09 udp %s: handler failed", peer)


class _Datagrams(asyncio.DatagramProtocol):
    """Passes datagrams to the receiver."""

    def __init__(self, receiver: Dc09Receiver) -> None:
        self._receiver = receiver
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self._transport is not None:
            self._receiver.datagram(data, addr, self._transport)

    def error_received(self, exc: Exception) -> None:
        log.debug("dc09 udp: %r", exc)


def _peer(addr: Any) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        return f"{addr[0]}:{addr[1]}"
    return str(addr)
