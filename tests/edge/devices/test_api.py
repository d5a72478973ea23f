"""Edge devices over the API: enrolment with the one-time code (no login), the device list,
revocation and enrolment codes, with bad input answered as 422 problems."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.audit.models import AuditEntry
from stadsvakt.edge.broker.passwords import verify_mosquitto_hash
from stadsvakt.edge.devices.models import EdgeDevice
from tests import factories as f
from tests.edge.devices.conftest import Town, device_key

V1 = "/api/v1/edge"


def _code(client: TestClient, headers: dict[str, str], town: Town, **extra: Any) -> dict[str, Any]:
    body = {
        "name": "Agent skolan",
        "kind": "edge_agent",
        "site_id": str(town.north_site.id),
        "door_ids": [str(d.id) for d in town.north_doors],
        **extra,
    }
    response = client.post(f"{V1}/enrolment-codes", headers=headers, json=body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def test_a_device_enrols_with_its_code_and_is_listed_then_revoked(
    client: TestClient, session: Session, town: Town
) -> None:
    owner = f.owner_bearer(session, town.tenant)
    made = _code(client, owner, town)
    assert len(made["code"]) == 14

    _, public = device_key()
    enrolled = client.post(
        f"{V1}/enrol", json={"code": made["code"], "public_key": public, "software_version": "2.0"}
    )

    assert enrolled.status_code == 201, enrolled.text
    answer = enrolled.json()
    assert answer["mqtt_username"] == answer["device_id"]
    assert (answer["broker_host"], answer["broker_port"]) == ("127.0.0.1", 8883)
    stored = session.get(EdgeDevice, uuid.UUID(answer["device_id"]))
    assert stored is not None and verify_mosquitto_hash(
        answer["mqtt_password"], stored.mqtt_password_hash
    )
    listed = client.get(f"{V1}/devices", headers=owner).json()
    assert [d["id"] for d in listed["items"]] == [answer["device_id"]]
    assert "mqtt_password_hash" not in listed["items"][0]
    one = client.get(f"{V1}/devices/{answer['device_id']}", headers=owner).json()
    assert sorted(one["door_ids"]) == sorted(str(d.id) for d in town.north_doors)

    again = client.post(
        f"{V1}/enrol", json={"code": made["code"], "public_key": public, "software_version": "2.0"}
    )
    assert again.status_code == 422
    assert again.json()["errors"][0] == {
        "field": "code",
        "rule": "code_used",
        "message": "code: the code has been used",
    }

    revoked = client.post(f"{V1}/devices/{answer['device_id']}/revoke", headers=owner, json={})
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert revoked.json()["door_ids"] == []
    twice = client.post(f"{V1}/devices/{answer['device_id']}/revoke", headers=owner)
    assert twice.status_code == 409


def test_a_refused_enrolment_stays_in_the_audit_trail(
    client: TestClient, session: Session, town: Town
) -> None:
    response = client.post(
        f"{V1}/enrol", json={"code": "CCCC-DDDD-EEEE", "public_key": device_key()[1]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "code_unknown"
    refused = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "enrolment_code.refuse")
    ).all()
    assert len(refused) == 1 and refused[0].actor_name == "edge enrolment"


def test_bad_input_is_a_422_naming_the_field(
    client: TestClient, session: Session, town: Town
) -> None:
    owner = f.owner_bearer(session, town.tenant)
    made = _code(client, owner, town, door_ids=[])
    for body, field in (
        ({"code": made["code"], "public_key": "bm90IGEga2V5"}, "public_key"),
        ({"code": made["code"]}, "public_key"),
        ({"code": "x" * 41, "public_key": device_key()[1]}, "code"),
        ({"code": made["code"], "public_key": device_key()[1], "extra": 1}, "extra"),
    ):
        response = client.post(f"{V1}/enrol", json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text
    wrong_kind = client.post(
        f"{V1}/enrolment-codes",
        headers=owner,
        json={"name": "X", "kind": "toaster", "site_id": str(town.north_site.id)},
    )
    assert wrong_kind.status_code == 422 and "kind" in wrong_kind.text
    other_site = client.post(
        f"{V1}/enrolment-codes",
        headers=owner,
        json={
            "name": "X",
            "kind": "lock_hub",
            "site_id": str(town.north_site.id),
            "door_ids": [str(town.south_doors[0].id)],
        },
    )
    assert other_site.status_code == 422
    assert other_site.json()["errors"][0]["rule"] == "door_site"


def test_device_routes_need_their_permissions(
    client: TestClient, session: Session, town: Town
) -> None:
    reader = f.bearer(f.token(session, town.tenant, "device.read", "site.read"))
    nobody = f.bearer(f.token(session, town.tenant, "site.read"))
    assert client.get(f"{V1}/devices").status_code == 401
    assert client.get(f"{V1}/devices", headers=nobody).status_code == 403
    assert client.get(f"{V1}/devices", headers=reader).status_code == 200
    body = {"name": "X", "kind": "lock_hub", "site_id": str(town.north_site.id)}
    assert client.post(f"{V1}/enrolment-codes", headers=reader, json=body).status_code == 403
    assert client.post(f"{V1}/devices/{uuid.uuid4()}/revoke", headers=reader).status_code == 403
    owner = f.owner_bearer(session, town.tenant)
    assert client.post(f"{V1}/devices/{uuid.uuid4()}/revoke", headers=owner).status_code == 404
