"""SCAIP messages (SS 91100:2014, CLC/TS 50134-9): the ``<mrq>`` request and ``<mrs>`` response.

A social-alarm unit sends one ``<mrq>`` (message request) as the body of a SIP
MESSAGE with Content-Type ``application/scaip+xml``; the receiver answers 200 OK
with an ``<mrs>`` (message response) that echoes ``<ref>`` and carries a status
number ``<snu>`` (0 = OK).

Elements used here: ``ref`` reference (1–16 letters or digits, echoed), ``cid``
controller id (1–16 digits), ``mty`` message type (ME alarm, RE reset, IN information,
PI heartbeat), ``dty`` device type, ``stc`` status code, ``dco`` device component
(button 1 …), ``did`` device id on the controller, ``lco`` location code (kitchen …),
``crd`` caller id for the voice path (``gsm:+46…``), ``pri`` priority (0 unspecified),
``ver`` version (``01.00``), the texts ``dte``, ``stt``, ``lte``, ``ite``, and ``lge``
(position). The code tables are in :mod:`.scaip_codes`.

Bodies are parsed with ``defusedxml``: a DTD (and so any entity, internal or
external) is refused before anything is expanded. Parsing raises only the
:class:`~stadsvakt.alarms.protocols.errors.ScaipError` family. Unknown elements are
ignored (later versions add some); known ones must match the schema's patterns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from stadsvakt.alarms.protocols.errors import (
    ScaipBadContent,
    ScaipError,
    ScaipMissingTag,
    ScaipXmlForbidden,
)

CONTENT_TYPE = "application/scaip+xml"
#: More elements than any real ``<mrq>`` has (about 25 kinds); bounds the work per message.
MAX_ELEMENTS = 64


class MessageType(StrEnum):
    """``<mty>``: what the message is."""

    ALARM = "ME"  # an alarm or event
    RESET = "RE"  # the alarm is withdrawn
    INFORMATION = "IN"  # more about an alarm already sent
    HEARTBEAT = "PI"  # supervision: the unit is alive


class StatusNumber(IntEnum):
    """``<snu>`` in the response."""

    OK = 0
    MESSAGE_TOO_LONG = 1
    INVALID_FORMAT = 2
    WRONG_DATA_CONTENT = 3
    HOLD = 4
    NOT_TREATED = 5
    BUSY = 6
    MANDATORY_TAG_MISSING = 7


_TEXT = r"[^\x00-\x08\x0b\x0c\x0e-\x1f]{1,256}"
_PATTERNS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "ref": r"[0-9A-Za-z]{1,16}",
        "ver": r"[0-9]{2}\.[0-9]{2}",
        "sco": r"[0-3]",
        "cha": r"[0-9]",
        "mty": r"ME|RE|IN|PI",
        "hbo": r"[0-3]",
        "cid": r"[0-9]{1,16}",
        "dty": r"[0-9]{1,4}",
        "did": _TEXT,
        "dco": r"[0-9]{1,3}",
        "dte": _TEXT,
        "crd": _TEXT,
        "stc": r"[0-9]{1,4}",
        "stt": _TEXT,
        "pri": r"[0-9]",
        "lco": r"[0-9]{1,3}",
        "lva": _TEXT,
        "lte": _TEXT,
        "ico": r"[0-9]{1,3}",
        "ite": _TEXT,
        "ame": r"[01]",
        "geo": r"[0-9.,+\-]{1,32}",
        "tim": r"[0-9T:+\-.Z]{1,32}",
        "gga": _TEXT,
    }.items()
}
_REPEATABLE = {"crd"}  # units send one caller id per voice path
_MANDATORY = ("ref", "cid", "dty")


@dataclass(frozen=True, slots=True)
class ScaipRequest:
    """One ``<mrq>``, checked against the schema; codes as integers."""

    ref: str
    cid: str
    device_type: int
    message_type: MessageType = MessageType.ALARM
    status: int | None = None
    component: int | None = None
    device_id: str | None = None
    location: int | None = None
    priority: int | None = None
    callers: tuple[str, ...] = ()
    version: str | None = None
    texts: dict[str, str] = field(default_factory=dict)  # dte, stt, lte, ite, lva, ico
    position: str | None = None  # lge/geo, "lat,long" in WGS 84
    position_time: str | None = None

    @property
    def heartbeat(self) -> bool:
        """Whether this is a supervision message (``PI``), not an event."""
        return self.message_type is MessageType.HEARTBEAT


@dataclass(frozen=True, slots=True)
class ScaipResponse:
    """One ``<mrs>`` as the simulator reads it."""

    ref: str
    snu: int
    text: str | None = None


def _local(tag: object) -> str:
    name = tag if isinstance(tag, str) else ""
    return name.rsplit("}", 1)[-1]


def _root(body: bytes) -> Element:
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ScaipXmlForbidden(f"DTDs and entities are refused: {type(exc).__name__}") from exc
    except (ParseError, ValueError, LookupError) as exc:
        raise ScaipError(f"not well-formed XML: {exc}") from exc
    if not isinstance(root, Element):
        raise ScaipError("no root element")
    return root


def _fields(root: Element) -> dict[str, list[str]]:
    """Element name → its texts, with ``lge``'s children flattened in."""
    found: dict[str, list[str]] = {}
    children = list(root)
    if len(children) > MAX_ELEMENTS:
        raise ScaipError(f"more than {MAX_ELEMENTS} elements")
    for child in children:
        name = _local(child.tag)
        inner = list(child)
        if name == "lge":
            children.extend(inner[:8])
            continue
        if inner:
            raise ScaipError(f"<{name}> has child elements")
        found.setdefault(name, []).append((child.text or "").strip())
    return found


