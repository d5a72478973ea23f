"""Enrolment codes, enrolment, revocation and status of edge devices (the service)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.audit.models import AuditEntry
from stadsvakt.context import acting_as
from stadsvakt.edge.broker.passwords import verify_mosquitto_hash
from stadsvakt.edge.devices import keys, service
from stadsvakt.edge.devices.models import DeviceState, EnrolmentCode
from stadsvakt.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.edge.devices.conftest import Town, device_key, make_code

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def _actions(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_code_enrols_one_device_with_its_key_doors_and_mqtt_account(
    session: Session, town: Town
) -> None:
    row, plain = make_code(session, town.owner(), town.north_site, town.north_doors, now=NOW)
    assert len(keys.normal_code(plain)) == 12 and plain.count("-") == 2
    assert row.code_hash == keys.code_hash(plain) and plain.replace("-", "") not in row.code_hash
    assert row.expires_at == NOW + timedelta(hours=24)
    private, public = device_key()

    result = service.enrol(session, plain.lower(), public, "1.2.0", now=NOW + timedelta(hours=1))

    assert result.mqtt_username == str(result.device_id)
    device = service.get_device(session, town.owner(), result.device_id)
    assert device.name == "Agent entré" and device.site_id == town.north_site.id
    assert device.state is DeviceState.ACTIVE and device.software_version == "1.2.0"
    assert verify_mosquitto_hash(result.mqtt_password, device.mqtt_password_hash)
    assert not verify_mosquitto_hash("wrong", device.mqtt_password_hash)
    assert sorted(service.doors_of(session, device.id)) == sorted(d.id for d in town.north_doors)
    key = service.public_key_of(session, device.id)
    assert key is not None
    key.verify(private.sign(b"hello"), b"hello")
    assert (str(device.id), device.mqtt_password_hash) in service.mqtt_accounts(session)
    (audited,) = _actions(session, "edge_device.enrol")
    assert audited.object_id == str(device.id)
    assert "mqtt_password_hash" not in (audited.after or "")
    assert row.used_at is not None and row.device_id == device.id


@pytest.mark.parametrize("rule", ["code_used", "code_expired", "code_unknown", "public_key"])
def test_refused_enrolments_name_their_rule_and_are_audited(
    session: Session, town: Town, rule: str
) -> None:
    _, plain = make_code(session, town.owner(), town.north_site, now=NOW)
    _, public = device_key()
    when, code, key = NOW + timedelta(minutes=5), plain, public
    if rule == "code_used":
        service.enrol(session, plain, public, "1.0", now=when)
    elif rule == "code_expired":
        when = NOW + timedelta(hours=24)
    elif rule == "code_unknown":
        code = "AAAA-AAAA-AAAA"
    else:
        key = "AAAA"  # three bytes, not 32

    with pytest.raises(service.EnrolmentRefused) as refused:
        service.enrol(session, code, key, "1.0", now=when)

    assert refused.value.extra["errors"][0]["rule"] == rule
    assert refused.value.extra["errors"][0]["field"] == (
        "public_key" if rule == "public_key" else "code"
    )
    (audited,) = _actions(session, "enrolment_code.refuse")
    assert rule in (audited.after or "")


def test_a_refused_key_does_not_use_up_the_code(session: Session, town: Town) -> None:
    _, plain = make_code(session, town.owner(), town.north_site, now=NOW)
    with pytest.raises(service.EnrolmentRefused):
        service.enrol(session, plain, "not base64 at all!", "1.0", now=NOW)
    _, public = device_key()
    assert service.enrol(session, plain, public, "1.0", now=NOW).device_id


def test_codes_take_only_the_sites_own_free_doors(session: Session, town: Town) -> None:
    with pytest.raises(InvalidInput) as wrong_site:
        make_code(session, town.owner(), town.north_site, town.south_doors)
    assert wrong_site.value.extra["errors"][0]["rule"] == "door_site"
    _, plain = make_code(session, town.owner(), town.north_site, town.north_doors[:1])
    service.enrol(session, plain, device_key()[1], "1.0")
    with pytest.raises(Conflict):
        make_code(session, town.owner(), town.north_site, town.north_doors)


def test_a_department_admin_sees_and_enrols_only_at_their_units_sites(
    session: Session, town: Town
) -> None:
    north_admin = town.admin_of(town.north)
    _, north_code = make_code(session, north_admin, town.north_site, town.north_doors)
    with pytest.raises(NotFound):
        make_code(session, north_admin, town.south_site)
    _, south_code = make_code(session, town.owner(), town.south_site)
    north = service.enrol(session, north_code, device_key()[1], "1.0").device_id
    south = service.enrol(session, south_code, device_key()[1], "1.0").device_id

    seen, total = service.list_devices(session, north_admin, limit=50, offset=0)
    assert [d.id for d in seen] == [north] and total == 1
    with pytest.raises(NotFound):
        service.get_device(session, north_admin, south)
    with pytest.raises(NotFound):
        service.revoke(session, north_admin, south)
    reader = north_admin.__class__(
        kind="user",
        id=uuid.uuid4(),
        name="Läsare",
        tenant_id=town.tenant.id,
        grants={"device.read": None},
    )
    with pytest.raises(Forbidden):
        service.revoke(session, reader, north)


def test_revoking_stops_the_key_the_account_and_status_and_frees_the_doors(
    session: Session, town: Town
) -> None:
    _, plain = make_code(session, town.owner(), town.north_site, town.north_doors)
    device_id = service.enrol(session, plain, device_key()[1], "1.0").device_id
    actor = town.owner()
    with pytest.raises(Conflict) as stale:
        service.revoke(session, actor, device_id, expected_version=7)
    assert stale.value.extra["rule"] == "stale"

    with acting_as(actor):
        device = service.revoke(session, actor, device_id, expected_version=1)

    assert device.state is DeviceState.REVOKED and device.revoked_at is not None
    assert service.public_key_of(session, device_id) is None
    assert all(name != str(device_id) for name, _ in service.mqtt_accounts(session))
    assert service.doors_of(session, device_id) == []
    (audited,) = _actions(session, "edge_device.revoke")
    assert str(town.north_doors[0].id) in (audited.before or "")
    with pytest.raises(NotFound):
        service.record_status(
            session,
            device_id,
            software_version="1",
            health="ok",
            snapshot_version=1,
            pending_events=0,
            clock_drift_ms=None,
            seen_at=NOW,
        )
    with pytest.raises(Conflict):
        service.revoke(session, actor, device_id)
    # The freed doors can be given to a new device.
    make_code(session, actor, town.north_site, town.north_doors)


def test_status_reports_are_kept_and_unknown_devices_refused(session: Session, town: Town) -> None:
    _, plain = make_code(session, town.owner(), town.north_site)
    device_id = service.enrol(session, plain, device_key()[1], "1.0").device_id
    service.record_status(
        session,
        device_id,
        software_version="1.1",
        health="degraded",
        snapshot_version=42,
        pending_events=3,
        clock_drift_ms=-250,
        seen_at=NOW,
        health_detail="reader 2 silent",
    )
    # A report that arrives late does not move last seen back.
    service.record_status(
        session,
        device_id,
        software_version="1.1",
        health="ok",
        snapshot_version=43,
        pending_events=0,
        clock_drift_ms=10,
        seen_at=NOW - timedelta(minutes=5),
    )
    device = service.get_device(session, town.owner(), device_id)
    assert (device.software_version, device.health.value, device.snapshot_version) == (
        "1.1",
        "ok",
        43,
    )
    assert device.last_seen_at == NOW and device.clock_drift_ms == 10
    with pytest.raises(NotFound):
        service.record_status(
            session,
            uuid.uuid4(),
            software_version="1",
            health="ok",
            snapshot_version=1,
            pending_events=0,
            clock_drift_ms=None,
            seen_at=NOW,
        )
    with pytest.raises(InvalidInput):
        service.record_status(
            session,
            device_id,
            software_version="1",
            health="splendid",
            snapshot_version=1,
            pending_events=0,
            clock_drift_ms=None,
            seen_at=NOW,
        )
    assert service.public_key_of(session, uuid.uuid4()) is None


def test_unused_codes_are_listed_until_used_or_expired(session: Session, town: Town) -> None:
    owner = town.owner()
    first, plain = make_code(session, owner, town.north_site, name="Första", now=NOW)
    second, _ = make_code(session, owner, town.north_site, name="Andra", now=NOW, hours=1)
    assert [c.id for c in service.list_codes(session, owner, now=NOW)] == [second.id, first.id]
    service.enrol(session, plain, device_key()[1], "1.0", now=NOW)
    assert [c.id for c in service.list_codes(session, owner, now=NOW + timedelta(hours=2))] == []
    assert session.scalar(select(EnrolmentCode.used_at).where(EnrolmentCode.id == first.id))
