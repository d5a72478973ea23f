"""SCAIP code tables (SS 91100 / CLC/TS 50134-9): device types, status codes, locations.

An alarm's category comes from two tables. The **device type** (``<dty>``) says what
kind of alarm the device raises (a personal trigger a social alarm, a smoke detector
fire); the **status code** (``<stc>``) says what happened: an alarm (then the
device's category applies), or something with a category of its own (low battery is
a fault whatever the device, a test transmission is a test). Cancel and reset codes
end the device's condition (qualifier ``restore``). A status code missing from the
table makes the alarm ``unknown``, as DC-09's unknown codes do: stored and shown.

Swedish terms: *trygghetslarm* (social alarm, category ``social``), *larmknapp*
(personal trigger), *fallarm* (fall detector), *bluffgäst* (bogus caller).
"""

from __future__ import annotations

from dataclasses import dataclass

from stadsvakt.alarms.protocols.events import Category, ParsedEvent, PayloadFormat, Qualifier
from stadsvakt.alarms.protocols.scaip import MessageType, ScaipRequest

_SOC, _MED, _HLD, _FIR = Category.SOCIAL, Category.MEDICAL, Category.HOLD_UP, Category.FIRE
_TEC, _FLT, _INT, _TMP = Category.TECHNICAL, Category.FAULT, Category.INTRUSION, Category.TAMPER
_TST, _OTH, _OC = Category.TEST, Category.OTHER, Category.OPEN_CLOSE
_N, _R, _S = Qualifier.NEW, Qualifier.RESTORE, Qualifier.STATUS

#: ``<dty>`` → (description, category of the alarms it raises).
DEVICE_TYPES: dict[int, tuple[str, Category]] = {
    0: ("Unknown device", _SOC),
    1: ("Undefined device", _SOC),
    2: ("Local unit and controller", _SOC),
    3: ("Personal trigger", _SOC),
    4: ("Fixed trigger", _SOC),
    5: ("Fall detector", _MED),
    6: ("Personal attack trigger", _HLD),
    7: ("Panic button", _HLD),
    8: ("Duty switch (remote)", _OTH),
    9: ("Duty switch (local)", _OTH),
    10: ("Activity detector", _SOC),
    11: ("Pill dispenser", _SOC),
    12: ("Bed monitor", _SOC),
    13: ("Mat sensor", _SOC),
    14: ("Door sensor", _SOC),
    15: ("Wandering sensor", _SOC),
    16: ("Enuresis detector", _SOC),
    17: ("Epilepsy detector", _MED),
    18: ("Occupancy detector", _SOC),
    19: ("Heart rate monitor", _MED),
    20: ("Environmental monitor", _TEC),
    21: ("Gas detector", _TEC),
    22: ("Lighting circuit monitor", _TEC),
    23: ("Smoke detector", _FIR),
    24: ("Heating system monitor", _TEC),
    25: ("Heat detector", _FIR),
    26: ("Carbon monoxide detector", _FIR),
    27: ("Bogus caller switch", _HLD),
    28: ("Intruder detector", _INT),
    29: ("Boundary detector", _INT),
    30: ("Automatic man-down detector", _MED),
    31: ("System monitor", _FLT),
    32: ("Communication link monitor", _FLT),
    33: ("Flood detector", _TEC),
    34: ("Bath sensor", _TEC),
    35: ("Latch key", _OTH),
    36: ("Perimeter", _INT),
    37: ("Sprinkler", _FIR),
    38: ("Tamper", _TMP),
    39: ("Printer", _FLT),
    40: ("Router", _FLT),
    41: ("Power supply", _FLT),
    43: ("Access controller", _OTH),
    44: ("Chair monitor", _SOC),
    45: ("Controller", _SOC),
    46: ("Elevator alarm unit", _SOC),
    47: ("Fire alarm system", _FIR),
    48: ("Local unit", _SOC),
    49: ("Monitoring device", _SOC),
    50: ("Radio unit", _SOC),
    51: ("Tracking device", _SOC),
}

