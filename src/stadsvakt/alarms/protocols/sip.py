"""A minimal SIP (RFC 3261) message parser and serialiser; pure, no I/O.

Enough SIP for SCAIP: a request or status line, headers (long and compact names,
folded lines, case-insensitive), Content-Length and the body. Parsing raises only
:class:`~stadsvakt.alarms.protocols.errors.SipError` and its subclasses. A request whose
headers were read but that breaks a rule carries them in the error's ``request``,
so the receiver can still answer 400 with the copied Via, From, To, Call-ID and CSeq.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from stadsvakt.alarms.protocols.errors import SipBodyTooLarge, SipError, SipHeaderTooLarge

Header = tuple[str, str]

#: Bounds on the start line with headers, and on the body (a SCAIP body is a few
#: hundred bytes; its schema's longest elements add up to well under 2 KB).
MAX_HEADER_BYTES = 8192
MAX_BODY_BYTES = 4096

# RFC 3261 section 7.3.3 and the IANA registry: one-letter forms of header names.
COMPACT: dict[str, str] = {
    "a": "Accept-Contact",
    "b": "Referred-By",
    "c": "Content-Type",
    "d": "Request-Disposition",
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "o": "Event",
    "r": "Refer-To",
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",
    "v": "Via",
    "x": "Session-Expires",
}
_SPELLING = {
    name.lower(): name
    for name in (
        *COMPACT.values(),
        "Accept",
        "Allow",
        "CSeq",
        "Expires",
        "Max-Forwards",
        "Retry-After",
        "Server",
        "User-Agent",
        "WWW-Authenticate",
    )
}
#: What a request needs before it can be answered (RFC 3261 section 8.1.1; Max-Forwards
#: is left out because social-alarm units are known to omit it).
REQUIRED = ("Via", "From", "To", "Call-ID", "CSeq")

_TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
_REQUEST_LINE = re.compile(rf"({_TOKEN}) (\S+) SIP/2\.0")
_STATUS_LINE = re.compile(r"SIP/2\.0 ([1-6][0-9]{2}) ?(.*)")
_HEADER_NAME = re.compile(_TOKEN)
_CSEQ = re.compile(rf"([0-9]{{1,10}})\s+({_TOKEN})")
_TAG = re.compile(r";\s*tag=", re.IGNORECASE)


def canonical(name: str) -> str:
    """A header name in its usual spelling; compact forms become long ones."""
    lower = name.lower()
    return COMPACT.get(lower) or _SPELLING.get(lower, name)


@dataclass(frozen=True, slots=True)
class _Message:
    headers: tuple[Header, ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of a header (any spelling, long or compact), or ``None``."""
        wanted = canonical(name)
        return next((value for key, value in self.headers if key == wanted), None)

    def header_values(self, name: str) -> list[str]:
        """Every line of a header, in order (e.g. all Via lines)."""
        wanted = canonical(name)
        return [value for key, value in self.headers if key == wanted]

    @property
    def content_type(self) -> str | None:
        """The media type without parameters, lower-case (``application/scaip+xml``)."""
        value = self.header("Content-Type")
        return value.split(";", 1)[0].strip().lower() if value is not None else None


@dataclass(frozen=True, slots=True)
class SipRequest(_Message):
    """A SIP request: method, Request-URI, headers, body."""

    method: str
    uri: str

    @property
    def cseq(self) -> tuple[int, str] | None:
        """The CSeq number and method, or ``None`` when absent or malformed."""
        match = _CSEQ.fullmatch((self.header("CSeq") or "").strip())
        return (int(match.group(1)), match.group(2)) if match else None


@dataclass(frozen=True, slots=True)
class SipResponse(_Message):
    """A SIP response: status code, reason phrase, headers, body."""

    status: int
    reason: str


