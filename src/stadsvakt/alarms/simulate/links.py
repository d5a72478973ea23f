"""A panel's connection to a receiver: persistent TCP, or UDP datagrams from its own socket.

Both send one frame and wait for one reply frame (LF … CR). A TCP reply is framed
explicitly (:class:`FrameBuffer`), since one ``read()`` is not one frame.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol

from stadsvakt.alarms.protocols.dc09.framing import FrameBuffer

_READ_CHUNK = 4096


class Link(Protocol):
    """One panel's path to the receiver."""

    async def exchange(self, frame: bytes, timeout: float) -> bytes:
        """Send ``frame`` and return the next reply; raise ``TimeoutError`` or ``OSError``."""
        ...

    def close(self) -> None:
        """Release the socket."""
        ...


class TcpLink:
    """A persistent TCP connection, opened on first use and after :meth:`close`."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._buffer = FrameBuffer()
        self._replies: deque[bytes] = deque()

    async def exchange(self, frame: bytes, timeout: float) -> bytes:
        """Send one frame and read one reply frame."""
        async with asyncio.timeout(timeout):
            if self._writer is None or self._reader is None:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            self._writer.write(frame)
            await self._writer.drain()
            while not self._replies:
                data = await self._reader.read(_READ_CHUNK)
                if not data:
                    self.close()
                    raise ConnectionResetError("the receiver closed the connection")
                self._replies.extend(self._buffer.feed(data))
            return self._replies.popleft()

    def close(self) -> None:
        """Close the connection; a late reply on it can then never be taken for the next one."""
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
        self._buffer = FrameBuffer()
        self._replies.clear()


class _Inbox(asyncio.DatagramProtocol):
    """Collects reply datagrams."""

    def __init__(self) -> None:
        self.replies: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.replies.put_nowait(data)


class UdpLink:
    """A UDP socket of the panel's own, connected to the receiver's address."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._transport: asyncio.DatagramTransport | None = None
        self._inbox: _Inbox | None = None

    async def exchange(self, frame: bytes, timeout: float) -> bytes:
        """Send one datagram and wait for the reply datagram."""
        if self._transport is None or self._inbox is None:
            loop = asyncio.get_running_loop()
            transport, inbox = await loop.create_datagram_endpoint(
                _Inbox, remote_addr=(self.host, self.port)
            )
            self._transport, self._inbox = transport, inbox
        while not self._inbox.replies.empty():  # a late reply to an earlier try
            self._inbox.replies.get_nowait()
        self._transport.sendto(frame)
        async with asyncio.timeout(timeout):
            return await self._inbox.replies.get()

    def close(self) -> None:
        """Close the socket."""
        if self._transport is not None:
            self._transport.close()
        self._transport = self._inbox = None


def open_link(transport: str, host: str, port: int) -> Link:
    """A TCP or UDP link (``transport`` is ``"tcp"`` or ``"udp"``)."""
    if transport == "udp":
        return UdpLink(host, port)
    if transport == "tcp":
        return TcpLink(host, port)
    raise ValueError(f"transport must be tcp or udp, not {transport!r}")
