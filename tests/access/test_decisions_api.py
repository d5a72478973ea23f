"""The online decision API: answers for controllers, stored events, the event list."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.access.changes import Entity
from stadsvakt.access.event_writer import EventWriter
from stadsvakt.access.models import AccessEvent, Credential, CredentialState, Door, DoorMode
from stadsvakt.api.deps import Services
from stadsvakt.directory.models import Assignment
from stadsvakt.org.models import Municipality, OrgUnit
from tests import factories as f
from tests import factories_decisions as fd

URL = "/api/v1/access/decisions"
# A Wednesday afternoon in Stockholm.
WEDNESDAY = datetime(2026, 3, 11, 13, 0, tzinfo=UTC)


@dataclass
class City:
    tenant: Municipality
    unit: OrgUnit
    door: Door
    card: str
    person_id: str
    device: dict[str, str]


@pytest.fixture
def city(session: Session) -> City:
    tenant = f.municipality(session)
    unit = f.unit(session, tenant)
    site = f.site(session, tenant, unit=unit)
    zone = fd.zone(session, site)
    door = fd.door(session, zone)
    office = fd.schedule(
        session, tenant, [{"day": d, "start": "07:00", "end": "18:00"} for d in range(5)]
    )
    teacher = fd.profile(session, tenant, [zone], office)
    fd.position_profile(session, unit, "lärare", teacher)
    person = fd.person(session, tenant, unit=unit)
    fd.assignment(session, person, unit, "lärare")
    card = fd.credential(session, person)
    device = f.bearer(f.token(session, tenant, "access.decide"))
    return City(tenant, unit, door, card.identifier, str(person.id), device)


def ask(client: TestClient, city: City, *, credential: str | None = None, **extra: object) -> dict:  # type: ignore[type-arg]
    body = {"door_id": str(city.door.id), "credential": credential or city.card}
    body.update({k: str(v) if not isinstance(v, str) else v for k, v in extra.items()})
    response = client.post(URL, json=body, headers=city.device)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_position_opens_its_door_in_office_hours(client: TestClient, city: City) -> None:
    answer = ask(client, city, at=WEDNESDAY.isoformat())
    assert answer["granted"] is True
    assert answer["reason"] == "granted_by_position"
    assert answer["person_id"] == city.person_id
    assert answer["door_id"] == str(city.door.id)
    assert answer["decided_at"].startswith("2026-03-11T13:00:00")


def test_outside_office_hours_is_a_deny(client: TestClient, city: City) -> None:
    answer = ask(client, city, at=(WEDNESDAY + timedelta(hours=8)).isoformat())
    assert (answer["granted"], answer["reason"]) == (False, "outside_schedule")


def test_card_uid_is_matched_whatever_its_case(client: TestClient, city: City) -> None:
    answer = ask(client, city, credential=f" {city.card.lower()} ", at=WEDNESDAY.isoformat())
    assert answer["granted"] is True


def test_unknown_door_and_credential_are_denies_not_errors(
    client: TestClient, city: City, session: Session
) -> None:
    unknown = ask(client, city, credential="DEADBEEF", at=WEDNESDAY.isoformat())
    assert (unknown["granted"], unknown["reason"], unknown["person_id"]) == (
        False,
        "unknown_credential",
        None,
    )
    body = {"door_id": "00000000-0000-4000-8000-000000000000", "credential": city.card}
    response = client.post(URL, json=body, headers=city.device)
    assert response.status_code == 200
    assert response.json()["reason"] == "unknown_door"


def test_every_decision_is_stored_as_an_event(
    client: TestClient, city: City, session: Session
) -> None:
    ask(client, city, at=WEDNESDAY.isoformat())
    ask(client, city, credential="DEADBEEF", at=WEDNESDAY.isoformat())
    events = session.scalars(
        select(AccessEvent).where(AccessEvent.door_id == city.door.id).order_by(AccessEvent.id)
    ).all()
    assert [(e.credential, e.granted, e.reason) for e in events] == [
        (city.card, True, "granted_by_position"),
        ("DEADBEEF", False, "unknown_credential"),
    ]
    assert str(events[0].person_id) == city.person_id


def test_a_lost_card_is_denied_at_once_in_the_same_process(
    client: TestClient, city: City, session: Session
) -> None:
    assert ask(client, city, at=WEDNESDAY.isoformat())["granted"] is True
    card = session.scalars(select(Credential).where(Credential.identifier == city.card)).one()
    card.state = CredentialState.LOST
    fd.changed(session, card, Entity.CREDENTIAL)
    assert ask(client, city, at=WEDNESDAY.isoformat())["reason"] == "credential_lost"


def test_lockdown_refuses_everyone(client: TestClient, city: City, session: Session) -> None:
    city.door.mode = DoorMode.LOCKDOWN
    fd.changed(session, city.door, Entity.DOOR)
    answer = ask(client, city, at=WEDNESDAY.isoformat())
    assert (answer["granted"], answer["reason"]) == (False, "door_lockdown")


def test_an_ended_assignment_ends_the_right(
    client: TestClient, city: City, session: Session
) -> None:
    assignment = session.scalars(
        select(Assignment).where(Assignment.org_unit_id == city.unit.id)
    ).one()
    assignment.end = date(2026, 3, 10)
    fd.changed(session, assignment, Entity.ASSIGNMENT)
    assert ask(client, city, at=WEDNESDAY.isoformat())["reason"] == "no_right"


def test_a_token_without_access_decide_is_refused(
    client: TestClient, city: City, session: Session
) -> None:
    reader = f.bearer(f.token(session, city.tenant, "access.read"))
    body = {"door_id": str(city.door.id), "credential": city.card}
    assert client.post(URL, json=body, headers=reader).status_code == 403
    assert client.post(URL, json=body).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"door_id": "nope", "credential": "AB"},
        {"door_id": "00000000-0000-4000-8000-000000000000", "credential": ""},
        {"door_id": "00000000-0000-4000-8000-000000000000", "credential": "A" * 65},
        {
            "door_id": "00000000-0000-4000-8000-000000000000",
            "credential": "AB",
            "at": "2026-01-01T10:00:00",
        },
    ],
)
def test_malformed_requests_are_422(client: TestClient, city: City, body: dict) -> None:  # type: ignore[type-arg]
    assert client.post(URL, json=body, headers=city.device).status_code == 422


def test_events_are_listed_with_filters_and_paging(
    client: TestClient, city: City, session: Session
) -> None:
    for hours in (0, 1, 2):
        ask(client, city, at=(WEDNESDAY + timedelta(hours=hours)).isoformat())
    ask(client, city, credential="CAFE", at=WEDNESDAY.isoformat())
    headers = f.bearer(f.token(session, city.tenant, "access.read"))
    page = client.get(
        "/api/v1/access/events",
        params={"door_id": str(city.door.id), "limit": 2},
        headers=headers,
    ).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    assert page["items"][0]["at"].startswith("2026-03-11T15:00")
    mine = client.get(
        "/api/v1/access/events", params={"person_id": city.person_id}, headers=headers
    ).json()
    assert mine["total"] == 3
    later = client.get(
        "/api/v1/access/events",
        params={"since": (WEDNESDAY + timedelta(hours=1)).isoformat(), "granted": "true"},
        headers=headers,
    ).json()
    assert later["total"] == 2
    assert (session.scalar(select(func.count()).select_from(AccessEvent)) or 0) >= 4


def test_events_of_another_municipality_are_not_shown(
    client: TestClient, city: City, session: Session, services: Services
) -> None:
    ask(client, city, at=WEDNESDAY.isoformat())
    other = f.municipality(session)
    headers = f.bearer(f.token(session, other, "access.read"))
    assert client.get("/api/v1/access/events", headers=headers).json()["total"] == 0


def _body(city: City) -> dict[str, str]:
    return {"door_id": str(city.door.id), "credential": city.card, "at": WEDNESDAY.isoformat()}


def test_the_cached_answer_is_the_routes_answer(
    client: TestClient, city: City, session: Session
) -> None:
    # The first ask looks the token up (the route); the second is answered below the
    # router (token cached, index current): the same bytes, a request id, an event each.
    first = client.post(URL, json=_body(city), headers=city.device)
    second = client.post(URL, json=_body(city), headers=city.device)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first.headers["content-type"] == second.headers["content-type"] == "application/json"
    assert (
        second.headers["x-request-id"]
        and second.headers["x-request-id"] != first.headers["x-request-id"]
    )
    count = select(func.count()).select_from(AccessEvent).where(AccessEvent.door_id == city.door.id)
    assert session.scalar(count) == 2


def test_with_a_cached_token_bad_input_and_refusals_are_still_problems(
    client: TestClient, city: City, session: Session
) -> None:
    assert client.post(URL, json=_body(city), headers=city.device).status_code == 200
    bad = client.post(URL, json={**_body(city), "door_id": "nope"}, headers=city.device)
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "door_id"
    extra = client.post(URL, json={**_body(city), "pin": "1234"}, headers=city.device)
    assert extra.status_code == 422
    json_headers = {**city.device, "content-type": "application/json"}
    not_json = client.post(URL, content=b"{", headers=json_headers)
    assert not_json.status_code == 422
    reader = f.bearer(f.token(session, city.tenant, "access.read"))
    # Looked up by the first ask, the reader's token is refused again once cached.
    for _ in range(2):
        refused = client.post(URL, json=_body(city), headers=reader)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"


def test_a_decision_whose_event_cannot_be_stored_is_a_503_problem(
    app: FastAPI, city: City, session: Session
) -> None:
    # A database without the events table: every commit of the writer fails.
    broken = create_engine("sqlite://")
    app.state.access_events = EventWriter(sessionmaker(bind=broken))
    try:
        with TestClient(app, base_url="https://testserver") as client:
            # The first through the route, the second below it (token cached): neither grants.
            for _ in range(2):
                response = client.post(URL, json=_body(city), headers=city.device)
                assert response.status_code == 503
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["type"].endswith("/access_event_not_stored")
    finally:
        broken.dispose()
    count = select(func.count()).select_from(AccessEvent).where(AccessEvent.door_id == city.door.id)
    assert session.scalar(count) == 0


def test_concurrent_decisions_each_have_their_event(
    client: TestClient, city: City, session: Session
) -> None:
    assert client.post(URL, json=_body(city), headers=city.device).status_code == 200
    cards = [f"CAFE{i:04X}" for i in range(24)]

    def ask_with(card: str) -> int:
        body = {**_body(city), "credential": card}
        return client.post(URL, json=body, headers=city.device).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(ask_with, cards)) == [200] * len(cards)
    stored = session.scalars(
        select(AccessEvent.credential).where(AccessEvent.door_id == city.door.id)
    ).all()
    assert sorted(stored) == sorted([city.card, *cards])


def test_the_openapi_document_describes_the_decision(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"][URL]["post"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/DecisionOut")
    assert "DecisionIn" in operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert {"401", "403", "422", "503"} <= set(operation["responses"])
