"""The transmitter registry and alarm list over the API: keys sealed, audit, filters, errors."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.alarms.lookup import TransmitterDirectory
from stadsvakt.alarms.models import Transmitter
from stadsvakt.api.deps import Services
from stadsvakt.audit.models import AuditEntry
from stadsvakt.db import utcnow
from stadsvakt.org.models import Municipality, Site
from tests import factories as f
from tests import factories_alarms as fa

V1 = "/api/v1"


def _owner(session: Session) -> tuple[dict[str, str], Municipality, Site]:
    tenant = f.municipality(session)
    site = f.site(session, tenant)
    return f.owner_bearer(session, tenant), tenant, site


def test_register_transmitter_with_key_stored_sealed_and_never_shown(
    client: TestClient, session: Session, services: Services
) -> None:
    headers, _, site = _owner(session)
    body = {
        "site_id": str(site.id),
        "account": "a1b2c3",
        "receiver": "",
        "line": "000",
        "protocol": "dc09-cid",
        "bearer": "2G",
        "interval_s": 600,
        "key": "0123456789abcdef",
        "key_format": "ascii",
        "encrypted_only": True,
    }
    response = client.post(V1 + "/transmitters", headers=headers, json=body)
    assert response.status_code == 201, response.text
    out = response.json()
    assert (out["account"], out["receiver"], out["line"]) == ("A1B2C3", "0", "0")
    assert out["key_bits"] == 128 and "key" not in out and "key_sealed" not in out
    row = session.get(Transmitter, uuid.UUID(out["id"]))
    assert row is not None and row.key_sealed and b"0123456789abcdef" not in row.key_sealed.encode()
    directory = TransmitterDirectory(services.session_factory, services.box)
    directory.refresh()
    assert directory.key_for("A1B2C3", None, "") == b"0123456789abcdef"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.object_id == out["id"])).one()
    assert entry.action == "transmitter.create"
    assert "0123456789abcdef" not in (entry.after or "") and "key_sealed" not in (entry.after or "")


def test_bad_keys_and_flags_are_refused_naming_the_field(
    client: TestClient, session: Session
) -> None:
    headers, _, site = _owner(session)
    base = {"site_id": str(site.id), "account": "123"}
    cases: list[tuple[dict[str, object], str, str]] = [
        ({"key": "abc"}, "key", "key_hex"),
        ({"key": "short", "key_format": "ascii"}, "key", "key_ascii"),
        ({"encrypted_only": True}, "encrypted_only", "requires_key"),
        ({"account": "12"}, "account", "string_pattern_mismatch"),
        ({"line": "XYZ"}, "line", "string_pattern_mismatch"),
    ]
    for change, field, rule in cases:
        response = client.post(V1 + "/transmitters", headers=headers, json={**base, **change})
        assert response.status_code == 422, (change, response.text)
        assert {(e["field"], e["rule"]) for e in response.json()["errors"]} == {(field, rule)}


def test_same_address_twice_is_a_conflict(client: TestClient, session: Session) -> None:
    headers, _, site = _owner(session)
    body = {"site_id": str(site.id), "account": "4711", "line": "0"}
    assert client.post(V1 + "/transmitters", headers=headers, json=body).status_code == 201
    again = client.post(V1 + "/transmitters", headers=headers, json={**body, "line": ""})
    assert again.status_code == 409


def test_site_of_another_municipality_is_not_found(client: TestClient, session: Session) -> None:
    headers, _, _ = _owner(session)
    other_site = f.site(session, f.municipality(session))
    body = {"site_id": str(other_site.id), "account": "4712"}
    assert client.post(V1 + "/transmitters", headers=headers, json=body).status_code == 404


def test_update_replaces_or_removes_the_key_and_filters_by_bearer(
    client: TestClient, session: Session
) -> None:
    headers, _, site = _owner(session)
    body = {"site_id": str(site.id), "account": "4713", "key": "00" * 32, "bearer": "3G"}
    created = client.post(V1 + "/transmitters", headers=headers, json=body).json()
    assert created["key_bits"] == 256
    url = f"{V1}/transmitters/{created['id']}"
    assert client.patch(url, headers=headers, json={"name": "Skola"}).json()["key_bits"] == 256
    assert client.patch(url, headers=headers, json={"key": None}).json()["key_bits"] is None
    listed = client.get(V1 + "/transmitters", headers=headers, params={"bearer": "3G"}).json()
    assert [t["id"] for t in listed["items"]] == [created["id"]]
    assert (
        client.get(V1 + "/transmitters", headers=headers, params={"bearer": "2G"}).json()["total"]
        == 0
    )
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


def test_alarm_list_filters_by_site_category_and_time(
    client: TestClient, session: Session, services: Services
) -> None:
    headers, tenant, site = _owner(session)
    other_site = f.site(session, tenant)
    here = fa.transmitter(session, services.box, tenant, site)
    there = fa.transmitter(session, services.box, tenant, other_site)
    old = utcnow() - timedelta(hours=3)
    fa.alarm(session, here, "Nri1/FA01", sequence=1, received_at=old)
    fa.alarm(session, here, "Nri1/BA02/BA03", sequence=2)
    fa.alarm(session, there, "NPA01", sequence=3)
    session.commit()

    def ids(**params: str) -> list[tuple[str, int | None]]:
        response = client.get(V1 + "/alarms", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return [(a["category"], a["zone"]) for a in response.json()["items"]]

    assert len(ids()) == 4
    assert sorted(ids(site_id=str(site.id))) == [("fire", 1), ("intrusion", 2), ("intrusion", 3)]
    assert ids(category="hold_up") == [("hold_up", 1)]
    since = (utcnow() - timedelta(hours=1)).isoformat()
    assert ("fire", 1) not in ids(since=since) and len(ids(since=since)) == 3
    assert ids(until=since) == [("fire", 1)]
    page = client.get(V1 + "/alarms", headers=headers, params={"limit": 2, "offset": 2}).json()
    assert (page["total"], len(page["items"])) == (4, 2)
    assert client.get(V1 + "/alarms", headers=headers, params={"category": "x"}).status_code == 422


def test_alarm_detail_has_the_raw_frame(
    client: TestClient, session: Session, services: Services
) -> None:
    headers, tenant, site = _owner(session)
    row = fa.transmitter(session, services.box, tenant, site)
    [alarm] = fa.alarm(session, row, "NFA07")
    session.commit()
    out = client.get(f"{V1}/alarms/{alarm.id}", headers=headers).json()
    assert out["raw_hex"] == alarm.raw.hex().upper()
    assert out["raw_text"].startswith("<0A>") and out["raw_text"].endswith("<0D>")
    assert '"SIA-DCS"0001' in out["raw_text"] and out["payload"].endswith("NFA07]")
    assert (out["category"], out["priority"], out["zone"]) == ("fire", 1, 7)


def test_alarms_of_another_municipality_are_invisible(
    client: TestClient, session: Session, services: Services
) -> None:
    headers, _, _ = _owner(session)
    other = f.municipality(session)
    row = fa.transmitter(session, services.box, other, f.site(session, other))
    [alarm] = fa.alarm(session, row)
    session.commit()
    assert client.get(f"{V1}/alarms/{alarm.id}", headers=headers).status_code == 404
    assert client.get(V1 + "/alarms", headers=headers).json()["total"] == 0


def test_metrics_endpoint_speaks_prometheus_text(client: TestClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE stadsvakt_dc09_rejected_total counter" in response.text
