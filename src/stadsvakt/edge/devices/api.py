"""Routes of edge devices: enrolment (the one-time code is the credential), the device
list, revocation and enrolment codes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from stadsvakt.api.deps import ActorDep, PagingDep, ServicesDep, SessionDep
from stadsvakt.edge.devices import service
from stadsvakt.edge.devices.models import DeviceState, EdgeDevice
from stadsvakt.edge.devices.schemas import (
    DeviceOut,
    DevicePage,
    EnrolmentCodeCreate,
    EnrolmentCodeOut,
    EnrolRequest,
    EnrolResponse,
    RevokeRequest,
)
from stadsvakt.schemas import NO_NUL

router = APIRouter(prefix="/edge", tags=["edge devices"])
Search = Annotated[
    str | None,
    Query(max_length=100, pattern=NO_NUL, description="Text to look for in name or version"),
]


def _out(session: SessionDep, device: EdgeDevice) -> DeviceOut:
    out = DeviceOut.model_validate(device)
    out.door_ids = service.doors_of(session, device.id)
    return out


@router.post("/enrol", response_model=EnrolResponse, status_code=status.HTTP_201_CREATED)
def enrol(data: EnrolRequest, session: SessionDep, services: ServicesDep) -> EnrolResponse:
    """Enrol a device with its one-time code and its Ed25519 public key (no login: the code
    is the credential). The MQTT password is in this answer only."""
    try:
        result = service.enrol(session, data.code, data.public_key, data.software_version)
    except service.EnrolmentRefused:
        # The refusal's audit row is kept; the request's unit of work rolls back otherwise.
        session.commit()
        raise
    broker = services.settings.edge.broker
    return EnrolResponse(
        device_id=result.device_id,
        mqtt_username=result.mqtt_username,
        mqtt_password=result.mqtt_password,
        broker_host=broker.host,
        broker_port=broker.port,
    )


@router.get("/devices", response_model=DevicePage)
def list_devices(
    session: SessionDep,
    actor: ActorDep,
    page: PagingDep,
    q: Search = None,
    state: DeviceState | None = None,
) -> DevicePage:
    """Edge devices in the caller's scope, by name."""
    items, total = service.list_devices(
        session, actor, limit=page.limit, offset=page.offset, q=q, state=state
    )
    return DevicePage(
        items=[_out(session, d) for d in items], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/devices/{device_id}", response_model=DeviceOut)
def get_device(device_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> DeviceOut:
    """One edge device with the doors it serves."""
    return _out(session, service.get_device(session, actor, device_id))


@router.post("/devices/{device_id}/revoke", response_model=DeviceOut)
def revoke_device(
    device_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    data: RevokeRequest | None = None,
) -> DeviceOut:
    """Revoke a device for good: its key and MQTT account stop working."""
    expected = data.expected_version if data is not None else None
    return _out(session, service.revoke(session, actor, device_id, expected_version=expected))


@router.post(
    "/enrolment-codes", response_model=EnrolmentCodeOut, status_code=status.HTTP_201_CREATED
)
def create_enrolment_code(
    data: EnrolmentCodeCreate, session: SessionDep, actor: ActorDep, services: ServicesDep
) -> EnrolmentCodeOut:
    """Make a one-time enrolment code for one device (the code is in this answer only)."""
    row, plain = service.create_enrolment_code(
        session, actor, data, settings=services.settings.edge.devices
    )
    return EnrolmentCodeOut(
        id=row.id,
        code=plain,
        expires_at=row.expires_at,
        name=row.name,
        kind=row.kind,
        site_id=row.site_id,
        door_ids=[uuid.UUID(d) for d in row.door_ids],
    )