def parse_mrq(body: bytes) -> ScaipRequest:
    """Parse and check a SCAIP ``<mrq>`` body."""
    root = _root(body)
    if _local(root.tag) != "mrq":
        raise ScaipError(f"root element is <{_local(root.tag)[:20]}>, not <mrq>")
    found = _fields(root)
    ref_values = found.get("ref", [])
    valid_ref = len(ref_values) == 1 and _PATTERNS["ref"].fullmatch(ref_values[0])
    ref = ref_values[0] if valid_ref else None
    for name in _MANDATORY:
        if not any(found.get(name, [])):
            raise ScaipMissingTag(f"<{name}> is missing or empty", ref=ref)
    values: dict[str, str] = {}
    for name, texts in found.items():
        pattern = _PATTERNS.get(name)
        if pattern is None:
            continue
        if len(texts) > 1 and name not in _REPEATABLE:
            raise ScaipBadContent(f"<{name}> appears {len(texts)} times", ref=ref)
        for text in texts:
            if not pattern.fullmatch(text):
                raise ScaipBadContent(f"<{name}> {text[:40]!r} breaks the schema", ref=ref)
        values[name] = texts[0]
    if ref is None:  # present (checked above) but repeated or malformed
        raise ScaipBadContent("<ref> is not 1-16 letters or digits")
    return ScaipRequest(
        ref=ref,
        cid=values["cid"],
        device_type=int(values["dty"]),
        message_type=MessageType(values.get("mty", "ME")),
        status=_int(values.get("stc")),
        component=_int(values.get("dco")),
        device_id=values.get("did"),
        location=_int(values.get("lco")),
        priority=_int(values.get("pri")),
        callers=tuple(found.get("crd", [])),
        version=values.get("ver"),
        texts={k: values[k] for k in ("dte", "stt", "lte", "ite", "lva", "ico") if k in values},
        position=values.get("geo"),
        position_time=values.get("tim"),
    )


def _int(value: str | None) -> int | None:
    return int(value) if value is not None else None


def _xml(root: str, elements: Iterable[tuple[str, str | None]]) -> bytes:
    inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in elements if v is not None)
    return f'<?xml version="1.0" encoding="UTF-8"?><{root}>{inner}</{root}>'.encode()


def build_mrs(ref: str | None, snu: int, text: str | None = None) -> bytes:
    """The ``<mrs>`` answering a request: its reference echoed and a status number."""
    return _xml("mrs", (("ref", ref or ""), ("snu", str(snu)), ("ste", text and text[:128])))


def build_mrq(request: ScaipRequest) -> bytes:
    """A request's ``<mrq>`` body, elements in the schema's order (for simulators and tests)."""
    texts = request.texts
    elements: list[tuple[str, str | None]] = [
        ("ref", request.ref),
        ("ver", request.version),
        ("mty", request.message_type.value),
        ("cid", request.cid),
        ("dty", f"{request.device_type:04d}"),
        ("did", request.device_id),
        ("dco", None if request.component is None else f"{request.component:03d}"),
        ("dte", texts.get("dte")),
        *(("crd", caller) for caller in request.callers),
        ("stc", None if request.status is None else f"{request.status:04d}"),
        ("stt", texts.get("stt")),
        ("pri", None if request.priority is None else str(request.priority)),
        ("lco", None if request.location is None else f"{request.location:03d}"),
        ("lte", texts.get("lte")),
        ("ite", texts.get("ite")),
    ]
    return _xml("mrq", elements)


def parse_mrs(body: bytes) -> ScaipResponse:
    """Parse an ``<mrs>`` (the simulator's view of the receiver's answer)."""
    root = _root(body)
    if _local(root.tag) != "mrs":
        raise ScaipError(f"root element is <{_local(root.tag)[:20]}>, not <mrs>")
    found = _fields(root)
    snu = (found.get("snu") or [""])[0]
    if not snu.isascii() or not snu.isdigit() or len(snu) > 5:
        raise ScaipBadContent(f"<snu> {snu[:20]!r} is not a number")
    texts = found.get("ste")
    return ScaipResponse((found.get("ref") or [""])[0], int(snu), texts[0] if texts else None)
