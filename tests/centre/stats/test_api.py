"""The statistics and escalations API: what the reader sees, and clear refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.centre.escalation import escalate_unclaimed
from stadsvakt.centre.models import Cause
from stadsvakt.db import utcnow
from tests import factories as f
from tests.centre.stats.helpers import Centre, activation, centre

URL = "/api/v1/centre/statistics"


@pytest.fixture
def town(session: Session) -> Centre:
    return centre(session)


def _seed(session: Session, town: Centre) -> None:
    day = datetime(2026, 3, 30, 10, tzinfo=UTC)
    activation(session, town.a_site, day, category="fire", ack_s=20, close_s=600, cause=Cause.FALSE)
    activation(session, town.b_site, day, ack_s=50, close_s=900, cause=Cause.REAL)
    activation(session, town.c_site, day, ack_s=5, close_s=60, cause=Cause.FALSE)


def test_centre_staff_see_the_municipalities_they_serve(
    client: TestClient, session: Session, services: Services, town: Centre
) -> None:
    _seed(session, town)
    leader = f.user(session, town.a, services.passwords, role="shift_leader")
    f.login(client, leader)
    body = client.get(URL, params={"from": "2026-03-01", "to": "2026-03-31"}).json()
    assert body["period"]["from"] == "2026-03-01" and body["period"]["hours"] == 743
    assert body["total"] == 2
    assert body["per_day"] == [
        {"key": "2026-03-30", "category": "fire", "count": 1},
        {"key": "2026-03-30", "category": "intrusion", "count": 1},
    ]
    assert body["per_month"][0]["key"] == "2026-03"
    assert [(s["site_id"], s["false"], s["closed"]) for s in body["false_alarms"]] == [
        (str(town.a_site.id), 1, 1),
        (str(town.b_site.id), 0, 1),
    ]
    handling = body["handling"]
    assert handling["acknowledge_s"]["p50"] == 35
    targets = handling["targets"]
    assert [(t["within_s"], t["target_percent"], t["within"], t["met"]) for t in targets] == [
        (30, 80.0, 1, False),
        (60, 98.5, 2, True),
    ]
    only_b = client.get(
        URL, params={"from": "2026-03-01", "to": "2026-03-31", "municipality": str(town.b.id)}
    ).json()
    assert only_b["total"] == 1 and only_b["municipality_id"] == str(town.b.id)
    refused = client.get(URL, params={"municipality": str(town.c.id)})
    assert refused.status_code == 404


def test_a_municipality_admin_sees_only_their_own(
    client: TestClient, session: Session, services: Services, town: Centre
) -> None:
    _seed(session, town)
    admin = f.user(session, town.b, services.passwords, role="department_admin", unit=town.b_unit)
    f.login(client, admin)
    body = client.get(URL, params={"from": "2026-03-30", "to": "2026-03-30"}).json()
    assert body["total"] == 1
    assert [s["site_id"] for s in body["false_alarms"]] == [str(town.b_site.id)]
    assert client.get(URL, params={"municipality": str(town.a.id)}).status_code == 404


def test_bad_periods_are_refused_naming_the_field_and_the_rule(
    client: TestClient, session: Session, town: Centre
) -> None:
    headers = f.bearer(f.token(session, town.a, "centre.read"))
    backwards = client.get(URL, params={"from": "2026-03-02", "to": "2026-03-01"}, headers=headers)
    assert backwards.status_code == 422
    assert backwards.headers["content-type"].startswith("application/problem+json")
    assert [(e["field"], e["rule"]) for e in backwards.json()["errors"]] == [("to", "after_from")]
    too_long = client.get(URL, params={"from": "2024-01-01", "to": "2026-01-01"}, headers=headers)
    assert [(e["field"], e["rule"]) for e in too_long.json()["errors"]] == [("to", "max_days")]
    ancient = client.get(URL, params={"to": "0001-01-05"}, headers=headers)
    assert ancient.status_code == 422
    assert [(e["field"], e["rule"]) for e in ancient.json()["errors"]] == [("to", "year_range")]
    assert client.get(URL, params={"from": "30 mars"}, headers=headers).status_code == 422
    assert client.get(URL, headers=headers).status_code == 200
    nothing = f.bearer(f.token(session, town.a, "alarm.read"))
    assert client.get(URL, headers=nothing).status_code == 403


def test_shift_leaders_list_the_escalations(
    client: TestClient, session: Session, services: Services, town: Centre
) -> None:
    now = utcnow()
    waiting = activation(session, town.b_site, now - timedelta(minutes=5), priority=2)
    activation(session, town.c_site, now - timedelta(minutes=5), priority=2)
    escalate_unclaimed(session, now)
    leader = f.user(session, town.a, services.passwords, role="shift_leader")
    f.login(client, leader)
    [found] = client.get("/api/v1/centre/escalations").json()
    assert found["activation_id"] == str(waiting.id)
    assert (found["reason"], found["limit_s"], found["state"]) == ("unclaimed", 60, "open")
    client.post("/api/v1/auth/logout")
    operator = f.user(session, town.a, services.passwords, role="operator")
    client.cookies.clear()
    f.login(client, operator)
    assert client.get("/api/v1/centre/escalations").status_code == 403
