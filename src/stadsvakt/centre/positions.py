"""Positions and trails: field units' phones and devices, and personal and dementia
alarms that send where they are.

A unit reports from its phone page (browser geolocation or a typed position) or over the
API; each report is a point of its trail (:class:`~.units.models.GpsPosition`) and, when
it is the newest, the unit's last position, which dispatch measures from. A personal
alarm's position comes with the alarm itself: SCAIP carries it in ``<lge><geo>`` (kept in
the stored payload), the JSON input in ``position``; :func:`take_in_alarms` reacts to
stored alarms and puts those positions on the transmitter's trail, in the same
transaction. The trail is the record of where a unit was (no audit row per point).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Alarm, Transmitter
from stadsvakt.alarms.protocols.errors import ScaipError
from stadsvakt.alarms.protocols.scaip import parse_mrq
from stadsvakt.centre.units.models import FieldUnit, GpsPosition, PositionSource
from stadsvakt.centre.units.schemas import PositionIn
from stadsvakt.centre.units.service import get_unit, reporting_unit
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.events import AlarmsStored

#: The earth's mean radius (metres), for the haversine distance.
EARTH_RADIUS_M = 6_371_008.8
#: A fix stamped further ahead than this (a phone's wrong clock) is taken as received now.
MAX_AHEAD = timedelta(minutes=5)
#: Protocols whose stored payload may carry a position.
_LOCATED = ("scaip", "json")


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two WGS 84 points, in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class Fix:
    """A position as a payload gives it."""

    latitude: float
    longitude: float
    accuracy_m: float | None = None
    at: datetime | None = None


def _valid(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def scaip_fix(payload: str) -> Fix | None:
    """The position of a SCAIP ``<mrq>`` (``<lge><geo>lat,long</geo><tim>…``), if any."""
    if "geo>" not in payload:
        return None
    try:
        request = parse_mrq(payload.encode("utf-8"))
    except ScaipError:
        return None
    if not request.position:
        return None
    parts = request.position.split(",")
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        return None
    if not _valid(lat, lon):
        return None
    return Fix(lat, lon, None, _moment(request.position_time))


def json_fix(payload: str) -> Fix | None:
    """The ``position`` of a JSON alarm message (``latitude``, ``longitude``, optional
    ``accuracy_m`` and ``at``), if any."""
    if '"position"' not in payload:
        return None
    try:
        message = json.loads(payload)
        position = message.get("position")
        if not isinstance(position, dict):
            return None
        lat, lon = float(position["latitude"]), float(position["longitude"])
        accuracy = position.get("accuracy_m")
        accuracy_m = float(accuracy) if isinstance(accuracy, int | float) else None
        at = position.get("at")
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if not _valid(lat, lon):
        return None
    return Fix(lat, lon, accuracy_m, _moment(at if isinstance(at, str) else None))


def _when(at: datetime | None, received: datetime) -> datetime:
    if at is None or at > received + MAX_AHEAD:
        return received
    return at


def take_in_alarms(session: Session, stored: AlarmsStored) -> None:
    """Put the positions that stored alarms carry on their transmitters' trails."""
    ids = [alarm.alarm_id for alarm in stored.alarms if alarm.transmitter_id is not None]
    if not ids:
        return
    rows = session.execute(
        select(
            Alarm.id,
            Alarm.tenant_id,
            Alarm.site_id,
            Alarm.transmitter_id,
            Alarm.protocol,
            Alarm.payload,
            Alarm.received_at,
        )
        .where(Alarm.id.in_(ids))
        .where(Alarm.protocol.in_(_LOCATED))
        .where(or_(Alarm.payload.contains("geo>"), Alarm.payload.contains('"position"')))
    ).all()
    for alarm_id, tenant_id, site_id, transmitter_id, protocol, payload, received_at in rows:
        fix = scaip_fix(payload) if protocol == "scaip" else json_fix(payload)
        if fix is None:
            continue
        session.add(
            GpsPosition(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
                transmitter_id=transmitter_id,
                site_id=site_id,
                alarm_id=alarm_id,
                latitude=fix.latitude,
                longitude=fix.longitude,
                accuracy_m=fix.accuracy_m,
                at=_when(fix.at, received_at),
                received_at=received_at,
                source=PositionSource.SCAIP if protocol == "scaip" else PositionSource.JSON,
            )
        )


