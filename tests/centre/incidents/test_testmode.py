"""Sites and transmitters in test: their alarms are logged, not queued, until the end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Alarm
from stadsvakt.api.deps import Services
from stadsvakt.centre.models import Activation
from stadsvakt.centre.testmode import TestWindowIn, end_test, list_tests, start_test
from stadsvakt.db import utcnow
from stadsvakt.errors import Conflict, InvalidInput, NotFound
from tests import factories as f
from tests import factories_alarms as fa
from tests.centre.incidents.conftest import Centre

MAX_HOURS = 72


def _count(session: Session, model: type[Alarm] | type[Activation]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _window(site: object, hours: float = 2, **extra: object) -> TestWindowIn:
    now = utcnow()
    return TestWindowIn.model_validate(
        {
            "site_id": str(getattr(site, "id", site)),
            "ends_at": (now + timedelta(hours=hours)).isoformat(),
            "reason": "Servicebesök",
            **extra,
        }
    )


def test_an_alarm_from_a_site_in_test_is_logged_not_queued_until_the_test_ends(
    session: Session, services: Services, centre: Centre
) -> None:
    row = fa.transmitter(session, services.box, centre.served, centre.served_site)
    start = utcnow()
    window = start_test(session, centre.operator, _window(centre.served_site), now=start,
                        max_hours=MAX_HOURS)  # fmt: skip
    assert window.set_by_name == "Olle Operatör"
    fa.alarm(session, row, "Nri1/BA01", sequence=1, received_at=start + timedelta(minutes=1))
    assert (_count(session, Alarm), _count(session, Activation)) == (1, 0)
    # The window ends by itself: an alarm after its end reaches the queue again.
    fa.alarm(session, row, "Nri1/BA01", sequence=2, received_at=start + timedelta(hours=3))
    assert (_count(session, Alarm), _count(session, Activation)) == (2, 1)


def test_ending_a_test_early_lets_alarms_through_at_once(
    session: Session, services: Services, centre: Centre
) -> None:
    row = fa.transmitter(session, services.box, centre.home, centre.home_site)
    start = utcnow()
    window = start_test(session, centre.operator, _window(centre.home_site), now=start,
                        max_hours=MAX_HOURS)  # fmt: skip
    ended_at = start + timedelta(minutes=10)
    end_test(session, centre.operator, window.id, now=ended_at)
    fa.alarm(session, row, "Nri1/BA01", sequence=1, received_at=ended_at + timedelta(seconds=1))
    assert _count(session, Activation) == 1
    with pytest.raises(Conflict):
        end_test(session, centre.operator, window.id, now=ended_at + timedelta(minutes=1))
    [listed] = list_tests(session, centre.operator, now=ended_at + timedelta(minutes=1))
    assert listed.state.value == "ended" and listed.site == centre.home_site


def test_a_transmitter_window_keeps_only_that_transmitter_out(
    session: Session, services: Services, centre: Centre
) -> None:
    in_test = fa.transmitter(session, services.box, centre.home, centre.home_site)
    other = fa.transmitter(session, services.box, centre.home, centre.home_site)
    start = utcnow()
    data = _window(centre.home_site, transmitter_id=str(in_test.id))
    window = start_test(session, centre.operator, data, now=start, max_hours=MAX_HOURS)
    assert (window.site_id, window.transmitter_id) == (None, in_test.id)
    fa.alarm(session, in_test, "Nri1/BA01", sequence=1, received_at=start + timedelta(seconds=5))
    assert _count(session, Activation) == 0
    fa.alarm(session, other, "Nri1/FA01", sequence=1, received_at=start + timedelta(seconds=6))
    [activation] = session.scalars(select(Activation)).all()
    assert activation.transmitter_id == other.id
    [listed] = list_tests(session, centre.operator, now=start + timedelta(seconds=7))
    assert listed.transmitter == in_test and listed.site == centre.home_site


def test_a_window_is_checked(session: Session, services: Services, centre: Centre) -> None:
    now = utcnow()
    site = centre.home_site

    def rule(data: TestWindowIn) -> str:
        with pytest.raises(InvalidInput) as refused:
            start_test(session, centre.operator, data, now=now, max_hours=MAX_HOURS)
        return str(refused.value.extra["errors"][0]["rule"])

    assert rule(_window(site, hours=73)) == "max_duration"
    assert rule(_window(site, hours=-1)) == "after_starts_at"
    past = (now - timedelta(hours=2)).isoformat()
    assert rule(_window(site, starts_at=past)) == "not_past"
    with pytest.raises(NotFound):
        start_test(session, centre.operator, _window(centre.other_site), now=now,
                   max_hours=MAX_HOURS)  # fmt: skip
    stranger = fa.transmitter(session, services.box, centre.served, centre.served_site)
    with pytest.raises(NotFound):
        start_test(session, centre.operator, _window(site, transmitter_id=str(stranger.id)),
                   now=now, max_hours=MAX_HOURS)  # fmt: skip


def test_api_puts_a_site_in_test_and_ends_it(
    client: TestClient, session: Session, centre: Centre
) -> None:
    headers = f.owner_bearer(session, centre.home)
    ends = (utcnow() + timedelta(hours=1)).isoformat()
    body = {"site_id": str(centre.home_site.id), "ends_at": ends, "reason": "Service"}
    created = client.post("/api/v1/centre/tests", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["state"] == "active"
    listed = client.get("/api/v1/centre/tests", headers=headers).json()
    assert [w["id"] for w in listed] == [created.json()["id"]]
    ended = client.post(f"/api/v1/centre/tests/{created.json()['id']}/end", headers=headers)
    assert ended.status_code == 200 and ended.json()["state"] == "ended"
    again = client.post(f"/api/v1/centre/tests/{created.json()['id']}/end", headers=headers)
    assert again.status_code == 409
    too_long = {**body, "ends_at": (utcnow() + timedelta(hours=80)).isoformat()}
    refused = client.post("/api/v1/centre/tests", json=too_long, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["rule"] == "max_duration"
