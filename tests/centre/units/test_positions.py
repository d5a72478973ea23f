"""Positions: a unit's trail from its phone or device, and personal alarms' GPS."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import TransmitterProtocol
from stadsvakt.alarms.normalise import Envelope, Source, from_event
from stadsvakt.alarms.protocols import scaip_codes
from stadsvakt.alarms.protocols.scaip import parse_mrq
from stadsvakt.alarms.store import receive_alarms
from stadsvakt.api.deps import Services
from stadsvakt.auth.models import ApiToken
from stadsvakt.centre.positions import json_fix, scaip_fix
from stadsvakt.centre.units.models import GpsPosition, PositionSource
from stadsvakt.db import utcnow
from tests import factories as f
from tests import factories_alarms as fa
from tests.centre.units.conftest import SITE, Town, unit

API = "/api/v1/centre"
GEO = "<lge><geo>57.70887,11.97456</geo><tim>2026-12-05T21:00:00Z</tim></lge>"


def _mrq(cid: str, ref: str, location: str = GEO) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><mrq>'
        f"<ref>{ref}</ref><mty>ME</mty><cid>{cid}</cid><dty>0003</dty><stc>0010</stc>"
        f"{location}</mrq>"
    )


def test_a_device_token_and_the_linked_phone_report_a_trail(
    client: TestClient, session: Session, services: Services, here: Town
) -> None:
    secret = f.token(session, here.tenant, "unit.report")
    token_id = session.execute(select(ApiToken.id).order_by(ApiToken.created_at.desc())).scalar()
    phone_user = f.user(session, here.tenant, services.passwords, role="field_unit")
    car = unit(session, here.tenant, "Bil 1", token_id=token_id)
    walker = unit(session, here.tenant, "Fot 1", user_id=phone_user.id)
    start = utcnow() - timedelta(minutes=10)
    for minute in range(3):
        answer = client.post(
            f"{API}/units/{car.id}/position",
            json={
                "latitude": round(55.60 + minute / 1000, 3),
                "longitude": 13.0,
                "accuracy_m": 8,
                "at": (start + timedelta(minutes=minute)).isoformat(),
            },
            headers=f.bearer(secret),
        )
        assert answer.status_code == 201, answer.text
    # A late point from before the newest leaves the last position alone.
    late = {"latitude": 1.0, "longitude": 1.0, "at": (start - timedelta(minutes=1)).isoformat()}
    assert (
        client.post(
            f"{API}/units/{car.id}/position", json=late, headers=f.bearer(secret)
        ).status_code
        == 201
    )
    # The device token cannot move another unit; a bad latitude names the field.
    refused = client.post(
        f"{API}/units/{walker.id}/position",
        json={"latitude": 55.0, "longitude": 13.0},
        headers=f.bearer(secret),
    )
    assert refused.status_code == 404
    bad = client.post(
        f"{API}/units/{car.id}/position",
        json={"latitude": 95, "longitude": 13.0},
        headers=f.bearer(secret),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "latitude"

    owner = f.owner_bearer(session, here.tenant)
    trail = client.get(f"{API}/units/{car.id}/trail", headers=owner).json()
    assert [p["latitude"] for p in trail] == [1.0, 55.6, 55.601, 55.602]
    assert all(p["source"] == "api" for p in trail)
    shown = client.get(f"{API}/units/{car.id}", headers=owner).json()
    assert (shown["latitude"], shown["accuracy_m"]) == (55.602, 8)

    mine = f.login(client, phone_user)
    answer = client.post(
        f"{API}/units/{walker.id}/position",
        json={"latitude": SITE[0], "longitude": SITE[1]},
        headers=mine,
    )
    assert answer.status_code == 201, answer.text
    assert (
        client.post(
            f"{API}/units/{car.id}/position", json={"latitude": 1, "longitude": 1}, headers=mine
        ).status_code
        == 404
    )


def test_a_scaip_alarm_with_a_location_lands_on_the_trail(
    session: Session, services: Services, here: Town
) -> None:
    account = "4711" + str(uuid.uuid4().int)[:8]
    row = fa.transmitter(
        session,
        services.box,
        here.tenant,
        here.site,
        account=account,
        protocol=TransmitterProtocol.SCAIP,
    )
    records = []
    for index, body in enumerate((_mrq(account, "G1"), _mrq(account, "G2", location=""))):
        envelope = Envelope(
            source=Source(row.tenant_id, row.site_id, row.id),
            protocol="scaip",
            account=account,
            sequence=f"G{index}",
            received_at=utcnow(),
            event_time=None,
            encrypted=False,
            payload=body,
            raw=body.encode(),
        )
        records.append(from_event(scaip_codes.event(parse_mrq(body.encode())), envelope, 0))
    receive_alarms(session, records)

    points = list(
        session.execute(select(GpsPosition).where(GpsPosition.transmitter_id == row.id)).scalars()
    )
    assert len(points) == 1
    point = points[0]
    assert (point.latitude, point.longitude) == (57.70887, 11.97456)
    assert point.at == datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
    assert point.source is PositionSource.SCAIP
    assert point.site_id == here.site.id


def test_a_json_alarm_with_a_position_lands_on_the_trail_and_the_map(
    client: TestClient, session: Session, services: Services, here: Town
) -> None:
    row = fa.transmitter(
        session, services.box, here.tenant, here.site, protocol=TransmitterProtocol.JSON
    )
    device = f.bearer(f.token(session, here.tenant, "alarm.input"))
    session.commit()
    body = {
        "account": row.account,
        "message_id": "dementia-1",
        "code": "water_leak",
        "position": {"latitude": 55.61, "longitude": 13.01, "accuracy_m": 12.5},
    }
    answer = client.post("/api/v1/alarms/inputs", json=body, headers=device)
    assert answer.status_code == 201, answer.text

    point = session.execute(
        select(GpsPosition).where(GpsPosition.transmitter_id == row.id)
    ).scalar_one()
    assert (point.latitude, point.longitude, point.accuracy_m) == (55.61, 13.01, 12.5)
    assert point.source is PositionSource.JSON
    shown = client.get(f"{API}/map", headers=f.owner_bearer(session, here.tenant)).json()
    trails = [t for t in shown["trails"] if t["kind"] == "transmitter"]
    assert [t["id"] for t in trails] == [str(row.id)]
    assert trails[0]["points"][0]["latitude"] == 55.61


def test_positions_are_read_only_when_well_formed() -> None:
    assert scaip_fix(_mrq("1", "A", "<lge><geo>91,13</geo></lge>")) is None
    assert scaip_fix(_mrq("1", "A", "<lge><geo>55.1</geo></lge>")) is None
    assert scaip_fix("<mrq>broken") is None
    assert json_fix('{"position": "here"}') is None
    assert json_fix('{"position": {"latitude": 55, "longitude": 200}}') is None
    fix = json_fix('{"position": {"latitude": 55, "longitude": 13, "at": "2026-12-05T21:00:00Z"}}')
    assert fix is not None and fix.at == datetime(2026, 12, 5, 21, tzinfo=UTC)


def test_the_map_shows_units_and_sites_of_the_actors_municipalities_only(
    client: TestClient, session: Session, here: Town, elsewhere: Town
) -> None:
    unit(session, here.tenant, "M1", at=SITE)
    unit(session, elsewhere.tenant, "X1", at=SITE)
    shown = client.get(f"{API}/map", headers=f.owner_bearer(session, here.tenant)).json()
    assert [u["call_sign"] for u in shown["units"]] == ["M1"]
    assert [s["id"] for s in shown["sites"]] == [str(here.site.id)]
    assert shown["sites"][0]["activations"][0]["id"] == str(here.activation.id)
    assert [t["label"] for t in shown["trails"]] == ["M1"]