#: ``<stc>`` → (description, own category or ``None`` for the device's, qualifier).
STATUS_CODES: dict[int, tuple[str, Category | None, Qualifier]] = {
    2: ("alarm aborted", None, _R),
    3: ("absent", _OTH, _S),
    5: ("acknowledged", _OTH, _S),
    6: ("activated", None, _N),
    7: ("active", None, _N),
    9: ("automatic alarm", None, _N),
    10: ("manual alarm", None, _N),
    11: ("alert", None, _N),
    12: ("armed", _OC, _N),
    14: ("battery failure", _FLT, _N),
    15: ("battery OK", _FLT, _R),
    16: ("battery low", _FLT, _N),
    19: ("cancelled", None, _R),
    22: ("closed too long", None, _N),
    23: ("IP connection failure", _FLT, _N),
    24: ("mobile network connection failure", _FLT, _N),
    25: ("telephone line failure", _FLT, _N),
    26: ("primary communication link failure", _FLT, _N),
    27: ("redundant communication link failure", _FLT, _N),
    30: ("disarmed", _OC, _R),
    42: ("failure", _FLT, _N),
    46: ("high level", _TEC, _N),
    52: ("jammed", _FLT, _N),
    62: ("log", _OTH, _S),
    64: ("low level", _TEC, _N),
    65: ("maintenance needed", _FLT, _N),
    66: ("urgent maintenance needed", _FLT, _N),
    67: ("malfunction", _FLT, _N),
    70: ("normal state", None, _R),
    73: ("offline", _FLT, _N),
    75: ("online", _FLT, _R),
    77: ("open too long", None, _N),
    78: ("out of service", _FLT, _N),
    81: ("pill not taken", _SOC, _N),
    82: ("pill reminder", _OTH, _S),
    83: ("pill taken", _OTH, _S),
    85: ("power failure", _FLT, _N),
    86: ("power restored", _FLT, _R),
    87: ("planned presence", _OTH, _S),
    88: ("presence after alarm", _OTH, _S),
    91: ("re-established", _FLT, _R),
    92: ("automatic reset", None, _R),
    93: ("manual reset", None, _R),
    94: ("restoral", None, _R),
    95: ("RF interference", _FLT, _N),
    100: ("temperature high", _TEC, _N),
    101: ("temperature low", _TEC, _N),
    102: ("test transmission, primary channel", _TST, _N),
    103: ("test transmission, redundant channel", _TST, _N),
    104: ("time-out", None, _N),
    105: ("trouble", _FLT, _N),
    106: ("trespass", _INT, _N),
    107: ("unauthorised access", _INT, _N),
    110: ("assistance call", _SOC, _N),
    111: ("intervention complete", _OTH, _S),
    112: ("IP connection re-established", _FLT, _R),
    113: ("mobile network connection re-established", _FLT, _R),
    114: ("telephone line re-established", _FLT, _R),
    115: ("primary communication link re-established", _FLT, _R),
    116: ("redundant communication link re-established", _FLT, _R),
    117: ("lying in bed", _OTH, _S),
    119: ("movement", _OTH, _S),
    120: ("occupancy", _OTH, _S),
    121: ("present", _OTH, _S),
    122: ("radio interference", _FLT, _N),
    123: ("radio test transmission missing", _FLT, _N),
    124: ("radio test transmission re-established", _FLT, _R),
    125: ("tamper alarm", _TMP, _N),
    126: ("temperature rate of rise", _FIR, _N),
}

#: ``<lco>`` → where the device is.
LOCATIONS: dict[int, str] = dict(
    enumerate(
        (
            "unknown",
            "undefined",
            "home",
            "away",
            "indoors",
            "outdoors",
            "inside",
            "outside",
            "area",
            "zone",
            "basement",
            "bathroom",
            "bedroom",
            "dining room",
            "floor",
            "garage",
            "garden",
            "back garden",
            "front garden",
            "geo-fence",
            "gym",
            "kitchen",
            "laundry",
            "relaxation room",
            "sauna",
            "stairs",
            "study",
            "workshop",
            "loft",
            "shed",
            "temporary address",
            "summer house",
            "winter cottage",
            "mobile",
            "geo position attached",
            "GPS position attached",
            "property",
            "accessible bathroom",
            "door",
            "front door",
            "back door",
            "fire door",
            "hallway",
            "living room",
            "apartment",
            "bungalow",
            "lounge",
            "communal area",
            "office",
            "room",
            "site",
            "ward",
            "wing",
        )  # fmt: skip
    )
)