def record_position(
    session: Session, unit: FieldUnit, data: PositionIn, source: PositionSource
) -> GpsPosition:
    """Add a point to a unit's trail; the newest point is the unit's last position."""
    received = utcnow()
    at = _when(data.at.astimezone(UTC) if data.at is not None else None, received)
    point = GpsPosition(
        id=uuid.uuid4(),
        tenant_id=unit.tenant_id,
        unit_id=unit.id,
        latitude=data.latitude,
        longitude=data.longitude,
        accuracy_m=data.accuracy_m,
        at=at,
        received_at=received,
        source=source,
    )
    session.add(point)
    if unit.position_at is None or at >= unit.position_at:
        unit.latitude, unit.longitude = data.latitude, data.longitude
        unit.accuracy_m, unit.position_at = data.accuracy_m, at
    session.flush()
    return point


def report_position(
    session: Session,
    actor: Actor,
    unit_id: uuid.UUID,
    data: PositionIn,
    source: PositionSource = PositionSource.API,
) -> GpsPosition:
    """A position report for a unit by its own phone or device, or by centre staff."""
    unit = reporting_unit(session, actor, unit_id, for_update=True)
    return record_position(session, unit, data, source)


def unit_trail(
    session: Session, actor: Actor, unit_id: uuid.UUID, since: datetime
) -> list[GpsPosition]:
    """A unit's points since ``since``, oldest first (centre staff, or the unit itself)."""
    if actor.can("centre.read"):
        unit = get_unit(session, actor, unit_id)
    else:
        unit = reporting_unit(session, actor, unit_id)
    return list(
        session.execute(
            select(GpsPosition)
            .where(GpsPosition.unit_id == unit.id)
            .where(GpsPosition.at >= since)
            .order_by(GpsPosition.at)
        ).scalars()
    )


@dataclass(frozen=True, slots=True)
class Trail:
    """A recent trail for the map."""

    kind: str  # "unit" or "transmitter"
    id: uuid.UUID
    label: str
    points: list[GpsPosition]


def recent_trails(
    session: Session, tenants: Iterable[uuid.UUID] | None, since: datetime, *, limit: int = 5000
) -> list[Trail]:
    """Every unit's and transmitter's points since ``since`` in these municipalities
    (``None``: all), grouped per trail, oldest point first."""
    stmt = select(GpsPosition).where(GpsPosition.at >= since)
    if tenants is not None:
        stmt = stmt.where(GpsPosition.tenant_id.in_(sorted(tenants)))
    points = list(session.execute(stmt.order_by(GpsPosition.at.desc()).limit(limit)).scalars())
    points.reverse()
    by_unit: dict[uuid.UUID, list[GpsPosition]] = {}
    by_sender: dict[uuid.UUID, list[GpsPosition]] = {}
    for point in points:
        if point.unit_id is not None:
            by_unit.setdefault(point.unit_id, []).append(point)
        elif point.transmitter_id is not None:
            by_sender.setdefault(point.transmitter_id, []).append(point)
    units = (
        {
            row.id: row.call_sign
            for row in session.execute(
                select(FieldUnit).where(FieldUnit.id.in_(sorted(by_unit)))
            ).scalars()
        }
        if by_unit
        else {}
    )
    senders = (
        {
            row.id: row.name or row.account
            for row in session.execute(
                select(Transmitter).where(Transmitter.id.in_(sorted(by_sender)))
            ).scalars()
        }
        if by_sender
        else {}
    )
    trails = [Trail("unit", key, units.get(key, ""), value) for key, value in by_unit.items()]
    trails += [
        Trail("transmitter", key, senders.get(key, ""), value) for key, value in by_sender.items()
    ]
    return trails
