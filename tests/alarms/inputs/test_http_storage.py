"""``POST /api/v1/alarms/inputs`` when the database refuses a row or is away: never a 500.

A row the database refuses is stored as unreadable (its bytes kept) and the rest of
the body as sent; a database that is away gives a 503 problem with Retry-After, and
nothing of the body is stored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm import Session

from stadsvakt.alarms.inputs import service as input_service
from stadsvakt.alarms.normalise import AlarmRecord
from stadsvakt.alarms.store import Stored, receive_alarms
from stadsvakt.api.deps import Services
from tests.alarms.inputs.test_http import Building, _alarm, _building, _count, _post, _stored


@pytest.fixture
def building(session: Session, services: Services) -> Building:
    """A JSON transmitter and a device token that may post for it."""
    return _building(session, services)


def _database(refuses_zone: int | None = None, away: bool = False) -> Any:
    """``receive_alarms`` as a database that refuses rows of one zone, or is away."""

    def receive(session: Session, records: Sequence[AlarmRecord], **kwargs: Any) -> list[Stored]:
        if away:
            raise OperationalError("INSERT", {}, Exception("could not connect to server"))
        if any(record.zone == refuses_zone for record in records):
            raise DataError("INSERT", {}, Exception("value out of range"))
        return receive_alarms(session, records, **kwargs)

    return receive


def test_a_row_the_database_refuses_is_stored_unreadable_and_the_rest_as_sent(
    client: TestClient,
    session: Session,
    building: Building,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(input_service, "receive_alarms", _database(refuses_zone=13))
    body = [_alarm(building.account, f"m-{zone}", zone=zone) for zone in (12, 13, 14)]
    response = _post(client, building, body)
    assert response.status_code == 201, response.text
    results = response.json()["results"]
    assert [r["category"] for r in results] == ["technical", "unknown", "technical"]
    refused = _stored(session, results[1]["alarm_id"])
    assert (refused.zone, refused.code) == (None, "")
    assert "value out of range" in refused.description
    assert json.loads(refused.raw) == body[1]
    assert _stored(session, results[2]["alarm_id"]).zone == 14
    assert not any(record.exc_info for record in caplog.records)


def test_a_database_that_is_away_is_a_503_problem_not_a_500(
    client: TestClient, session: Session, building: Building, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(input_service, "receive_alarms", _database(away=True))
    response = _post(client, building, _alarm(building.account))
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    problem = response.json()
    assert problem["type"].endswith("/storage_unavailable")
    assert "Traceback" not in response.text and "could not connect" not in response.text
    assert _count(session, building.account) == 0


@pytest.mark.parametrize("declared", ["²", "9" * 5000])
def test_a_content_length_that_is_no_number_is_no_500(
    client: TestClient, building: Building, declared: str
) -> None:
    request = client.build_request(
        "POST",
        "/api/v1/alarms/inputs",
        content=json.dumps(_alarm(building.account)).encode(),
        headers={**building.device, "Content-Type": "application/json"},
    )
    request.headers["Content-Length"] = declared
    response = client.send(request)
    assert response.status_code < 500, response.text