_COMPONENT_GROUPS = ("button", "switch", "output", "automatic circuit")
_COMPONENT_SINGLES = {0: "unknown", 1: "undefined", 22: "Ethernet circuit", 23: "memory"}


def component(code: int) -> str:
    """``<dco>`` as words: 002–006 buttons 1–5, 007–011 switches, …, 025–029 modules."""
    if code in _COMPONENT_SINGLES:
        return _COMPONENT_SINGLES[code]
    if 2 <= code <= 21:
        return f"{_COMPONENT_GROUPS[(code - 2) // 5]} {(code - 2) % 5 + 1}"
    if code == 24:
        return "microcontroller"
    if 25 <= code <= 29:
        return f"module {code - 24}"
    return f"component {code:03d}"


@dataclass(frozen=True, slots=True)
class Classified:
    """What a device type and status code mean together."""

    description: str
    category: Category
    qualifier: Qualifier


def classify(device_type: int, status: int | None) -> Classified:
    """Category, qualifier and description of a device type with a status code.

    A message without ``<stc>`` is the device's own alarm.
    """
    device, device_category = DEVICE_TYPES.get(
        device_type, (f"Device type {device_type:04d}", Category.SOCIAL)
    )
    if status is None:
        return Classified(f"{device}: alarm", device_category, Qualifier.NEW)
    known = STATUS_CODES.get(status)
    if known is None:
        return Classified(f"{device}: status {status:04d}", Category.UNKNOWN, Qualifier.NEW)
    text, category, qualifier = known
    return Classified(f"{device}: {text}", category or device_category, qualifier)


def event(request: ScaipRequest) -> ParsedEvent:
    """The normalised event of an ``<mrq>`` (not for heartbeats, which are no event).

    ``RE`` (reset) ends the condition; ``IN`` (information) adds to an alarm sent
    before. The device id becomes the zone when it is a number, as a detector's zone
    does for a panel; everything else an operator needs goes into the text.
    """
    found = classify(request.device_type, request.status)
    qualifier = {
        MessageType.RESET: Qualifier.RESTORE,
        MessageType.INFORMATION: Qualifier.STATUS,
    }.get(request.message_type, found.qualifier)
    status = "" if request.status is None else f"{request.status:04d}"
    device_id = request.device_id or ""
    return ParsedEvent(
        format=PayloadFormat.SCAIP,
        code=f"{request.device_type:04d}/{status}",
        description=found.description,
        category=found.category,
        qualifier=qualifier,
        zone=_zone(device_id),
        account=request.cid,
        text=_text(request),
        raw=request.ref,
    )


def _zone(device_id: str) -> int | None:
    """The device id as a zone number, when it is one (0-9 only: ``"²"`` is a digit to
    :meth:`str.isdigit` but no number to ``int``) that a zone column holds."""
    if device_id.isascii() and device_id.isdigit() and len(device_id) <= 9:
        return int(device_id)
    return None


def _text(request: ScaipRequest) -> str:
    texts = request.texts
    parts = [f"ref {request.ref}"]
    if request.message_type is not MessageType.ALARM:
        parts.append(f"message type {request.message_type.value}")
    if request.device_id:
        parts.append(f"device {request.device_id}")
    if request.component is not None:
        parts.append(component(request.component))
    if request.location is not None:
        parts.append(LOCATIONS.get(request.location, f"location {request.location:03d}"))
    parts.extend(texts[key] for key in ("dte", "stt", "lte", "ite") if key in texts)
    if request.position:
        parts.append(f"position {request.position}")
    parts.extend(f"voice {caller}" for caller in request.callers if caller.partition(":")[2])
    return "; ".join(parts)
