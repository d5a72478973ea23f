"""Dispatch: the nearest available unit of the type, refusals, the unit's steps, escalation."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.audit.models import AuditEntry
from stadsvakt.centre import dispatch as dispatching
from stadsvakt.centre.models import ActivationEntry, QueueChange
from stadsvakt.centre.positions import haversine_m
from stadsvakt.centre.units.models import Dispatch, UnitStatus, UnitType
from stadsvakt.context import acting_as
from stadsvakt.db import utcnow
from tests import factories as f
from tests.centre.units.conftest import SITE, Town, unit

API = "/api/v1/centre"


def _entries(session: Session, town: Town) -> list[ActivationEntry]:
    return list(
        session.execute(
            select(ActivationEntry)
            .where(ActivationEntry.activation_id == town.activation.id)
            .order_by(ActivationEntry.at, ActivationEntry.kind)
        ).scalars()
    )


def test_haversine_measures_metres() -> None:
    # One degree of latitude is about 111.2 km anywhere.
    assert abs(haversine_m(55.0, 13.0, 56.0, 13.0) - 111_195) < 50
    assert haversine_m(*SITE, *SITE) == 0


def test_the_nearest_available_unit_of_the_type_is_suggested(
    client: TestClient, session: Session, here: Town
) -> None:
    far = unit(session, here.tenant, "V1", at=(55.62, 13.00))  # ~1.7 km
    near = unit(session, here.tenant, "V2", at=(55.606, 13.004))  # ~110 m
    unit(session, here.tenant, "V3", status=UnitStatus.OFF_DUTY, at=SITE)
    unit(session, here.tenant, "V4", status=UnitStatus.BUSY, at=SITE)
    unit(session, here.tenant, "H1", unit_type=UnitType.HOME_CARE, at=SITE)
    nowhere = unit(session, here.tenant, "V0")  # no position yet: last
    headers = f.owner_bearer(session, here.tenant)

    answer = client.get(
        f"{API}/activations/{here.activation.id}/suggestions",
        params={"unit_type": "guard"},
        headers=headers,
    )

    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert [s["unit"]["id"] for s in found] == [str(near.id), str(far.id), str(nowhere.id)]
    assert 80 < found[0]["distance_m"] < 150
    assert found[0]["eta_s"] >= dispatching.START_S
    assert found[2]["distance_m"] is None
    every = client.get(f"{API}/activations/{here.activation.id}/suggestions", headers=headers)
    assert every.json()[0]["unit"]["call_sign"] == "H1"  # any type: the one on the spot


def test_an_off_duty_or_busy_unit_is_refused_naming_its_status(
    client: TestClient, session: Session, here: Town
) -> None:
    headers = f.owner_bearer(session, here.tenant)
    for status, words in ((UnitStatus.OFF_DUTY, "off duty"), (UnitStatus.BUSY, "busy")):
        row = unit(session, here.tenant, f"R-{status.value}", status=status, at=SITE)
        answer = client.post(
            f"{API}/activations/{here.activation.id}/dispatches",
            json={"unit_id": str(row.id)},
            headers=headers,
        )
        assert answer.status_code == 409, answer.text
        problem = answer.json()
        assert answer.headers["content-type"] == "application/problem+json"
        assert problem["unit_status"] == status.value
        assert problem["rule"] == "unit_not_available"
        assert problem["field"] == "unit_id"
        assert f"R-{status.value} is {words}" in problem["detail"]
    # A unit already dispatched is refused too.
    busy = unit(session, here.tenant, "R-twice", at=SITE)
    first = client.post(
        f"{API}/activations/{here.activation.id}/dispatches",
        json={"unit_id": str(busy.id)},
        headers=headers,
    )
    assert first.status_code == 201, first.text
    again = client.post(
        f"{API}/activations/{here.activation.id}/dispatches",
        json={"unit_id": str(busy.id)},
        headers=headers,
    )
    assert again.status_code == 409
    assert again.json()["unit_status"] == "dispatched"


def test_accept_arrive_clear_gives_the_response_time_and_the_timeline(
    session: Session, services: Services, here: Town
) -> None:
    guard_user = f.user(session, here.tenant, services.passwords, role="field_unit")
    guard = unit(session, here.tenant, "V7", at=(55.61, 13.0), user_id=guard_user.id)
    operator = f.system(here.tenant.id)
    phone = f.system(here.tenant.id)
    start = utcnow()
    with acting_as(operator):
        row = dispatching.dispatch(session, operator, here.activation.id, guard.id, now=start)
    assert guard.status is UnitStatus.DISPATCHED
    assert here.activation.version == 2
    with acting_as(phone):
        dispatching.accept(session, phone, row.id, now=start + timedelta(seconds=20))
        dispatching.arrive(session, phone, row.id, now=start + timedelta(seconds=7 * 60))
        assert guard.status.value == "on_site"
        dispatching.clear(session, phone, row.id, now=start + timedelta(minutes=30))
    session.flush()

    assert row.response_s == 7 * 60  # inställelsetid
    assert row.step == "cleared"
    assert guard.status.value == "available"
    kinds = [e.kind for e in _entries(session, here)]
    assert kinds == ["dispatched", "accepted", "arrived", "cleared"]
    arrived = next(e for e in _entries(session, here) if e.kind == "arrived")
    assert arrived.data["response_s"] == 420
    assert here.activation.version == 5
    changes = session.execute(
        select(QueueChange.kind, QueueChange.version)
        .where(QueueChange.activation_id == here.activation.id)
        .order_by(QueueChange.seq)
    ).all()
    assert [tuple(c) for c in changes] == [("updated", v) for v in (2, 3, 4, 5)]
    audited = session.execute(
        select(AuditEntry.action).where(AuditEntry.object_id == str(row.id))
    ).scalars()
    assert sorted(audited) == sorted(
        ["dispatch.create", "dispatch.accept", "dispatch.arrive", "dispatch.clear"]
    )
    stored = session.execute(
        select(Dispatch.unit_type, Dispatch.dispatched_at, Dispatch.arrived_at, Dispatch.tenant_id)
    ).one()
    assert stored.unit_type is UnitType.GUARD and stored.tenant_id == here.tenant.id


def test_the_units_phone_takes_the_steps_over_the_api(
    client: TestClient, session: Session, services: Services, here: Town
) -> None:
    guard_user = f.user(session, here.tenant, services.passwords, role="field_unit")
    guard = unit(session, here.tenant, "V8", at=SITE, user_id=guard_user.id)
    other_user = f.user(session, here.tenant, services.passwords, role="field_unit")
    unit(session, here.tenant, "V9", at=SITE, user_id=other_user.id)
    operator = f.bearer(f.token(session, here.tenant, "centre.read", "centre.operate"))
    sent = client.post(
        f"{API}/activations/{here.activation.id}/dispatches",
        json={"unit_id": str(guard.id)},
        headers=operator,
    ).json()

    other = f.login(client, other_user)
    assert client.post(f"{API}/dispatches/{sent['id']}/accept", headers=other).status_code == 404
    client.cookies.clear()
    mine = f.login(client, guard_user)
    for step, expected in (("accept", "accepted"), ("arrive", "arrived"), ("clear", "cleared")):
        answer = client.post(f"{API}/dispatches/{sent['id']}/{step}", headers=mine)
        assert answer.status_code == 200, answer.text
        assert answer.json()["step"] == expected
    assert answer.json()["response_s"] is not None
    twice = client.post(f"{API}/dispatches/{sent['id']}/arrive", headers=mine)
    assert twice.status_code == 409
    assert twice.json()["rule"] == "dispatch_closed"


def test_an_unanswered_dispatch_escalates_after_the_setting(
    session: Session, services: Services, here: Town
) -> None:
    limit = services.settings.centre.dispatch_accept_s
    guard = unit(session, here.tenant, "V5", at=SITE)
    answered = unit(session, here.tenant, "V6", at=SITE)
    operator = f.system(here.tenant.id)
    start = utcnow()
    with acting_as(operator):
        late = dispatching.dispatch(session, operator, here.activation.id, guard.id, now=start)
        ok = dispatching.dispatch(session, operator, here.activation.id, answered.id, now=start)
        dispatching.accept(session, operator, ok.id, now=start + timedelta(seconds=5))

    early = dispatching.escalate_unanswered(session, start + timedelta(seconds=limit - 1))
    assert early == []
    assert here.activation.escalated_at is None

    moment = start + timedelta(seconds=limit + 1)
    done = dispatching.escalate_unanswered(session, moment, accept_s=limit)
    assert [d.id for d in done] == [late.id]
    session.refresh(late)
    assert late.escalated_at == moment
    assert here.activation.escalated_at == moment
    line = next(e for e in _entries(session, here) if e.kind == "escalated")
    assert line.data["reason"] == "dispatch_unanswered"
    assert line.data["unit"].startswith("V5")
    # Once only.
    assert dispatching.escalate_unanswered(session, moment + timedelta(minutes=5)) == []


def test_another_municipalitys_units_and_dispatches_are_not_found(
    client: TestClient, session: Session, here: Town, elsewhere: Town
) -> None:
    theirs = unit(session, elsewhere.tenant, "X1", at=SITE)
    mine = unit(session, here.tenant, "M1", at=SITE)
    operator = f.system(elsewhere.tenant.id)
    with acting_as(operator):
        their_dispatch = dispatching.dispatch(session, operator, elsewhere.activation.id, theirs.id)
    headers = f.owner_bearer(session, here.tenant)

    assert client.get(f"{API}/units/{theirs.id}", headers=headers).status_code == 404
    assert client.get(f"{API}/dispatches/{their_dispatch.id}", headers=headers).status_code == 404
    for step in ("accept", "arrive", "clear", "cancel"):
        answer = client.post(f"{API}/dispatches/{their_dispatch.id}/{step}", headers=headers)
        assert answer.status_code == 404, step
    listed = client.get(f"{API}/units", headers=headers).json()
    assert [u["call_sign"] for u in listed] == ["M1"]
    # Their unit cannot be sent to my activation, nor mine to theirs.
    cross = client.post(
        f"{API}/activations/{here.activation.id}/dispatches",
        json={"unit_id": str(theirs.id)},
        headers=headers,
    )
    assert cross.status_code == 404
    other_way = client.post(
        f"{API}/activations/{elsewhere.activation.id}/dispatches",
        json={"unit_id": str(mine.id)},
        headers=headers,
    )
    assert other_way.status_code == 404
    assert (
        client.get(
            f"{API}/activations/{elsewhere.activation.id}/dispatches", headers=headers
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"{API}/units/{theirs.id}/position",
            json={"latitude": 55.0, "longitude": 13.0},
            headers=headers,
        ).status_code
        == 404
    )
