"""Snapshots: what an edge is sent for its doors, and that it decides as the centre does."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from stadsvakt.access.decide import DecisionRequest, Reason, decide
from stadsvakt.edge.envelope import canonical, parse
from stadsvakt.edge.snapshot.build import build_snapshot, current_version, seal_snapshot
from stadsvakt.edge.snapshot.codec import unpack
from stadsvakt.edge.snapshot.settings import SnapshotSettings
from stadsvakt.edge.snapshot.state import SnapshotState
from stadsvakt.edge.snapshot.verify import accept_snapshot
from tests.edge.snapshot.conftest import PIN, City, centre_state, edge_snapshot

#: The people with a right to the edge's doors that has not ended.
WITH_RIGHTS = {"nurse", "guest", "untrained", "night", "gone", "later"}


def _ids(body: dict[str, list[dict[str, object]]], kind: str) -> set[str]:
    return {str(entry["id"]) for entry in body[kind]}


def test_a_snapshot_holds_exactly_what_the_edge_doors_need(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    body = build_snapshot(
        session, city.tenant, [*city.edge_doors, uuid.uuid4()], city.now, settings=snapshot_settings
    )
    assert body["version"] == current_version(session) > 0
    assert _ids(body, "doors") == {str(d) for d in city.edge_doors}
    assert _ids(body, "profiles") == {str(city.profiles[k]) for k in ("a", "ab", "night", "c")}
    assert _ids(body, "schedules") == {str(s) for s in city.schedules.values()}
    assert _ids(body, "people") == {str(city.people[name].id) for name in WITH_RIGHTS}
    holders = {str(city.card_ids[n]) for n in WITH_RIGHTS | {"nurse_lost", "guest_short"}}
    assert _ids(body, "credentials") == holders
    # Only rights to the edge's profiles, only the courses they require.
    guest = next(p for p in body["people"] if p["id"] == str(city.people["guest"].id))
    assert [r["profile"] for r in guest["rights"]] == [str(city.profiles["ab"])]
    assert guest["training"] == {"Brandskydd": None}
    night = next(p for p in body["people"] if p["id"] == str(city.people["night"].id))
    assert night["extended_unlock"] is True
    assert night["rights"][0]["source"] == "granted_by_group_grant"
    # The local holiday (in three days) is listed as a date with the office hours.
    office = next(s for s in body["schedules"] if s["id"] == str(city.schedules["office"]))
    local = (city.now + timedelta(days=3)).date().isoformat()
    door = next(d for d in body["doors"] if d["id"] == str(city.edge_doors[1]))
    assert (door["mode"], door["unlock_schedule"], door["unlock_seconds"]) == (
        "scheduled_unlock",
        str(city.schedules["office"]),
        5,
    )
    assert door["extended_unlock_seconds"] == 20
    # The door rules: card and PIN, the site's emergency and its own calendar's days.
    pin_door, escape, plain = (
        next(d for d in body["doors"] if d["id"] == str(i)) for i in city.edge_doors[2:]
    )
    assert (pin_door["requires_pin"], pin_door["holidays"]) == (True, None)
    assert (escape["escape_route"], escape["emergency_open"]) == (True, True)
    site_day = (city.now + timedelta(days=5)).date().isoformat()
    assert site_day in plain["holidays"] and local not in plain["holidays"]
    nurse = next(p for p in body["people"] if p["id"] == str(city.people["nurse"].id))
    assert [p["state"] for p in nurse["pins"]] == ["active"]
    # A door digest and its salt, never the PIN itself.
    assert set(nurse["pins"][0]) == {"salt", "digest", "state", "valid_from", "valid_to"}
    lost = next(c for c in body["credentials"] if c["id"] == str(city.card_ids["nurse_lost"]))
    assert lost["state"] == "lost"
    assert local in office["holidays"]
    assert all(body["holidays_from"] <= day < body["holidays_until"] for day in office["holidays"])
    always = next(s for s in body["schedules"] if s["id"] == str(city.schedules["always"]))
    assert always["holidays"] == []


def test_a_snapshot_of_another_municipalitys_doors_is_empty(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    body = build_snapshot(
        session, uuid.uuid4(), city.edge_doors, city.now, settings=snapshot_settings
    )
    assert [body[k] for k in ("doors", "profiles", "people", "credentials")] == [[], [], [], []]


def test_the_sealed_snapshot_is_compressed_and_verifies(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    body = edge_snapshot(session, city, snapshot_settings)
    payload = seal_snapshot(body, city.device, snapshot_settings)
    envelope = parse(payload)
    assert (envelope["kind"], envelope["version"]) == ("snapshot", body["version"])
    assert unpack(envelope["body"]) == body
    assert len(envelope["body"]) < len(canonical(body))
    state = accept_snapshot(payload, snapshot_settings.public_key(), city.device, city.tenant, None)
    assert state.version == body["version"]
    assert set(state.doors) == set(city.edge_doors)


def test_the_edge_decides_as_the_centre_does(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    body = edge_snapshot(session, city, snapshot_settings)
    edge = SnapshotState.from_body(unpack(seal_and_body(body, city, snapshot_settings)))
    centre = centre_state(session)
    in_snapshot = {str(c["identifier"]) for c in body["credentials"]}
    doors = [*city.edge_doors, city.other_door, uuid.uuid4()]
    cards = [*city.cards.values(), "04FFFFFFFFFFFF"]

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.sampled_from(doors),
        st.sampled_from(cards),
        st.sampled_from([city.tenant, uuid.uuid4()]),
        st.floats(0, 14 * 24 * 3600),
        st.sampled_from([None, PIN, "0000"]),
    )
    def check(
        door: uuid.UUID, card: str, tenant: uuid.UUID, seconds: float, pin: str | None
    ) -> None:
        now = city.now + timedelta(seconds=seconds)
        request = DecisionRequest(tenant, door, card, pin=pin)
        at_edge = decide(request, edge, now)
        at_centre = decide(request, centre, now)
        if door not in city.edge_doors or tenant != city.tenant:
            assert at_edge.reason is Reason.UNKNOWN_DOOR
            assert not at_edge.granted
            return
        assert (at_edge.granted, at_edge.unlock_seconds) == (
            at_centre.granted,
            at_centre.unlock_seconds,
        )
        if card in in_snapshot:
            assert at_edge == at_centre
        else:
            # Not sent: no right to these doors, so the centre refuses it too (or the door
            # is open or locked for everyone); the edge does not know whose it is.
            assert at_edge.person_id is None
            assert at_edge.reason in (at_centre.reason, Reason.UNKNOWN_CREDENTIAL)

    check()


def seal_and_body(body: dict[str, object], city: City, settings: SnapshotSettings) -> str:
    """The packed body as it travels in the sealed envelope."""
    return str(parse(seal_snapshot(body, city.device, settings))["body"])


def test_decisions_at_the_edge_name_the_reasons_the_centre_would(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    body = edge_snapshot(session, city, snapshot_settings)
    edge = SnapshotState.from_body(body)
    secure = city.edge_doors[0]

    def reason(name: str) -> Reason:
        return decide(DecisionRequest(city.tenant, secure, city.cards[name]), edge, city.now).reason

    assert reason("nurse") is Reason.GRANTED_BY_POSITION
    assert reason("nurse_lost") is Reason.CREDENTIAL_LOST
    assert reason("gone") is Reason.PERSON_INACTIVE
    assert reason("later") is Reason.NO_RIGHT
    assert reason("cook") is Reason.UNKNOWN_CREDENTIAL
    assert reason("elsewhere") is Reason.UNKNOWN_CREDENTIAL
    assert reason("stranger") is Reason.UNKNOWN_CREDENTIAL
    other = decide(
        DecisionRequest(city.tenant, city.other_door, city.cards["nurse"]), edge, city.now
    )
    assert other.reason is Reason.UNKNOWN_DOOR
