"""Rules and queries of edge devices: enrolment codes, enrolment, revocation, status.
Callers commit.

An administrator makes a one-time code naming the device-to-be (name, kind, site,
doors); the device sends the code with its own Ed25519 public key and gets its id and
a random MQTT password (shown once; only Mosquitto's ``$7$`` hash is kept). Reads go
through :func:`stadsvakt.auth.scope.restrict`, so a department administrator sees the
devices at sites of their units.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from stadsvakt.access.models import Door
from stadsvakt.access.services._common import page, site_in_scope
from stadsvakt.audit.service import record, snapshot
from stadsvakt.auth.scope import require, restrict
from stadsvakt.context import Actor, system_actor
from stadsvakt.db import utcnow
from stadsvakt.edge.broker.passwords import mosquitto_hash
from stadsvakt.edge.devices import keys
from stadsvakt.edge.devices.models import (
    DeviceHealth,
    DeviceState,
    EdgeDevice,
    EdgeDeviceDoor,
    EnrolmentCode,
)
from stadsvakt.edge.devices.schemas import EnrolmentCodeCreate
from stadsvakt.edge.devices.settings import DeviceSettings
from stadsvakt.errors import N_, Conflict, InvalidInput, NotFound
from stadsvakt.paging import Order, sorted_by
from stadsvakt.textsearch import contains

READ, WRITE = "device.read", "device.write"
#: The actor name enrolment attempts are audited under (no user is signed in).
ENROLMENT_ACTOR = "edge enrolment"

#: What the device list may be sorted by.
DEVICE_SORTS: dict[str, Any] = {
    "name": EdgeDevice.name,
    "kind": EdgeDevice.kind,
    "state": EdgeDevice.state,
    "seen": EdgeDevice.last_seen_at,
    "version": EdgeDevice.software_version,
}
BY_NAME = Order("name")

Connection = Literal["online", "offline", "never"]


def connection(last_seen_at: datetime | None, now: datetime, online_seconds: int) -> Connection:
    """Whether a device is online (seen within ``online_seconds``), offline or never seen."""
    if last_seen_at is None:
        return "never"
    return "online" if now - last_seen_at <= timedelta(seconds=online_seconds) else "offline"


@dataclass(frozen=True, slots=True)
class EnrolmentResult:
    """What an enrolled device is told once: its id and its MQTT account."""

    device_id: uuid.UUID
    mqtt_username: str
    mqtt_password: str


def _tenant(actor: Actor) -> uuid.UUID:
    if actor.tenant_id is None:
        raise InvalidInput("act within a municipality", field="tenant", rule="required")
    return actor.tenant_id


def _served(session: Session, door_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of the doors an active device already serves."""
    if not door_ids:
        return set()
    stmt = (
        select(EdgeDeviceDoor.door_id)
        .join(EdgeDevice, EdgeDevice.id == EdgeDeviceDoor.device_id)
        .where(EdgeDeviceDoor.door_id.in_(door_ids), EdgeDevice.state == DeviceState.ACTIVE)
    )
    return set(session.scalars(stmt))


