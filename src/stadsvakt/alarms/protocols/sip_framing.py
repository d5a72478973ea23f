"""Framing SIP over a stream (TCP): headers up to the empty line, then Content-Length bytes.

One ``read()`` is not one message. :class:`SipStreamBuffer` turns arbitrary chunks
into whole messages with bounded memory: headers longer than ``max_header`` break
the stream (nothing after them can be trusted to start a message), a body longer
than ``max_body`` is skipped without being kept and reported, so the connection
carries on with the next message. Over a stream Content-Length is mandatory
(RFC 3261 section 18.3); a message without one breaks the stream too.
"""

from __future__ import annotations

from stadsvakt.alarms.protocols.errors import SipBodyTooLarge, SipError, SipHeaderTooLarge
from stadsvakt.alarms.protocols.sip import (
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    content_length,
    parse_request_head,
)

_END = b"\r\n\r\n"


class SipStreamBuffer:
    """Reassembles SIP messages from a byte stream; pure, no I/O.

    :meth:`feed` returns, in order, each complete message's bytes and a
    :class:`SipError` for each message refused by framing. After an error with
    :attr:`broken` set the stream is lost; the caller answers and closes.
    """

    def __init__(self, max_header: int = MAX_HEADER_BYTES, max_body: int = MAX_BODY_BYTES) -> None:
        self.max_header = max_header
        self.max_body = max_body
        self.broken = False
        self._buf = bytearray()
        self._skip = 0  # bytes of an oversized body still to throw away

    @property
    def pending(self) -> int:
        """Bytes of an unfinished message held or still expected (0 between messages)."""
        return len(self._buf) + self._skip

    def feed(self, data: bytes) -> list[bytes | SipError]:
        """Add received bytes; return the messages (and framing errors) they complete."""
        if self.broken:
            return []
        self._buf += data
        out: list[bytes | SipError] = []
        while not self.broken:
            if self._skip:
                dropped = min(self._skip, len(self._buf))
                del self._buf[:dropped]
                self._skip -= dropped
                if self._skip:
                    break
            # CRLFs between messages are keep-alives (RFC 5626) and are ignored.
            while self._buf[:2] == b"\r\n":
                del self._buf[:2]
            message = self._next()
            if message is None:
                break
            out.append(message)
        return out

    def _next(self) -> bytes | SipError | None:
        end = self._buf.find(_END)
        if end < 0:
            if len(self._buf) > self.max_header:
                error = SipHeaderTooLarge(f"no end of headers in {self.max_header} bytes")
                return self._break(error)
            return None
        head_len = end + len(_END)
        if end > self.max_header:
            return self._break(SipHeaderTooLarge(f"headers over {self.max_header} bytes"))
        try:
            head = parse_request_head(bytes(self._buf[:head_len]), max_header=self.max_header)
            length = content_length(head.headers)
        except SipError as exc:
            return self._break(exc)
        if length is None:
            return self._break(SipError("Content-Length is required over TCP", request=head))
        if length > self.max_body:
            del self._buf[:head_len]
            self._skip = length
            return SipBodyTooLarge(f"body of {length} bytes is over {self.max_body}", request=head)
        if len(self._buf) < head_len + length:
            return None
        message = bytes(self._buf[: head_len + length])
        del self._buf[: head_len + length]
        return message

    def _break(self, error: SipError) -> SipError:
        self.broken = True
        self._buf.clear()
        return error
