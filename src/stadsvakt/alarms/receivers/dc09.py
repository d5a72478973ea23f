"""The SIA DC-09 receiver: asyncio TCP and UDP servers in front of :class:`Dc09Handler`.

TCP is framed explicitly (LF … CR, :class:`FrameBuffer`): several frames in one
segment and one frame over many segments both work; a frame longer than
``max_frame_bytes`` is dropped and answered with NAK, as is an oversized datagram.
Frames on one connection are answered in order; UDP takes one frame per datagram.
The read loop and its deadlines (a whole frame within ``frame_timeout_s`` of its
first byte, a frame at least every ``read_timeout_s``), the per-address and total
limits on connections and datagrams in flight, ``serve()`` and shutdown are
:class:`~stadsvakt.alarms.receivers._server.SocketReceiver`'s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.metrics import CONNECTIONS, REGISTRY, REJECTED, Metrics
from stadsvakt.alarms.protocols.dc09.framing import FrameBuffer
from stadsvakt.alarms.protocols.dc09.message import TimestampWindow
from stadsvakt.alarms.protocols.dc09.responses import nak
from stadsvakt.alarms.receivers._server import Received, SocketReceiver
from stadsvakt.alarms.receivers.handler import Dc09Handler
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.db import utcnow
from stadsvakt.settings import AlarmSettings


class Dc09Receiver(SocketReceiver[Dc09Handler]):
    """TCP and UDP DC-09 servers sharing one handler, directory and writer."""

    label: ClassVar[str] = "dc09"
    logger: ClassVar[logging.Logger] = logging.getLogger(__name__)
    connections_gauge: ClassVar[str] = CONNECTIONS
    rejected_counter: ClassVar[str] = REJECTED
    reply_label: ClassVar[str] = "reply"
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

    def _stream(self, peer: str, address: Any) -> _Dc09Stream:
        return _Dc09Stream(self, peer)

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


class _Dc09Stream:
    """One TCP connection's frames, answered in order (a DC-09 stream is never lost:
    the buffer resynchronises on the next LF)."""

    ended = False

    def __init__(self, receiver: Dc09Receiver, peer: str) -> None:
        self._receiver = receiver
        self._peer = peer
        self._buffer = FrameBuffer(receiver.settings.max_frame_bytes)

    @property
    def pending(self) -> bool:
        """Whether bytes of an unfinished frame are held."""
        return self._buffer.pending > 0

    async def receive(self, data: bytes) -> Received:
        """The replies to the frames ``data`` completes: NAK for each oversized one first."""
        buffer, handler = self._buffer, self._receiver.handler
        oversized = buffer.oversized_frames
        frames = buffer.feed(data)
        replies: list[bytes] = []
        for _ in range(buffer.oversized_frames - oversized):
            handler.reject("frame_too_large", "NAK", "tcp", self._peer, "frame over the limit")
            replies.append(nak(self._receiver.clock()))
        for frame in frames:
            replies.append(await handler.handle(frame, "tcp", self._peer))
        return Received(replies, finished=len(replies))
