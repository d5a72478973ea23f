"""Door rules end to end: a PIN door asked over HTTP (with the lock-out the endpoint
keeps), a site's emergency open set by a fire alarm or an operator, a site's own
holiday calendar; the index follows each change through the access change feed."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.changes import URGENT, Entity
from stadsvakt.access.models import (
    AccessChange,
    AccessEvent,
    Credential,
    Door,
    HolidayMode,
    SiteDoorRules,
)
from stadsvakt.access.pin_attempts import LIMIT
from stadsvakt.access.schemas.places import DoorUpdate
from stadsvakt.access.services import places, site_rules
from stadsvakt.api.deps import Services
from stadsvakt.audit.models import AuditEntry
from stadsvakt.context import Actor, acting_as
from stadsvakt.errors import Forbidden
from stadsvakt.org.models import Municipality, Site
from tests import factories as f
from tests import factories_access as fa
from tests import factories_alarms as falarm
from tests import factories_decisions as fd

URL = "/api/v1/access/decisions"
# A Wednesday afternoon in Stockholm.
WEDNESDAY = datetime(2026, 3, 11, 13, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> None:
    app.state.access_time = replace(app.state.access_time, clock=lambda: WEDNESDAY)


@dataclass
class Town:
    tenant: Municipality
    site: Site
    door: Door
    card: str
    device: dict[str, str]
    pin: Credential


@pytest.fixture
def town(session: Session) -> Town:
    tenant = f.municipality(session)
    unit = f.unit(session, tenant)
    site = f.site(session, tenant, unit=unit)
    zone = fd.zone(session, site)
    door = fd.door(session, zone)
    # Closed on holidays, with no calendar of its own: only a site's calendar can close it.
    office = fd.schedule(
        session,
        tenant,
        [{"day": d, "start": "07:00", "end": "18:00"} for d in range(5)],
        holiday_mode=HolidayMode.CLOSED,
    )
    teacher = fd.profile(session, tenant, [zone], office)
    fd.position_profile(session, unit, "lärare", teacher)
    person = fd.person(session, tenant, unit=unit)
    fd.assignment(session, person, unit, "lärare")
    card = fd.credential(session, person)
    pin = fa.pin(session, person, "4711")
    device = f.bearer(f.token(session, tenant, "access.decide"))
    return Town(tenant, site, door, card.identifier, device, pin)


def _ask(client: TestClient, town: Town, **extra: str) -> tuple[bool, str]:
    body = {"door_id": str(town.door.id), "credential": town.card, **extra}
    response = client.post(URL, json=body, headers=town.device)
    assert response.status_code == 200, response.text
    answer = response.json()
    return answer["granted"], answer["reason"]


def _update_door(session: Session, door: Door, **changes: object) -> None:
    actor = f.system(door.tenant_id)
    with acting_as(actor):
        places.update_door(session, actor, door.id, DoorUpdate.model_validate(changes))
    session.flush()  # the request would commit: the index reads the feed's rows


def test_a_pin_door_asks_for_the_pin_and_locks_out_after_wrong_ones(
    client: TestClient, town: Town, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert _ask(client, town) == (True, "granted_by_position")
    _update_door(session, town.door, requires_pin=True)
    assert _ask(client, town) == (False, "pin_required")
    assert _ask(client, town, pin="4711") == (True, "granted_by_position")
    for _ in range(LIMIT):
        assert _ask(client, town, pin="1111") == (False, "pin_wrong")
    assert _ask(client, town, pin="4711") == (False, "pin_locked_out")
    assert town.pin.door_pin_digest and "4711" not in town.pin.door_pin_digest
    # PINs are never stored or logged.
    events = session.scalars(select(AccessEvent).where(AccessEvent.door_id == town.door.id))
    assert all("4711" not in e.credential and "1111" not in e.credential for e in events)
    assert "4711" not in caplog.text and "1111" not in caplog.text


def test_a_fire_alarm_opens_the_sites_escape_routes_until_an_operator_ends_it(
    client: TestClient, town: Town, session: Session, services: Services
) -> None:
    _update_door(session, town.door, escape_route=True)
    stranger = {"credential": "DEADBEEF"}
    assert _ask(client, town, **stranger) == (False, "unknown_credential")
    row = falarm.transmitter(session, services.box, town.tenant, town.site)
    falarm.alarm(session, row, "Nri1/FA01", sequence=1)
    rules = session.get(SiteDoorRules, town.site.id)
    assert rules is not None and rules.emergency_open and rules.emergency_source == "fire_alarm"
    assert _ask(client, town, **stranger) == (True, "door_emergency_open")
    # Lockdown still wins.
    _update_door(session, town.door, mode="lockdown")
    assert _ask(client, town, **stranger) == (False, "door_lockdown")
    _update_door(session, town.door, mode="secure")
    actor = f.system(town.site.tenant_id)
    with acting_as(actor):
        site_rules.set_emergency(session, actor, town.site.id, on=False, at=WEDNESDAY)
    session.flush()
    assert _ask(client, town, **stranger) == (False, "unknown_credential")
    kinds = [
        c.entity
        for c in session.scalars(
            select(AccessChange).where(AccessChange.tenant_id == town.site.tenant_id)
        )
    ]
    assert kinds.count(Entity.SITE_EMERGENCY) == 2 and kinds.count(Entity.DOOR_LOCKDOWN) == 2
    assert {Entity.SITE_EMERGENCY, Entity.DOOR_LOCKDOWN} == URGENT
    actions = set(
        session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(town.site.id)))
    )
    assert {"site.emergency_open", "site.emergency_end"} <= actions


def test_emergency_open_needs_the_operators_permission(session: Session, town: Town) -> None:
    reader = Actor("user", uuid.uuid4(), "Admin", town.site.tenant_id, {"access.write": None})
    with acting_as(reader), pytest.raises(Forbidden):
        site_rules.set_emergency(session, reader, town.site.id, on=True, at=WEDNESDAY)


def test_a_sites_own_calendar_closes_its_doors_on_its_study_day(
    client: TestClient, town: Town, session: Session
) -> None:
    study_day = fd.calendar(session, town.tenant, local_days=["2026-03-11"])
    assert _ask(client, town) == (True, "granted_by_position")
    actor = f.system(town.site.tenant_id)
    with acting_as(actor):
        site_rules.set_site_calendar(session, actor, town.site.id, study_day.id)
    session.flush()
    assert _ask(client, town) == (False, "holiday")
    with acting_as(actor):
        site_rules.set_site_calendar(session, actor, town.site.id, None)
    session.flush()
    assert _ask(client, town) == (True, "granted_by_position")
