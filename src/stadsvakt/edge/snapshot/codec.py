"""The JSON form of a snapshot's entries and the packing of a body into an envelope.

Pure code, used by the centre (:mod:`.build`) and the edge (:mod:`.state`), so both read
and write the same form. Ids are strings, times POSIX timestamps with ``null`` for "no
start"/"no end" (JSON has no infinity), dates ISO strings, a PIN's salt and door digest
(:mod:`stadsvakt.access.pins`; never the PIN) base64. A body travels in the envelope
as base64 (standard, padded) of zlib-compressed canonical JSON (:func:`pack`).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import uuid
import zlib
from collections.abc import Callable, Container, Iterable, Mapping
from datetime import date
from typing import Any

from stadsvakt.access.decide import (
    CredentialEntry,
    DoorEntry,
    PersonEntry,
    PinEntry,
    ProfileEntry,
    Reason,
    Right,
    ScheduleEntry,
)
from stadsvakt.access.timerules import Interval, compile_schedule, parse_intervals
from stadsvakt.edge.envelope import canonical

#: The largest body unpacked (compressed bodies are small; a bomb is not inflated further).
MAX_UNPACKED = 256 * 1024 * 1024

Json = dict[str, Any]


class BadBody(ValueError):
    """A body that cannot be unpacked or read; ``rule`` says why."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule


def pack(value: Any) -> str:
    """``value`` as canonical JSON, zlib-compressed, in base64 (the envelope's ``body``)."""
    return base64.b64encode(zlib.compress(canonical(value), 9)).decode("ascii")


