"""The SIA DC-09 receiver: asyncio TCP and UDP servers in front of :class:`Dc09Handler`.

TCP is framed explicitly (LF … CR, :class:`FrameBuffer`): several frames in one
segment and one frame over many segments both work; a frame longer than
``max_frame_bytes`` is dropped and answered with NAK, as is an oversized datagram;
a connection that sends nothing for ``read_timeout_s`` (or does not finish a started
frame within it) is closed. Frames on one connection are answered in order; UDP
takes one frame per datagram. The connection limit, the bound on datagrams in
flight, ``serve()`` and shutdown are
:class:`~stadsvakt.alarms.receivers._server.SocketReceiver`'s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.metrics import CONNECTIONS, REGISTRY, Metrics
from stadsvakt.alarms.protocols.dc09.framing import FrameBuffer
from stadsvakt.alarms.protocols.dc09.message import TimestampWindow
from stadsvakt.alarms.protocols.dc09.responses import nak
from stadsvakt.alarms.receivers._server import READ_CHUNK, SocketReceiver, send_replies
from stadsvakt.alarms.receivers.handler import Dc09Handler
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.db import utcnow
from stadsvakt.settings import AlarmSettings


class Dc09Receiver(SocketReceiver[Dc09Handler]):
    """TCP and UDP DC-09 servers sharing one handler, directory and writer."""

    label: ClassVar[str] = "dc09"
    logger: ClassVar[logging.Logger] = logging.getLogger(__name__)
    connections_gauge: ClassVar[str] = CONNECTIONS
    listening: ClassVar[str] = "DC-09 receiver on %(host)s: TCP %(tcp)s, UDP %(udp)s"

    def __init__(
        self,
        settings: AlarmSettings,
        factory: sessionmaker[Session],
        box: SecretBox,
        *,
        metrics: Metrics = REGISTRY,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(settings, factory, box, metrics)
        window = TimestampWindow(
            past=timedelta(seconds=settings.timestamp_past_s),
            future=timedelta(seconds=settings.timestamp_future_s),
        )
        self.handler = Dc09Handler(self.directory, self.writer, metrics, window=window, clock=clock)
        self.clock = clock

    def describe(self) -> str:
        """Where it listens, for the console."""
        s = self.settings
        transports = "/".join(t for t, on in (("TCP", s.dc09_tcp), ("UDP", s.dc09_udp)) if on)
        return f"DC-09 receiver ({transports}) on {s.dc09_host}:{s.dc09_port}"

    def _endpoint(self) -> tuple[str, int, bool, bool]:
        s = self.settings
        return s.dc09_host, s.dc09_port, s.dc09_tcp, s.dc09_udp

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str, address: Any
    ) -> None:
        loop = asyncio.get_running_loop()
        timeout = self.settings.read_timeout_s
        buffer = FrameBuffer(self.settings.max_frame_bytes)
        frame_deadline: float | None = None  # a started frame must end by then
        while True:
            wait = timeout if frame_deadline is None else frame_deadline - loop.time()
            try:
                async with asyncio.timeout(max(wait, 0.0)):
                    data = await reader.read(READ_CHUNK)
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
                await send_replies(writer, replies, timeout)

    # --- UDP -----------------------------------------------------------------------------

    async def _handle_datagram(
        self, data: bytes, addr: Any, peer: str, transport: asyncio.DatagramTransport
    ) -> None:
        if len(data) > self.settings.max_frame_bytes:
            self.handler.reject("frame_too_large", "NAK", "udp", peer, "datagram over the limit")
            transport.sendto(nak(self.clock()), addr)
            return
        frames = FrameBuffer(self.settings.max_frame_bytes).feed(data) or [data]
        for frame in frames:
            transport.sendto(await self.handler.handle(frame, "udp", peer), addr)
