"""Authorization rows for edge devices: reading them takes device.read (owners, department
admins, operators, shift leaders, auditors), enrolment codes and revocation device.write
(owners, department admins); enrolling takes no login at all, only a one-time code, so
every role with a valid code enrols.

Devices and codes are made as plain rows or by the service directly (the refused calls'
audit check needs the trail untouched by the call itself).
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadsvakt.context import acting_as, system_actor
from stadsvakt.edge.devices.models import DeviceKind, EdgeDevice
from stadsvakt.edge.devices.schemas import EnrolmentCodeCreate
from stadsvakt.edge.devices.service import create_enrolment_code
from stadsvakt.edge.devices.settings import DeviceSettings
from stadsvakt.edge.envelope import public_bytes
from tests.matrices._base import ANYONE, AU, DA, SL, SO, V1, Call, World

READ = frozenset({SO, DA, "operator", SL, AU})
WRITE = frozenset({SO, DA})


def _device(w: World) -> EdgeDevice:
    row = EdgeDevice(
        tenant_id=w.tenant.id,
        site_id=w.site.id,
        name=f"Agent {uuid.uuid4().hex[:6]}",
        kind=DeviceKind.EDGE_AGENT,
        public_key=public_bytes(Ed25519PrivateKey.generate().public_key()),
        mqtt_password_hash="$7$101$c2FsdA==$aGFzaA==",
        enrolled_at=datetime(2026, 12, 6, tzinfo=UTC),
    )
    w.session.add(row)
    w.session.commit()
    return row


def _code(w: World) -> str:
    actor = system_actor("matrix", w.tenant.id)
    data = EnrolmentCodeCreate(name="Agent", kind=DeviceKind.EDGE_AGENT, site_id=w.site.id)
    with acting_as(actor):
        _, code = create_enrolment_code(w.session, actor, data, settings=DeviceSettings())
    w.session.commit()
    return code


def _key() -> str:
    return base64.b64encode(public_bytes(Ed25519PrivateKey.generate().public_key())).decode()


MATRIX: dict[tuple[str, str], tuple[frozenset[str], Call]] = {
    ("GET", "/edge/devices"): (READ, lambda c, w, h: c.get(V1 + "/edge/devices", headers=h)),
    ("GET", "/edge/devices/{device_id}"): (
        READ,
        lambda c, w, h: c.get(f"{V1}/edge/devices/{_device(w).id}", headers=h),
    ),
    ("POST", "/edge/devices/{device_id}/revoke"): (
        WRITE,
        lambda c, w, h: c.post(f"{V1}/edge/devices/{_device(w).id}/revoke", headers=h, json={}),
    ),
    ("POST", "/edge/enrolment-codes"): (
        WRITE,
        lambda c, w, h: c.post(
            V1 + "/edge/enrolment-codes",
            headers=h,
            json={"name": "Agent", "kind": "edge_agent", "site_id": str(w.site.id)},
        ),
    ),
    ("POST", "/edge/enrol"): (
        ANYONE,
        lambda c, w, h: c.post(
            V1 + "/edge/enrol",
            headers=h,
            json={"code": _code(w), "public_key": _key(), "software_version": "1.0"},
        ),
    ),
}