def unpack(text: object) -> Any:
    """The value :func:`pack` made; :class:`BadBody` if ``text`` is not one."""
    if not isinstance(text, str):
        raise BadBody("body", "a packed body is a string")
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.b64decode(text, validate=True), MAX_UNPACKED)
        if inflater.unconsumed_tail:
            raise BadBody("body", f"a body unpacks to more than {MAX_UNPACKED} bytes")
        return json.loads(raw)
    except (binascii.Error, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadBody("body", str(exc)) from None


def _t(value: float) -> float | None:
    return None if math.isinf(value) else value


def _from(value: object) -> float:
    return -math.inf if value is None else float(value)  # type: ignore[arg-type]


def _to(value: object) -> float:
    return math.inf if value is None else float(value)  # type: ignore[arg-type]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _iso(days: Iterable[date]) -> list[str]:
    return [day.isoformat() for day in sorted(days)]


def _dates(raw: Iterable[object]) -> frozenset[date]:
    return frozenset(date.fromisoformat(str(day)) for day in raw)


def _id(value: object) -> uuid.UUID:
    return uuid.UUID(str(value))


def _opt_id(value: object) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(str(value))


# -- doors ---------------------------------------------------------------------------


def door_json(entry: DoorEntry, days: Callable[[Container[date]], list[date]]) -> Json:
    """A door entry as JSON; ``days`` lists a container's dates in the snapshot's window
    (a site calendar's holidays and eves; ``holidays`` null: the schedules' own apply)."""
    return {
        "site": None if entry.site_id is None else str(entry.site_id),
        "requires_pin": entry.requires_pin,
        "escape_route": entry.escape_route,
        "emergency_open": entry.emergency_open,
        "holidays": None if entry.holidays is None else _iso(days(entry.holidays)),
        "eves": _iso(days(entry.eves)),
        "id": str(entry.id),
        "zone": str(entry.zone_id),
        "mode": entry.mode,
        "unlock_schedule": None
        if entry.unlock_schedule_id is None
        else str(entry.unlock_schedule_id),
        "unlock_seconds": entry.unlock_seconds,
        "extended_unlock_seconds": entry.extended_unlock_seconds,
    }


def door_entry(raw: Mapping[str, Any], tenant_id: uuid.UUID) -> DoorEntry:
    """A door entry from its JSON."""
    return DoorEntry(
        _id(raw["id"]),
        tenant_id,
        _id(raw["zone"]),
        str(raw["mode"]),
        _opt_id(raw["unlock_schedule"]),
        int(raw["unlock_seconds"]),
        int(raw["extended_unlock_seconds"]),
        site_id=_opt_id(raw["site"]),
        requires_pin=bool(raw["requires_pin"]),
        escape_route=bool(raw["escape_route"]),
        emergency_open=bool(raw["emergency_open"]),
        holidays=None if raw["holidays"] is None else _dates(raw["holidays"]),
        eves=_dates(raw["eves"]),
    )


# -- profiles and schedules ------------------------------------------------------------


def profile_json(entry: ProfileEntry) -> Json:
    """A profile entry as JSON."""
    return {
        "id": str(entry.id),
        "zones": sorted(str(z) for z in entry.zones),
        "schedule": str(entry.schedule_id),
        "course": entry.required_course,
    }


def profile_entry(raw: Mapping[str, Any]) -> ProfileEntry:
    """A profile entry from its JSON."""
    course = raw["course"]
    return ProfileEntry(
        _id(raw["id"]),
        frozenset(_id(z) for z in raw["zones"]),
        _id(raw["schedule"]),
        None if course is None else str(course),
    )


def schedule_json(
    schedule_id: uuid.UUID,
    intervals: Iterable[Interval],
    holiday_mode: str,
    holidays: list[date],
    eves: list[date],
) -> Json:
    """A schedule as JSON: its intervals as stored, its holiday mode, and its calendar's
    holidays and eves as explicit dates."""
    return {
        "id": str(schedule_id),
        "intervals": [interval.to_dict() for interval in intervals],
        "holiday_mode": holiday_mode,
        "holidays": _iso(holidays),
        "eves": _iso(eves),
    }


def schedule_entry(raw: Mapping[str, Any]) -> ScheduleEntry:
    """A compiled schedule entry from its JSON."""
    week = compile_schedule(parse_intervals(raw["intervals"]), str(raw["holiday_mode"]))
    return ScheduleEntry(_id(raw["id"]), week, _dates(raw["holidays"]), _dates(raw["eves"]))


# -- people and credentials ------------------------------------------------------------


def person_json(entry: PersonEntry, courses: set[str]) -> Json:
    """A person entry as JSON, with only the training in ``courses`` (those some profile
    in the snapshot requires: the edge needs no more of a person's record)."""
    return {
        "id": str(entry.id),
        "active": entry.active,
        "extended_unlock": entry.extended_unlock,
        "rights": [
            {
                "profile": str(r.profile_id),
                "from": _t(r.valid_from),
                "to": _t(r.valid_to),
                "source": r.source.value,
            }
            for r in entry.rights
        ],
        "training": {c: _t(end) for c, end in sorted(entry.training.items()) if c in courses},
        "pins": [
            {
                "salt": _b64(pin.salt),
                "digest": _b64(pin.digest),
                "state": pin.state,
                "valid_from": _t(pin.valid_from),
                "valid_to": _t(pin.valid_to),
            }
            for pin in entry.pins
        ],
    }


def person_entry(raw: Mapping[str, Any]) -> PersonEntry:
    """A person entry from its JSON."""
    rights = tuple(
        Right(_id(r["profile"]), _from(r["from"]), _to(r["to"]), Reason(r["source"]))
        for r in raw["rights"]
    )
    training = {str(c): _to(end) for c, end in dict(raw["training"]).items()}
    pins = tuple(
        PinEntry(
            base64.b64decode(p["salt"], validate=True),
            base64.b64decode(p["digest"], validate=True),
            str(p["state"]),
            _from(p["valid_from"]),
            _to(p["valid_to"]),
        )
        for p in raw["pins"]
    )
    return PersonEntry(
        _id(raw["id"]), bool(raw["active"]), bool(raw["extended_unlock"]), rights, training, pins
    )


def credential_json(entry: CredentialEntry) -> Json:
    """A credential entry as JSON."""
    return {
        "id": str(entry.id),
        "kind": entry.kind,
        "identifier": entry.identifier,
        "person": str(entry.person_id),
        "state": entry.state,
        "valid_from": _t(entry.valid_from),
        "valid_to": _t(entry.valid_to),
    }


def credential_entry(raw: Mapping[str, Any], tenant_id: uuid.UUID) -> CredentialEntry:
    """A credential entry from its JSON."""
    return CredentialEntry(
        _id(raw["id"]),
        tenant_id,
        str(raw["identifier"]),
        _id(raw["person"]),
        str(raw["state"]),
        _from(raw["valid_from"]),
        _to(raw["valid_to"]),
        str(raw["kind"]),
    )
