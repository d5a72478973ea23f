"""``POST /api/v1/alarms/inputs``: alarms stored from a device token, re-sends recognised,
bad input named by field and rule, and nobody posting for another municipality."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.alarms.inputs.counters import JSON_REJECTED
from stadsvakt.alarms.metrics import REGISTRY
from stadsvakt.alarms.models import Alarm, Transmitter, TransmitterProtocol
from stadsvakt.api.deps import Services
from stadsvakt.org.models import Municipality, Site
from tests import factories as f
from tests import factories_alarms as fa

URL = "/api/v1/alarms/inputs"


@dataclass
class Building:
    tenant: Municipality
    site: Site
    account: str
    transmitter: Transmitter
    device: dict[str, str]


def _building(session: Session, services: Services) -> Building:
    tenant = f.municipality(session)
    site = f.site(session, tenant)
    row = fa.transmitter(session, services.box, tenant, site, protocol=TransmitterProtocol.JSON)
    device = f.bearer(f.token(session, tenant, "alarm.input"))
    session.commit()
    return Building(tenant, site, row.account, row, device)


@pytest.fixture
def building(session: Session, services: Services) -> Building:
    return _building(session, services)


def _alarm(account: str, message_id: str = "m-1", **extra: Any) -> dict[str, Any]:
    return {"account": account, "message_id": message_id, "code": "water_leak", **extra}


def _post(client: TestClient, building: Building, body: Any) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        URL, content=content, headers={**building.device, "Content-Type": "application/json"}
    )


def _stored(session: Session, alarm_id: str) -> Alarm:
    session.expire_all()
    return session.get_one(Alarm, uuid.UUID(alarm_id))


def _count(session: Session, account: str) -> int:
    return session.scalar(select(func.count()).where(Alarm.account == account)) or 0


def test_a_water_leak_is_stored_with_its_bytes(
    client: TestClient, session: Session, building: Building
) -> None:
    body = (
        b'{"account": "%s", "message_id": "bms-17", "code": "water_leak", "zone": 3,'
        b' "text": "K\xc3\xa4llare, pannrum", "event_time": "2026-11-22T08:00:00+01:00"}'
    ) % building.account.lower().encode()
    response = _post(client, building, body)
    assert response.status_code == 201, response.text
    [result] = response.json()["results"]
    assert result["kind"] == "alarm"
    assert result["duplicate"] is False
    assert (result["category"], result["priority"]) == ("technical", 5)
    alarm = _stored(session, result["alarm_id"])
    assert (alarm.protocol, alarm.code, alarm.qualifier) == ("json", "water_leak", "new")
    assert alarm.account == building.account
    assert alarm.description == "Water leak"
    assert (alarm.zone, alarm.text) == (3, "Källare, pannrum")
    assert alarm.event_time is not None and alarm.event_time.hour == 7
    assert alarm.raw == body
    assert alarm.site_id == building.transmitter.site_id
    assert json.loads(alarm.payload)["message_id"] == "bms-17"
    session.refresh(building.transmitter)
    assert building.transmitter.last_seen_at is not None


def test_a_resent_message_is_recognised_not_stored_twice(
    client: TestClient, session: Session, building: Building
) -> None:
    first = _post(client, building, _alarm(building.account)).json()["results"][0]
    # The same message with other spacing, key order and its default spelled out.
    again = (
        '{ "code":"water_leak",  "qualifier":"new", "message_id":"m-1", "account":"'
        + building.account
        + '" }'
    ).encode()
    second = _post(client, building, again).json()["results"][0]
    assert second["duplicate"] is True
    assert second["alarm_id"] == first["alarm_id"]
    assert _count(session, building.account) == 1


def test_the_same_message_id_with_new_content_is_a_new_alarm(
    client: TestClient, session: Session, building: Building
) -> None:
    _post(client, building, _alarm(building.account))
    restore = _post(client, building, _alarm(building.account, qualifier="restore"))
    [result] = restore.json()["results"]
    assert (result["duplicate"], result["priority"]) == (False, 7)
    assert _count(session, building.account) == 2


def test_a_batch_keeps_order_and_each_message_verbatim(
    client: TestClient, session: Session, building: Building
) -> None:
    a = f'"account":"{building.account}"'
    parts = [
        "{" + a + ',"message_id":"d1","code":"door_forced","zone":12}',
        '{"kind":"heartbeat",' + a + "}",
        "{" + a + ', "message_id":"d1","code":"door_forced","zone":12, "qualifier":"restore"}',
    ]
    body = ("[\n  " + ",\n  ".join(parts) + "\n]").encode()
    response = _post(client, building, body)
    assert response.status_code == 201, response.text
    results = response.json()["results"]
    assert [r["kind"] for r in results] == ["alarm", "heartbeat", "alarm"]
    assert [r["priority"] for r in results] == [3, None, 7]
    assert results[1]["alarm_id"] is None
    assert _stored(session, results[0]["alarm_id"]).raw == parts[0].encode()
    restored = _stored(session, results[2]["alarm_id"])
    assert restored.raw == parts[2].encode()
    assert restored.description == "Door forced open - restored"


def test_a_message_twice_in_one_batch_is_stored_once(
    client: TestClient, session: Session, building: Building
) -> None:
    results = _post(client, building, [_alarm(building.account)] * 2).json()["results"]
    assert [r["duplicate"] for r in results] == [False, True]
    assert results[0]["alarm_id"] == results[1]["alarm_id"]
    assert _count(session, building.account) == 1


def test_unknown_codes_are_stored_never_dropped(
    client: TestClient, session: Session, building: Building
) -> None:
    body = [
        _alarm(building.account, "u1", code="E101"),
        _alarm(building.account, "u2", code="E102", category="technical"),
        # A known code keeps the table's category whatever the sender says.
        _alarm(building.account, "u3", category="fire"),
    ]
    results = _post(client, building, body).json()["results"]
    assert [(r["category"], r["priority"]) for r in results] == [
        ("unknown", 4),
        ("technical", 5),
        ("technical", 5),
    ]
    unknown = _stored(session, results[0]["alarm_id"])
    assert (unknown.code, unknown.description) == ("E101", "Code E101 (not in the code table)")


def test_a_heartbeat_only_updates_last_seen(
    client: TestClient, session: Session, building: Building
) -> None:
    response = _post(client, building, {"kind": "heartbeat", "account": building.account})
    assert response.status_code == 201, response.text
    assert response.json()["results"][0]["alarm_id"] is None
    assert _count(session, building.account) == 0
    session.refresh(building.transmitter)
    assert building.transmitter.last_seen_at is not None


def _gas(**extra: Any) -> dict[str, Any]:
    return {"account": "ABC", "message_id": "m", "code": "gas", **extra}


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        (b"{not json", "body", "json_invalid"),
        (b"[]", "body", "too_short"),
        (b'"water_leak"', "body", "message_kind"),
        ({"kind": "panic", "account": "ABC"}, "body", "message_kind"),
        (_gas(code="vatten läcka"), "code", "string_pattern_mismatch"),
        (_gas(code="high_temperature_"), "code", "string_too_long"),
        (_gas(account="XYZ"), "account", "string_pattern_mismatch"),
        ({"account": "ABC", "code": "gas"}, "message_id", "missing"),
        (_gas(zone="4"), "zone", "int_type"),
        (_gas(zone=-1), "zone", "greater_than_equal"),
        (_gas(qualifier="status"), "qualifier", "enum"),
        (_gas(category="panic"), "category", "enum"),
        (_gas(text="x" * 501), "text", "string_too_long"),
        (_gas(text="a\u0007"), "text", "no_control_character"),
        (_gas(event_time="2026-11-22T08:00:00"), "event_time", "timezone_aware"),
        (_gas(event_time="1970-01-01T00:00:00Z"), "event_time", "event_time_range"),
        (_gas(event_time=1_790_000_000), "event_time", "datetime_type"),
        (_gas(site="RH1"), "site", "extra_forbidden"),
        ([_gas(), {"kind": "heartbeat"}], "1.account", "missing"),
    ],
)
def test_bad_input_is_a_422_naming_field_and_rule(
    client: TestClient, building: Building, body: Any, field: str, rule: str
) -> None:
    reason = "json" if rule == "json_invalid" else "schema"
    before = REGISTRY.value(JSON_REJECTED, reason=reason, transport="http")
    response = _post(client, building, body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert {"field": field, "rule": rule} in [
        {"field": e["field"], "rule": e["rule"]} for e in problem["errors"]
    ], problem
    assert REGISTRY.value(JSON_REJECTED, reason=reason, transport="http") == before + 1


def test_batches_and_bodies_are_bounded(client: TestClient, building: Building) -> None:
    batch = [_alarm(building.account, f"m{i}") for i in range(101)]
    response = _post(client, building, batch)
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "too_long"
    huge = _post(client, building, b" " * (256 * 1024 + 1))
    assert huge.status_code == 422
    assert huge.json()["errors"][0] == {
        "field": "body",
        "rule": "too_large",
        "message": "at most 262144 bytes",
    }


def test_an_unregistered_account_refuses_the_whole_batch(
    client: TestClient, session: Session, building: Building
) -> None:
    body = [_alarm(building.account), _alarm("ABCDEF01")]
    response = _post(client, building, body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/unknown_account")
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
        ("1.account", "unknown_account")
    ]
    assert _count(session, building.account) == 0


def test_a_dc09_transmitter_is_not_a_json_sender(
    client: TestClient, session: Session, services: Services, building: Building
) -> None:
    panel = fa.transmitter(session, services.box, building.tenant, building.site)
    session.commit()
    response = _post(client, building, _alarm(panel.account))
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "account",
        "rule": "unknown_account",
        "message": f"no transmitter with account {panel.account} and protocol json"
        " (receiver 0, line 0) in your municipality",
    }


def test_no_posting_for_another_municipality(
    client: TestClient, session: Session, services: Services, building: Building
) -> None:
    other = _building(session, services)
    response = _post(client, building, _alarm(other.account))
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "unknown_account"
    assert _count(session, other.account) == 0


def test_without_a_valid_token_it_is_401(client: TestClient, building: Building) -> None:
    body = _alarm(building.account)
    assert client.post(URL, json=body).status_code == 401
    bad = client.post(URL, json=body, headers=f.bearer("svt_" + "x" * 40))
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == "Bearer"


def test_a_token_without_the_scope_is_403_before_its_body_is_read(
    client: TestClient, session: Session, building: Building
) -> None:
    reader = f.bearer(f.token(session, building.tenant, "alarm.read"))
    response = client.post(URL, content=b"{not json", headers=reader)
    assert response.status_code == 403
    assert "alarm.input" in response.json()["detail"]
