"""One SIP request in, one SIP response out: parse, look up, store, then answer 200 OK.

A SCAIP alarm is committed before its 200 OK (with an ``<mrs>``, ``<snu>`` 0) is
sent; a re-sent message (same transmitter, ``<ref>`` and body) is recognised by its
dedup key and answered OK again without a second alarm. Heartbeats (``PI``) only
note the transmitter's last-seen time. Refusals, each counted in
``stadsvakt_scaip_rejected_total{reason,status,transport}`` and logged:

* SIP that cannot be parsed: 400 (dropped on UDP when not even the request line is
  readable, as answering noise would make the receiver an amplifier);
* a method other than MESSAGE and OPTIONS: 405 (501 for methods SIP does not define),
  with Allow; a body that is not ``application/scaip+xml``: 415 with Accept;
* a body over the limit: 413; headers over the limit: 513;
* a body that is not well-formed XML, or declares a DTD or entities: 400;
* a well-formed ``<mrq>`` breaking SCAIP: 200 with ``<snu>`` 7 (mandatory tag
  missing) or 3 (wrong data content), as SCAIP reports content errors;
* a ``<cid>`` not registered as a ``scaip`` transmitter (the registry read once more
  first, so a unit registered a moment ago is served): 403;
* the database unavailable: 503 with Retry-After, so the unit sends again.

An ``<mrq>`` the receiver cannot turn into an alarm as it is (a value no column holds,
a code table's own failure) is stored as unreadable, with the message kept, and
answered 200 OK: refused, the unit would send it again forever.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime

from stadsvakt.alarms.lookup import KnownTransmitter, TransmitterDirectory
from stadsvakt.alarms.metrics import SCAIP_MESSAGES, SCAIP_REJECTED, Metrics
from stadsvakt.alarms.models import TransmitterProtocol
from stadsvakt.alarms.normalise import AlarmRecord, Envelope, Source, from_event, unreadable
from stadsvakt.alarms.protocols import scaip_codes
from stadsvakt.alarms.protocols.errors import (
    MalformedContent,
    ScaipContentError,
    ScaipError,
    SipError,
)
from stadsvakt.alarms.protocols.scaip import (
    CONTENT_TYPE,
    ScaipRequest,
    StatusNumber,
    build_mrs,
    parse_mrq,
)
from stadsvakt.alarms.protocols.sip import (
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    Header,
    SipRequest,
    build_response,
    parse_request,
)
from stadsvakt.alarms.receivers.writer import AlarmWriter
from stadsvakt.alarms.store import describe
from stadsvakt.db import utcnow

log = logging.getLogger(__name__)

ALLOW = "MESSAGE, OPTIONS"
#: Seconds a unit is asked to wait before sending again when storage failed.
RETRY_AFTER_S = 5
REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    501: "Not Implemented",
    503: "Service Unavailable",
    513: "Message Too Large",
}
# RFC 3261 and its extensions; other methods are answered 501, these 405.
_SIP_METHODS = frozenset(
    "INVITE ACK BYE CANCEL REGISTER OPTIONS INFO PRACK SUBSCRIBE NOTIFY UPDATE MESSAGE"
    " REFER PUBLISH".split()
)
_SCAIP_HEADERS: tuple[Header, ...] = (("Content-Type", CONTENT_TYPE),)


class ScaipHandler:
    """Turns SIP requests into responses; shared by the TCP and UDP transports."""

    def __init__(
        self,
        directory: TransmitterDirectory,
        writer: AlarmWriter,
        metrics: Metrics,
        *,
        clock: Callable[[], datetime] = utcnow,
        max_header: int = MAX_HEADER_BYTES,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self._directory = directory
        self._writer = writer
        self._metrics = metrics
        self._clock = clock
        self.max_header = max_header
        self.max_body = max_body

    def reject(self, reason: str, status: str, transport: str, peer: str, detail: str) -> None:
        """Count and log a refused request or connection."""
        self._metrics.inc(SCAIP_REJECTED, reason=reason, status=status, transport=transport)
        log.info("sip %s from %s refused (%s, %s): %s", transport, peer, reason, status, detail)

    def refuse(self, error: SipError, transport: str, peer: str, host: str | None) -> bytes | None:
        """The response to a request SIP parsing or framing refused (``None``: no answer)."""
        request = error.request if isinstance(error.request, SipRequest) else None
        if request is None or request.method == "ACK":
            self.reject(error.reason, "drop", transport, peer, error.detail)
            return None
        return self._respond(
            request, error.status, error.reason, transport, peer, host, error.detail
        )

    async def handle(
        self, data: bytes, transport: str, peer: str, host: str | None
    ) -> bytes | None:
        """The response to one request; returns only after any alarm in it is committed."""
        try:
            request = parse_request(data, max_header=self.max_header, max_body=self.max_body)
        except SipError as exc:
            return self.refuse(exc, transport, peer, host)
        if request.method == "ACK":  # an ACK is never answered (RFC 3261 section 17)
            return None
        if request.method == "OPTIONS":
            options = (("Allow", ALLOW), ("Accept", CONTENT_TYPE))
            return self._reply(request, 200, host, extra=options)
        if request.method != "MESSAGE":
            status = 405 if request.method in _SIP_METHODS else 501
            detail = f"method {request.method[:20]}"
            return self._respond(
                request, status, "method", transport, peer, host, detail, (("Allow", ALLOW),)
            )
        if request.content_type != CONTENT_TYPE:
            detail = f"Content-Type {request.content_type!r}"
            extra = (("Accept", CONTENT_TYPE),)
            return self._respond(request, 415, "content_type", transport, peer, host, detail, extra)
        return await self._message(request, data, transport, peer, host)

    async def _message(
        self, request: SipRequest, data: bytes, transport: str, peer: str, host: str | None
    ) -> bytes:
        now = self._clock()
        try:
            mrq = parse_mrq(request.body)
        except ScaipContentError as exc:
            self.reject(exc.reason, "200", transport, peer, exc.detail)
            snu = StatusNumber.WRONG_DATA_CONTENT if exc.snu is None else exc.snu
            return self._reply(request, 200, host, build_mrs(exc.ref, snu, exc.detail))
        except ScaipError as exc:
            return self._respond(request, 400, exc.reason, transport, peer, host, exc.detail)
        known = self._directory.find(mrq.cid, "0", "0")
        if known is None or known.protocol != TransmitterProtocol.SCAIP.value:
            # Registered a moment ago? Read the registry again before refusing.
            await self._directory.recheck()
            known = self._directory.find(mrq.cid, "0", "0")
        if known is None or known.protocol != TransmitterProtocol.SCAIP.value:
            detail = f"cid {mrq.cid} is not a registered SCAIP transmitter"
            return self._respond(request, 403, "unknown_device", transport, peer, host, detail)
        self._metrics.inc(SCAIP_MESSAGES, transport=transport, type=mrq.message_type.value)
        if mrq.heartbeat:
            self._writer.seen(known.id, now)
            return self._reply(request, 200, host, build_mrs(mrq.ref, 0))
        try:
            await self._writer.store([self._record(request, mrq, known, data, now)])
        except Exception as exc:  # the database is unavailable: the unit must send again
            detail = f"alarm not stored: {describe(exc)}"
            extra = (("Retry-After", str(RETRY_AFTER_S)),)
            return self._respond(request, 503, "storage", transport, peer, host, detail, extra)
        return self._reply(request, 200, host, build_mrs(mrq.ref, 0))

    def _record(
        self,
        request: SipRequest,
        mrq: ScaipRequest,
        known: KnownTransmitter,
        data: bytes,
        now: datetime,
    ) -> AlarmRecord:
        envelope = Envelope(
            source=Source(known.tenant_id, known.site_id, known.id),
            protocol="scaip",
            account=mrq.cid,
            # The column holds 8 characters; the full reference is in the payload and text.
            sequence=mrq.ref[:8],
            received_at=now,
            event_time=None,
            encrypted=False,
            payload=request.body.decode("utf-8", "replace"),
            raw=data,
        )
        try:
            return from_event(scaip_codes.event(mrq), envelope, 0)
        except MalformedContent as exc:
            return unreadable(exc.detail, envelope)
        except Exception as exc:  # a code table's own failure: the message is still kept
            log.warning("scaip cid %s: message not mapped: %s", mrq.cid, describe(exc))
            return unreadable(f"the parser failed ({type(exc).__name__})", envelope)

    def _respond(
        self,
        request: SipRequest,
        status: int,
        reason: str,
        transport: str,
        peer: str,
        host: str | None,
        detail: str,
        extra: tuple[Header, ...] = (),
    ) -> bytes:
        self.reject(reason, str(status), transport, peer, detail)
        return self._reply(request, status, host, extra=extra)

    def _reply(
        self,
        request: SipRequest,
        status: int,
        host: str | None,
        body: bytes = b"",
        *,
        extra: tuple[Header, ...] = (),
    ) -> bytes:
        headers = (*extra, *_SCAIP_HEADERS) if body else extra
        return build_response(
            request,
            status,
            REASONS[status],
            body=body,
            extra=headers,
            to_tag=_to_tag(request),
            received=host,
        )


def bare_response(status: int) -> bytes:
    """A response without copied headers, for a stream that cannot be parsed."""
    return f"SIP/2.0 {status} {REASONS.get(status, 'Error')}\r\nContent-Length: 0\r\n\r\n".encode()


def _to_tag(request: SipRequest) -> str:
    """A To tag that is the same for a retransmission of the same request."""
    seed = "|".join(request.header(name) or "" for name in ("Call-ID", "From", "CSeq"))
    return hashlib.sha256(seed.encode("utf-8", "replace")).hexdigest()[:12]