def _split_head(data: bytes, max_header: int) -> tuple[str, list[Header], int]:
    """Start line, headers and where the body starts; leading CRLFs are skipped."""
    start = len(data) - len(data.lstrip(b"\r\n"))
    end = data.find(b"\r\n\r\n", start)
    if end < 0:
        if len(data) - start > max_header:
            raise SipHeaderTooLarge(f"no end of headers within {max_header} bytes")
        raise SipError("headers do not end with an empty line")
    if end - start > max_header:
        raise SipHeaderTooLarge(f"headers over {max_header} bytes")
    try:
        text = data[start:end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SipError("headers are not UTF-8") from exc
    start_line, *lines = text.split("\r\n")
    headers: list[Header] = []
    for line in lines:
        if line[:1] in (" ", "\t") and headers:  # a folded continuation line
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        name = name.strip()
        if not colon or not _HEADER_NAME.fullmatch(name):
            raise SipError(f"not a header line: {line[:40]!r}")
        headers.append((canonical(name), value.strip()))
    return start_line, headers, end + 4


def content_length(headers: Sequence[Header]) -> int | None:
    """The Content-Length, ``None`` when absent; a malformed one is an error."""
    value = next((v for k, v in headers if k == "Content-Length"), None)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise SipError(f"Content-Length is not a number: {value[:20]!r}")
    return int(value)


def parse_request_head(data: bytes, *, max_header: int = MAX_HEADER_BYTES) -> SipRequest:
    """The start line and headers of a request, without its body."""
    start_line, headers, _ = _split_head(data, max_header)
    match = _REQUEST_LINE.fullmatch(start_line)
    if match is None:
        raise SipError(f"not a SIP/2.0 request line: {start_line[:60]!r}")
    return SipRequest(tuple(headers), b"", match.group(1).upper(), match.group(2))


def parse_request(
    data: bytes,
    *,
    max_header: int = MAX_HEADER_BYTES,
    max_body: int = MAX_BODY_BYTES,
) -> SipRequest:
    """A whole request; a missing Content-Length means "the rest" (one UDP datagram)."""
    head = parse_request_head(data, max_header=max_header)
    _, headers, offset = _split_head(data, max_header)
    try:
        length = content_length(headers)
    except SipError as exc:
        raise SipError(exc.detail, request=head) from exc
    rest = data[offset:]
    if length is None:
        length = len(rest)
    if length > max_body:
        raise SipBodyTooLarge(f"body of {length} bytes is over {max_body}", request=head)
    if len(rest) < length:
        raise SipError(f"body has {len(rest)} of {length} bytes", request=head)
    missing = [name for name in REQUIRED if head.header(name) is None]
    if missing:
        raise SipError(f"missing header(s): {', '.join(missing)}", request=head)
    cseq = head.cseq
    if cseq is None or cseq[1].upper() != head.method:
        raise SipError(f"CSeq does not match the method {head.method}", request=head)
    return SipRequest(head.headers, rest[:length], head.method, head.uri)


def parse_response(data: bytes, *, max_header: int = MAX_HEADER_BYTES) -> SipResponse:
    """A whole response (as the simulator reads the receiver's answers)."""
    start_line, headers, offset = _split_head(data, max_header)
    match = _STATUS_LINE.fullmatch(start_line)
    if match is None:
        raise SipError(f"not a SIP/2.0 status line: {start_line[:60]!r}")
    rest = data[offset:]
    length = content_length(headers)
    if length is not None and len(rest) < length:
        raise SipError(f"body has {len(rest)} of {length} bytes")
    body = rest if length is None else rest[:length]
    return SipResponse(tuple(headers), body, int(match.group(1)), match.group(2))


def _serialise(start_line: str, headers: Iterable[Header], body: bytes) -> bytes:
    lines = [start_line]
    lines.extend(f"{name}: {value}" for name, value in headers if name != "Content-Length")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def build_request(method: str, uri: str, headers: Iterable[Header], body: bytes = b"") -> bytes:
    """A request's bytes; Content-Length is computed from the body."""
    return _serialise(f"{method} {uri} SIP/2.0", headers, body)


def _with_tag(to: str, tag: str | None) -> str:
    return to if tag is None or _TAG.search(to) else f"{to};tag={tag}"


def build_response(
    request: SipRequest,
    status: int,
    reason: str,
    *,
    body: bytes = b"",
    extra: Iterable[Header] = (),
    to_tag: str | None = None,
    received: str | None = None,
) -> bytes:
    """The response to ``request`` (RFC 3261 section 8.2.6).

    Via lines, From, Call-ID and CSeq are copied; To is copied with ``to_tag``
    added unless it has a tag already. ``received`` (the packet's source address)
    is added to the top Via when the host there differs, as section 18.2.1 asks.
    """
    headers: list[Header] = []
    vias = request.header_values("Via")
    for index, via in enumerate(vias):
        headers.append(("Via", _mark_received(via, received) if index == 0 else via))
    for name in ("From", "To", "Call-ID", "CSeq"):
        value = request.header(name)
        if value is not None:
            headers.append((name, _with_tag(value, to_tag) if name == "To" else value))
    headers.extend(extra)
    return _serialise(f"SIP/2.0 {status} {reason}", headers, body)


def _mark_received(via: str, received: str | None) -> str:
    """The top Via value with ``;received=`` when its sent-by host is not the source."""
    if received is None or "," in via or ";received=" in via.lower():
        return via
    sent_by = via.split(";", 1)[0].split()
    host = sent_by[-1].rsplit(":", 1)[0].strip("[]") if len(sent_by) == 2 else ""
    return via if host == received else f"{via};received={received}"