def _check_doors(
    session: Session, tenant: uuid.UUID, site_id: uuid.UUID, door_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    unique = list(dict.fromkeys(door_ids))
    if not unique:
        return []
    stmt = select(Door.id).where(
        Door.id.in_(unique), Door.tenant_id == tenant, Door.site_id == site_id
    )
    found = set(session.scalars(stmt))
    if len(found) != len(unique):
        raise InvalidInput(
            "door_ids: every door must be one of the site's doors",
            field="door_ids",
            rule="door_site",
        ).said(N_("Choose doors at the device's site."))
    if _served(session, unique):
        raise Conflict(
            "door_ids: a door is already served by another device", field="door_ids"
        ).said(N_("A door you chose is already served by another device."))
    return unique


def create_enrolment_code(
    session: Session,
    actor: Actor,
    data: EnrolmentCodeCreate,
    *,
    settings: DeviceSettings,
    now: datetime | None = None,
) -> tuple[EnrolmentCode, str]:
    """Make a one-time code for one device; returns the row and the plain code (shown once)."""
    require(actor, WRITE)
    tenant = _tenant(actor)
    site = site_in_scope(session, actor, data.site_id, WRITE)
    doors = _check_doors(session, tenant, site.id, data.door_ids)
    now = now or utcnow()
    plain = keys.new_code()
    row = EnrolmentCode(
        tenant_id=tenant,
        code_hash=keys.code_hash(plain),
        created_by=actor.name[:200],
        expires_at=now + timedelta(hours=settings.enrolment_code_hours),
        name=data.name,
        kind=data.kind,
        site_id=site.id,
        door_ids=[str(d) for d in doors],
    )
    session.add(row)
    session.flush()
    after = snapshot(row)
    after.pop("code_hash")
    record(
        session,
        action="enrolment_code.create",
        object_type="enrolment_code",
        object_id=row.id,
        object_text=row.name,
        tenant_id=tenant,
        after=after,
    )
    return row, plain


def list_codes(
    session: Session, actor: Actor, *, now: datetime | None = None
) -> list[EnrolmentCode]:
    """Unused codes that still work, soonest to expire first."""
    now = now or utcnow()
    stmt = restrict(select(EnrolmentCode), EnrolmentCode, actor, READ).where(
        EnrolmentCode.used_at.is_(None), EnrolmentCode.expires_at > now
    )
    return list(session.scalars(stmt.order_by(EnrolmentCode.expires_at, EnrolmentCode.id)))


class EnrolmentRefused(InvalidInput):
    """An enrolment attempt refused; its audit row is written and the caller keeps it."""


#: Each refusal's rule: the field it names, its detail and its words for people.
_REFUSALS: dict[str, tuple[str, str, str]] = {
    "code_unknown": ("code", "code: unknown enrolment code", N_("This code is unknown.")),
    "code_used": ("code", "code: the code has been used", N_("This code has been used.")),
    "code_expired": ("code", "code: the code has expired", N_("This code has expired.")),
    "public_key": (
        "public_key",
        "public_key: not a 32-byte Ed25519 public key in base64",
        N_("This is not an Ed25519 public key."),
    ),
}


def _refuse(session: Session, row: EnrolmentCode | None, rule: str) -> EnrolmentRefused:
    """Audit a refused enrolment attempt and return the error to raise."""
    tenant = row.tenant_id if row is not None else None
    record(
        session,
        action="enrolment_code.refuse",
        object_type="enrolment_code",
        object_id=row.id if row is not None else None,
        object_text=row.name if row is not None else "unknown code",
        tenant_id=tenant,
        after={"rule": rule},
        actor=system_actor(ENROLMENT_ACTOR, tenant),
    )
    field, detail, msgid = _REFUSALS[rule]
    return EnrolmentRefused(detail, field=field, rule=rule).said(msgid)


def enrol(
    session: Session,
    code: str,
    public_key_b64: str,
    software_version: str,
    now: datetime | None = None,
) -> EnrolmentResult:
    """Enrol the device a one-time code was made for; every attempt is audited.

    Refusals raise :class:`EnrolmentRefused` (rules ``code_unknown``, ``code_expired``,
    ``code_used``, ``public_key``) after their audit row is written: the caller commits
    that row before answering. The code is found by its hash, so no comparison of the
    secret leaks timing. A refused key does not use up the code.
    """
    now = now or utcnow()
    row = session.scalars(
        select(EnrolmentCode).where(EnrolmentCode.code_hash == keys.code_hash(code))
    ).one_or_none()
    if row is None:
        raise _refuse(session, None, "code_unknown")
    if row.used_at is not None:
        raise _refuse(session, row, "code_used")
    if row.expires_at <= now:
        raise _refuse(session, row, "code_expired")
    raw = keys.public_key_bytes(public_key_b64)
    if raw is None:
        raise _refuse(session, row, "public_key")
    # Only one of two simultaneous attempts with the same code can set used_at.
    claimed = session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.id == row.id, EnrolmentCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise _refuse(session, row, "code_used")
    session.refresh(row)
    password = keys.new_mqtt_password()
    device = EdgeDevice(
        tenant_id=row.tenant_id,
        site_id=row.site_id,
        name=row.name,
        kind=row.kind,
        public_key=raw,
        mqtt_password_hash=mosquitto_hash(password),
        enrolled_at=now,
        software_version=software_version[:60],
    )
    session.add(device)
    session.flush()
    wanted = [uuid.UUID(d) for d in row.door_ids]
    existing = set(
        session.scalars(select(Door.id).where(Door.id.in_(wanted), Door.site_id == row.site_id))
    )
    # A door removed, or given to another device, since the code was made is left out.
    taken = _served(session, wanted)
    free = [d for d in wanted if d in existing and d not in taken]
    session.add_all(EdgeDeviceDoor(device_id=device.id, door_id=d) for d in free)
    row.device_id = device.id
    session.flush()
    after = snapshot(device)
    after["public_key"] = public_key_b64.strip()
    after["door_ids"] = [str(d) for d in free]
    record(
        session,
        action="edge_device.enrol",
        object_type="edge_device",
        object_id=device.id,
        object_text=device.name,
        tenant_id=device.tenant_id,
        after=after,
        actor=system_actor(ENROLMENT_ACTOR, device.tenant_id),
    )
    return EnrolmentResult(device.id, str(device.id), password)


def _devices(actor: Actor, permission: str) -> Select[EdgeDevice]:
    return restrict(select(EdgeDevice), EdgeDevice, actor, permission)


def list_devices(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    q: str | None = None,
    state: DeviceState | None = None,
    order: Order = BY_NAME,
) -> tuple[list[EdgeDevice], int]:
    """Devices the actor may see: ``q`` looks in names and software versions."""
    stmt = sorted_by(_devices(actor, READ), DEVICE_SORTS, order, tiebreak=EdgeDevice.id)
    if q:
        stmt = stmt.where(contains(q, EdgeDevice.name, EdgeDevice.software_version))
    if state is not None:
        stmt = stmt.where(EdgeDevice.state == state)
    return page(session, stmt, limit, offset)


def get_device(
    session: Session, actor: Actor, device_id: uuid.UUID, permission: str = READ
) -> EdgeDevice:
    """One device in the actor's scope; 404 when unknown or out of scope."""
    stmt = _devices(actor, permission).where(EdgeDevice.id == device_id)
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no edge device {device_id}")
    return found


def revoke(
    session: Session,
    actor: Actor,
    device_id: uuid.UUID,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> EdgeDevice:
    """Revoke a device for good: its key and MQTT account stop working, its doors are freed."""
    device = get_device(session, actor, device_id, WRITE)
    if expected_version is not None and expected_version != device.version:
        raise Conflict("the device changed since you saw it", field="version", rule="stale").said(
            N_("Someone else changed this device. Look at it again before you revoke it.")
        )
    if device.state is DeviceState.REVOKED:
        raise Conflict("the device is already revoked", field="state", rule="revoked").said(
            N_("This device is already revoked.")
        )
    before = snapshot(device)
    before["door_ids"] = [str(d) for d in doors_of(session, device.id)]
    device.state = DeviceState.REVOKED
    device.revoked_at = now or utcnow()
    device.version += 1
    session.query(EdgeDeviceDoor).filter(EdgeDeviceDoor.device_id == device.id).delete()
    session.flush()
    record(
        session,
        action="edge_device.revoke",
        object_type="edge_device",
        object_id=device.id,
        object_text=device.name,
        tenant_id=device.tenant_id,
        before=before,
        after=snapshot(device),
    )
    return device


def _active(session: Session, device_id: uuid.UUID) -> EdgeDevice | None:
    return session.scalars(
        select(EdgeDevice).where(EdgeDevice.id == device_id, EdgeDevice.state == DeviceState.ACTIVE)
    ).one_or_none()


def record_status(
    session: Session,
    device_id: uuid.UUID,
    *,
    software_version: str,
    health: str,
    snapshot_version: int,
    pending_events: int,
    clock_drift_ms: int | None,
    seen_at: datetime,
    health_detail: str = "",
) -> None:
    """Keep what an active device last reported (for the MQTT gateway; not audited: it is
    the device's own report, many a day). Unknown or revoked device: NotFound."""
    device = _active(session, device_id)
    if device is None:
        raise NotFound(f"no active edge device {device_id}")
    try:
        device.health = DeviceHealth(health)
    except ValueError:
        raise InvalidInput("health: ok, degraded or fault", field="health", rule="health") from None
    device.software_version = software_version[:60]
    device.health_detail = health_detail[:500]
    device.snapshot_version = snapshot_version
    device.pending_events = pending_events
    device.clock_drift_ms = clock_drift_ms
    if device.last_seen_at is None or seen_at > device.last_seen_at:
        device.last_seen_at = seen_at
    session.flush()


def public_key_of(session: Session, device_id: uuid.UUID) -> Ed25519PublicKey | None:
    """The active device's public key; None when unknown or revoked."""
    raw = session.scalar(
        select(EdgeDevice.public_key).where(
            EdgeDevice.id == device_id, EdgeDevice.state == DeviceState.ACTIVE
        )
    )
    return None if raw is None else Ed25519PublicKey.from_public_bytes(bytes(raw))


def doors_of(session: Session, device_id: uuid.UUID) -> list[uuid.UUID]:
    """The doors the device serves."""
    stmt = (
        select(EdgeDeviceDoor.door_id)
        .where(EdgeDeviceDoor.device_id == device_id)
        .order_by(EdgeDeviceDoor.door_id)
    )
    return list(session.scalars(stmt))


def door_names(session: Session, door_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, str, str]]:
    """Id, code and name of the given doors, by name (the caller has checked the scope)."""
    if not door_ids:
        return []
    stmt = select(Door.id, Door.code, Door.name).where(Door.id.in_(door_ids)).order_by(Door.name)
    return [(i, c, n) for i, c, n in session.execute(stmt)]


def mqtt_accounts(session: Session) -> list[tuple[str, str]]:
    """(username, Mosquitto hash) of every active device, for the broker's password file."""
    stmt = (
        select(EdgeDevice.id, EdgeDevice.mqtt_password_hash)
        .where(EdgeDevice.state == DeviceState.ACTIVE)
        .order_by(EdgeDevice.id)
    )
    return [(str(i), h) for i, h in session.execute(stmt)]
