"""The online decision API: answers for controllers, stored events, the event list."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.access.changes import Entity
from stadsvakt.access.decisions import DecisionIn, DecisionTime
from stadsvakt.access.event_writer import EventWriter
from stadsvakt.access.index.follower import AccessIndex
from stadsvakt.access.models import (
    AccessEvent,
    Credential,
    CredentialState,
    Door,
    DoorMode,
    Zone,
)
from stadsvakt.api.deps import Services
from stadsvakt.db import utcnow
from stadsvakt.directory.models import Assignment
from stadsvakt.directory.service import local_today
from stadsvakt.errors import InvalidInput
from stadsvakt.org.models import Municipality, OrgUnit
from stadsvakt.settings import AccessSettings
from tests import factories as f
from tests import factories_decisions as fd

URL = "/api/v1/access/decisions"
# A Wednesday afternoon in Stockholm.
WEDNESDAY = datetime(2026, 3, 11, 13, 0, tzinfo=UTC)


class Clock:
    """The decision clock of the app under test: stands still until moved."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> Clock:
    """Decisions happen on a Wednesday afternoon unless a test moves the clock (the app
    gets a fresh decision clock with each test's services)."""
    fixed = Clock(WEDNESDAY)
    app.state.access_time = replace(app.state.access_time, clock=fixed)
    return fixed


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


def test_outside_office_hours_is_a_deny(client: TestClient, city: City, clock: Clock) -> None:
    clock.now = WEDNESDAY + timedelta(hours=8)
    answer = ask(client, city)
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
    client: TestClient, city: City, session: Session, clock: Clock
) -> None:
    clock.now = WEDNESDAY + timedelta(hours=2)
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
    extra = client.post(URL, json={**_body(city), "keypad": "1234"}, headers=city.device)
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


# -- the window of `at` ------------------------------------------------------------------


