"""Operators receiving: new activations are offered fairly among the operators receiving,
and offered again when one stops or is not heard from."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.centre import handling, receiving
from stadsvakt.centre.models import Activation
from stadsvakt.db import utcnow
from tests import factories as f
from tests.centre.handling.conftest import Centre, activation, operator


def _offers(rows: list[Activation]) -> list[object]:
    return [row.offered_to for row in rows]


def test_open_activations_are_offered_fairly_and_moved_when_one_stops(
    session: Session, centre: Centre
) -> None:
    now = utcnow()
    anna, bertil = centre.anna.actor, centre.bertil.actor
    rows = [
        activation(session, centre.tenant, centre.site, opened_at=now - timedelta(minutes=5 - i))
        for i in range(3)
    ]
    receiving.set_receiving(session, anna, True, now=now)
    assert _offers(rows) == [anna.id, anna.id, anna.id]  # the only one receiving

    receiving.set_receiving(session, bertil, True, now=now)
    # Offers stay where they are while their operator is present; new ones go to the
    # operator with the fewest in hand.
    fourth = activation(session, centre.tenant, centre.site)
    fifth = activation(session, centre.tenant, centre.site)
    receiving.offer_open(session, now)
    assert _offers([fourth, fifth]) == [bertil.id, bertil.id]

    state = receiving.set_receiving(session, anna, False, now=now + timedelta(seconds=1))
    assert not state.receiving
    assert _offers(rows) == [bertil.id, bertil.id, bertil.id]
    assert handling.timeline(session, rows[0])[-1].kind == "offered"
    assert receiving.state_of(session, bertil).offered == [r.id for r in [*rows, fourth, fifth]]


def test_fewest_in_hand_first_and_ties_to_the_one_offered_least_recently(
    session: Session, centre: Centre
) -> None:
    now = utcnow()
    anna, bertil = centre.anna.actor, centre.bertil.actor
    receiving.set_receiving(session, anna, True, now=now)
    receiving.set_receiving(session, bertil, True, now=now)
    busy = activation(session, centre.tenant, centre.site)
    receiving.offer_open(session, now)
    holder = busy.offered_to
    other = bertil.id if holder == anna.id else anna.id

    rows = [activation(session, centre.tenant, centre.site, priority=p) for p in (1, 2, 3)]
    receiving.offer_open(session, now + timedelta(seconds=1))

    # The one with nothing in hand gets the first (priority 1), then they alternate.
    assert _offers(rows) == [other, holder, other]


def test_a_claimed_activation_counts_in_hand_and_is_never_offered(
    session: Session, centre: Centre
) -> None:
    now = utcnow()
    receiving.set_receiving(session, centre.anna.actor, True, now=now)
    receiving.set_receiving(session, centre.bertil.actor, True, now=now)
    mine = activation(session, centre.tenant, centre.site)
    handling.claim(session, centre.anna.actor, mine.id, version=1)
    row = activation(session, centre.tenant, centre.site)
    receiving.offer_open(session, now)
    assert mine.offered_to is None
    assert row.offered_to == centre.bertil.actor.id


def test_an_operator_not_heard_from_loses_their_offers(session: Session, centre: Centre) -> None:
    start = utcnow()
    anna, bertil = centre.anna.actor, centre.bertil.actor
    receiving.set_receiving(session, anna, True, now=start)
    row = activation(session, centre.tenant, centre.site)
    receiving.offer_open(session, start)
    assert row.offered_to == anna.id

    later = start + receiving.GONE_AFTER + timedelta(seconds=1)
    receiving.set_receiving(session, bertil, True, now=later)
    assert row.offered_to == bertil.id

    receiving.set_receiving(session, bertil, False, now=later)
    assert row.offered_to is None  # nobody is left receiving: no false "offered to you"
    assert handling.timeline(session, row)[-1].kind == "offer_withdrawn"


def test_a_heartbeat_returns_due_holds_and_offers_them(session: Session, centre: Centre) -> None:
    now = utcnow()
    row = activation(session, centre.tenant, centre.site)
    handling.claim(session, centre.anna.actor, row.id, version=1, now=now)
    handling.hold(
        session,
        centre.anna.actor,
        row.id,
        version=2,
        reason="Ringer tillbaka",
        until=now + timedelta(minutes=5),
        now=now,
    )
    receiving.set_receiving(session, centre.bertil.actor, True, now=now)
    assert row.offered_to is None  # parked: not in the queue

    receiving.heartbeat(session, centre.bertil.actor, now=now + timedelta(minutes=5))
    assert row.state.value == "open"
    assert row.offered_to == centre.bertil.actor.id


def test_another_centres_operator_is_never_offered_ours(
    session: Session, centre: Centre, services: Services
) -> None:
    elsewhere = f.municipality(session)
    stranger = operator(session, elsewhere, services, "operator")
    row = activation(session, centre.tenant, centre.site)

    receiving.set_receiving(session, stranger.actor, True)
    assert row.offered_to is None

    receiving.set_receiving(session, centre.anna.actor, True)
    assert row.offered_to == centre.anna.actor.id


def test_the_receiving_api_for_the_console(
    client: TestClient, session: Session, centre: Centre
) -> None:
    row = activation(session, centre.tenant, centre.site)
    headers = f.login(client, centre.anna.user)

    started = client.post("/api/v1/centre/receiving", json={"receiving": True}, headers=headers)
    assert started.status_code == 200, started.text
    assert started.json()["receiving"] is True
    assert started.json()["offered"] == [str(row.id)]
    assert started.json()["heartbeat_s"] == 30

    beat = client.post("/api/v1/centre/heartbeat", headers=headers)
    assert beat.status_code == 200
    assert client.get("/api/v1/centre/receiving").json()["receiving"] is True

    stopped = client.post("/api/v1/centre/receiving", json={"receiving": False}, headers=headers)
    assert stopped.json() == {
        "receiving": False,
        "since": None,
        "offered": [],
        "heartbeat_s": 30,
    }
    bad = client.post("/api/v1/centre/receiving", json={"receiving": "yes"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "receiving"
