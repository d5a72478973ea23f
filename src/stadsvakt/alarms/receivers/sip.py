"""The SCAIP receiver: asyncio SIP servers over UDP and TCP in front of :class:`ScaipHandler`.

TCP is framed explicitly (headers up to the empty line, then Content-Length bytes,
:class:`SipStreamBuffer`): several requests in one segment and one request over many
segments both work; headers and body are bounded. Requests on one connection are
answered in order. UDP takes one request per datagram and answers to its source
address (units are often behind NAT); with port 0 it takes the port TCP was given.
The read loop and its deadlines (a whole request within ``frame_timeout_s`` of its
first byte, a request at least every ``read_timeout_s``: CRLF keep-alives do not
count), the per-address and total limits on connections and datagrams in flight,
``serve()`` and shutdown are
:class:`~stadsvakt.alarms.receivers._server.SocketReceiver`'s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.metrics import REGISTRY, SCAIP_REJECTED, SIP_CONNECTIONS, Metrics
from stadsvakt.alarms.protocols.sip import MAX_BODY_BYTES, MAX_HEADER_BYTES
from stadsvakt.alarms.protocols.sip_framing import SipStreamBuffer
from stadsvakt.alarms.receivers._server import Received, SocketReceiver
from stadsvakt.alarms.receivers.scaip_handler import ScaipHandler, bare_response
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.db import utcnow
from stadsvakt.settings import AlarmSettings


class ScaipReceiver(SocketReceiver[ScaipHandler]):
    """UDP and TCP SIP servers sharing one handler, directory and writer."""

    label: ClassVar[str] = "sip"
    logger: ClassVar[logging.Logger] = logging.getLogger(__name__)
    connections_gauge: ClassVar[str] = SIP_CONNECTIONS
    rejected_counter: ClassVar[str] = SCAIP_REJECTED
    reply_label: ClassVar[str] = "status"
    listening: ClassVar[str] = "SCAIP receiver on %(host)s: UDP %(udp)s, TCP %(tcp)s"

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
        super().__init__(settings, factory, box, metrics)
        self.handler = ScaipHandler(
            self.directory,
            self.writer,
            metrics,
            clock=clock,
            max_header=max_header,
            max_body=max_body,
        )

    def describe(self) -> str:
        """Where it listens, for the console."""
        s = self.settings
        transports = "/".join(t for t, on in (("UDP", s.sip_udp), ("TCP", s.sip_tcp)) if on)
        return f"SCAIP receiver (SIP over {transports}) on {s.sip_host}:{s.sip_port}"

    def _endpoint(self) -> tuple[str, int, bool, bool]:
        s = self.settings
        return s.sip_host, s.sip_port, s.sip_tcp, s.sip_udp

    async def _bind_udp(self, host: str, port: int) -> asyncio.DatagramTransport:
        if port == 0 and self.tcp_port:
            # Port 0 with both transports: UDP tries the port TCP was given, so one
            # number serves both (as SIP expects); any free port if that one is taken.
            try:
                return await self._datagram_endpoint(host, self.tcp_port)
            except OSError:
                pass
        return await self._datagram_endpoint(host, port)

    # --- TCP -----------------------------------------------------------------------------

    def _stream(self, peer: str, address: Any) -> _SipStream:
        return _SipStream(self.handler, peer, _host(address))

    # --- UDP -----------------------------------------------------------------------------

    async def _handle_datagram(
        self, data: bytes, addr: Any, peer: str, transport: asyncio.DatagramTransport
    ) -> None:
        if not data.strip(b"\r\n"):  # a keep-alive (RFC 5626): nothing to answer
            return
        reply = await self.handler.handle(data, "udp", peer, _host(addr))
        if reply is not None and not transport.is_closing():
            transport.sendto(reply, addr)


class _SipStream:
    """One TCP connection's requests, answered in order; lost after a framing error that
    leaves nothing to trust (the connection is closed once the answer is sent)."""

    def __init__(self, handler: ScaipHandler, peer: str, host: str | None) -> None:
        self._handler = handler
        self._peer = peer
        self._host = host
        self._buffer = SipStreamBuffer(handler.max_header, handler.max_body)

    @property
    def pending(self) -> bool:
        """Whether bytes of an unfinished request (or of a body being skipped) are due."""
        return self._buffer.pending > 0

    @property
    def ended(self) -> bool:
        """Whether framing lost the stream."""
        return self._buffer.broken

    async def receive(self, data: bytes) -> Received:
        """The responses to the requests ``data`` completes (an ACK gets none)."""
        handler, buffer = self._handler, self._buffer
        items = buffer.feed(data)
        replies: list[bytes] = []
        for item in items:
            if isinstance(item, bytes):
                reply = await handler.handle(item, "tcp", self._peer, self._host)
            else:
                reply = handler.refuse(item, "tcp", self._peer, self._host)
                if reply is None and buffer.broken:
                    # Nothing to copy headers from: a bare status before closing.
                    reply = bare_response(item.status)
            if reply is not None:
                replies.append(reply)
        return Received(replies, finished=len(items))


def _host(addr: Any) -> str | None:
    """The source IP address, for the ``received`` parameter of the top Via."""
    return str(addr[0]) if isinstance(addr, tuple) and addr else None