def _refused(response: Response, rule: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "at"
    assert response.json()["errors"][0]["rule"] == rule


@pytest.mark.parametrize(
    ("at", "rule"),
    [
        ("2999-01-01T00:00:00Z", "date_range"),
        ("0001-01-01T00:00:00+01:00", "date_range"),
        ((WEDNESDAY + timedelta(hours=1)).isoformat(), "window"),
        ((WEDNESDAY + timedelta(seconds=301)).isoformat(), "window"),
        ((WEDNESDAY - timedelta(hours=72, seconds=1)).isoformat(), "window"),
        ((WEDNESDAY - timedelta(days=400)).isoformat(), "window"),
    ],
)
def test_a_time_far_from_now_is_refused_by_the_route_and_below_it(
    client: TestClient, city: City, session: Session, at: str, rule: str
) -> None:
    # Twice: the first through the route (the token is looked up), the second below it
    # (token cached, index current): the same rule either way, and no event is stored.
    for _ in range(2):
        _refused(client.post(URL, json={**_body(city), "at": at}, headers=city.device), rule)
        assert client.post(URL, json=_body(city), headers=city.device).status_code == 200
    stored = session.scalars(select(AccessEvent.at).where(AccessEvent.door_id == city.door.id))
    assert {at.astimezone(UTC) for at in stored} == {WEDNESDAY}


def test_a_controller_replays_what_it_buffered_offline(
    client: TestClient, city: City, session: Session
) -> None:
    monday = WEDNESDAY - timedelta(hours=48)
    answer = ask(client, city, at=monday.isoformat())
    assert answer["reason"] == "granted_by_position"
    assert answer["decided_at"].startswith("2026-03-09T13:00:00")
    skewed = ask(client, city, at=(WEDNESDAY + timedelta(seconds=299)).isoformat())
    assert skewed["granted"] is True
    stored = session.scalars(select(AccessEvent.at).where(AccessEvent.door_id == city.door.id))
    assert sorted(at.astimezone(UTC) for at in stored) == [
        monday,
        WEDNESDAY + timedelta(seconds=299),
    ]


def test_the_window_follows_the_settings() -> None:
    narrow = DecisionTime.of(
        AccessSettings(decision_past_hours=1, decision_ahead_seconds=0), clock=lambda: WEDNESDAY
    )
    door = uuid.uuid4()
    inside = DecisionIn(door_id=door, credential="CAFE", at=WEDNESDAY - timedelta(minutes=59))
    assert narrow.moment(inside) == WEDNESDAY - timedelta(minutes=59)
    assert narrow.moment(DecisionIn(door_id=door, credential="CAFE")) == WEDNESDAY
    for outside in (WEDNESDAY - timedelta(minutes=61), WEDNESDAY + timedelta(seconds=1)):
        with pytest.raises(InvalidInput) as refused:
            narrow.moment(DecisionIn(door_id=door, credential="CAFE", at=outside))
        assert refused.value.extra["errors"][0] == {
            "field": "at",
            "rule": "window",
            "message": refused.value.detail,
        }


def test_the_openapi_document_shows_the_bounds_of_at(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["DecisionIn"]
    at = next(s for s in schema["properties"]["at"]["anyOf"] if s.get("type") == "string")
    assert (at["formatMinimum"], at["formatMaximum"]) == (
        "1900-01-01T00:00:00Z",
        "2100-12-31T23:59:59Z",
    )
    assert schema["properties"]["kind"]["enum"] == ["card", "mobile"]


# -- what a reader presents: a kind and a text ----------------------------------------------


def test_a_card_and_a_mobile_key_with_the_same_text_are_two_credentials(
    client: TestClient, city: City, session: Session
) -> None:
    owner = f.owner_bearer(session, city.tenant)
    first = fd.person(session, city.tenant, unit=city.unit)
    fd.assignment(session, first, city.unit, "lärare")
    other = fd.person(session, city.tenant, unit=city.unit)  # no right at this door
    issued = [
        client.post(
            "/api/v1/credentials",
            headers=owner,
            json={"person_id": str(who.id), "kind": kind, "identifier": text},
        )
        for who, kind, text in (
            (first, "card", "0a:0b:0c:0d"),
            (other, "mobile", "0a0b0c0d"),
            (other, "mobile", "0A0B0C0D"),
        )
    ]
    assert [r.status_code for r in issued] == [201, 201, 201]
    assert [r.json()["identifier"] for r in issued] == ["0A0B0C0D", "0a0b0c0d", "0A0B0C0D"]
    as_card = ask(client, city, credential="0a0b0c0d")
    assert (as_card["reason"], as_card["person_id"]) == ("granted_by_position", str(first.id))
    for text in ("0a0b0c0d", "0A0B0C0D"):
        as_mobile = ask(client, city, credential=text, kind="mobile")
        assert (as_mobile["reason"], as_mobile["person_id"]) == ("no_right", str(other.id))
    assert ask(client, city, credential="0a0B0c0D", kind="mobile")["reason"] == (
        "unknown_credential"
    )
    # Revoking the mobile key named like the card leaves the card as it was.
    revoked = client.patch(
        f"/api/v1/credentials/{issued[2].json()['id']}", headers=owner, json={"state": "revoked"}
    )
    assert revoked.status_code == 200
    assert ask(client, city, credential="0A0B0C0D", kind="mobile")["reason"] == (
        "credential_revoked"
    )
    assert ask(client, city, credential="0A:0B:0C:0D")["person_id"] == str(first.id)
    stored = session.scalars(
        select(AccessEvent.credential_id).where(AccessEvent.door_id == city.door.id)
    ).all()
    # Each event names the credential that was found, and none for the unknown one.
    assert set(stored) == {uuid.UUID(r.json()["id"]) for r in issued} | {None}


def test_a_pin_is_never_looked_up_by_a_reader(client: TestClient, city: City) -> None:
    body = {**_body(city), "kind": "pin"}
    refused = client.post(URL, json=body, headers=city.device)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "kind"


# -- an ended assignment ends the right at once --------------------------------------------


def test_an_assignment_dropped_today_opens_no_door_for_the_rest_of_the_day(
    client: TestClient, session: Session, clock: Clock
) -> None:
    # Real time: the directory ends the assignment on today's date.
    clock.now = utcnow()
    tenant = f.municipality(session)
    unit = f.unit(session, tenant)
    door = fd.door(session, fd.zone(session, f.site(session, tenant, unit=unit)))
    always = fd.profile(
        session, tenant, [session.get_one(Zone, door.zone_id)], fd.schedule(session, tenant)
    )
    fd.position_profile(session, unit, "vaktmästare", always)
    person = fd.person(session, tenant, unit=unit)
    fd.assignment(session, person, unit, "vaktmästare")
    card = fd.credential(session, person)
    device = f.bearer(f.token(session, tenant, "access.decide"))
    body = {"door_id": str(door.id), "credential": card.identifier}
    assert client.post(URL, json=body, headers=device).json()["reason"] == "granted_by_position"
    dropped = client.put(
        f"/api/v1/people/{person.id}/assignments",
        headers=f.owner_bearer(session, tenant),
        json={"assignments": []},
    )
    assert dropped.status_code == 200 and dropped.json() == []
    ended = session.scalars(select(Assignment).where(Assignment.person_id == person.id)).one()
    assert ended.end == local_today(clock.now)
    answer = client.post(URL, json=body, headers=device).json()
    assert (answer["granted"], answer["reason"]) == (False, "no_right")


def test_an_assignment_holds_until_its_end_day_not_on_it(
    client: TestClient, city: City, session: Session, clock: Clock
) -> None:
    assignment = session.scalars(
        select(Assignment).where(Assignment.org_unit_id == city.unit.id)
    ).one()
    assignment.end = date(2026, 3, 12)  # Thursday: it no longer holds from Thursday 00:00
    fd.changed(session, assignment, Entity.ASSIGNMENT)
    assert ask(client, city)["reason"] == "granted_by_position"
    clock.now = datetime(2026, 3, 11, 22, 59, 59, tzinfo=UTC)  # Wednesday 23:59:59 in Stockholm
    last = ask(client, city)
    assert last["reason"] in ("granted_by_position", "outside_schedule")
    assert last["reason"] != "no_right"
    clock.now = datetime(2026, 3, 11, 23, 0, tzinfo=UTC)  # Thursday 00:00 in Stockholm
    assert ask(client, city)["reason"] == "no_right"


# -- an index that could not read the feed does not decide --------------------------------


def test_an_index_that_cannot_catch_up_refuses_rather_than_grants(
    client: TestClient, app: FastAPI, city: City, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ask(client, city)["granted"] is True  # the index is built, the token cached
    index = app.state.access_index

    def cut(self: AccessIndex, session: Session) -> int:
        raise OperationalError("SELECT … FROM access_changes", {}, Exception("connection lost"))

    monkeypatch.setattr(AccessIndex, "catch_up", cut)
    index.failed = True  # as a failed poll leaves it
    for _ in range(2):
        refused = client.post(URL, json=_body(city), headers=city.device)
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/access_index_unavailable")
    monkeypatch.undo()
    assert ask(client, city)["granted"] is True
    assert index.failed is False


def test_a_decision_that_cannot_reach_the_database_is_a_503_problem(
    client: TestClient, app: FastAPI, city: City
) -> None:
    # A database without tables: the token cannot be looked up, the index cannot be built.
    broken = create_engine("sqlite://")
    app.state.services = replace(app.state.services, session_factory=sessionmaker(bind=broken))
    try:
        refused = client.post(URL, json=_body(city), headers=city.device)
    finally:
        broken.dispose()
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/access_index_unavailable")
