"""Whatever changes in the centre, an edge kept current by deltas decides as the centre does."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from stadsvakt.access.changes import Entity, note_change
from stadsvakt.access.decide import DecisionRequest, DecisionState, decide
from stadsvakt.access.models import (
    AccessProfile,
    Credential,
    CredentialState,
    Door,
    DoorMode,
    Grant,
    SiteDoorRules,
)
from stadsvakt.edge.snapshot.build import seal_snapshot
from stadsvakt.edge.snapshot.delta import deltas_since, seal_delta
from stadsvakt.edge.snapshot.settings import SnapshotSettings
from stadsvakt.edge.snapshot.state import SnapshotState
from stadsvakt.edge.snapshot.verify import accept_delta, accept_snapshot
from tests import factories_decisions as fd
from tests.edge.snapshot.conftest import PIN, City, centre_state, edge_snapshot

STATES = list(CredentialState)

changes = st.one_of(
    st.tuples(st.just("card"), st.integers(0, 50), st.sampled_from(STATES)),
    st.tuples(st.just("person"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("grant"), st.integers(0, 50), st.sampled_from(["a", "c", "b"])),
    st.tuples(st.just("ungrant"), st.integers(0, 50), st.none()),
    st.tuples(st.just("door"), st.integers(0, 50), st.sampled_from(list(DoorMode))),
    st.tuples(st.just("emergency"), st.integers(0, 50), st.booleans()),
)


def _apply(session: Session, city: City, change: tuple[str, int, object]) -> None:
    """Make one change in the centre as a service would: the row and its feed entry."""
    what, pick, value = change
    names = sorted(city.people)
    if what == "card":
        cards = sorted(n for n in city.card_ids if n != "stranger")
        row = session.get(Credential, city.card_ids[cards[pick % len(cards)]])
        assert row is not None
        row.state = CredentialState(str(value))
        fd.changed(session, row, Entity.CREDENTIAL)
    elif what == "person":
        person = city.people[names[pick % len(names)]]
        person.active = bool(value)
        fd.changed(session, person, Entity.PERSON)
    elif what == "grant":
        profile = session.get(AccessProfile, city.profiles[str(value)])
        assert profile is not None
        who = city.people[names[pick % len(names)]]
        fd.grant(session, profile, person_row=who, valid_from=city.now - timedelta(hours=1))
    elif what == "ungrant":
        who = city.people[names[pick % len(names)]]
        grants = list(session.execute(select(Grant.id).where(Grant.person_id == who.id)).scalars())
        session.execute(delete(Grant).where(Grant.person_id == who.id))
        for grant_id in grants:
            note_change(session, tenant_id=city.tenant, entity=Entity.GRANT, entity_id=grant_id)
        note_change(session, tenant_id=city.tenant, entity=Entity.PERSON, entity_id=who.id)
    elif what == "door":
        door = session.get(Door, city.edge_doors[pick % len(city.edge_doors)])
        assert door is not None
        door.mode = DoorMode(str(value))
        fd.changed(session, door, Entity.DOOR_LOCKDOWN)
    else:
        rules = session.get(SiteDoorRules, _site_of(session, city.edge_doors[3]))
        assert rules is not None
        rules.emergency_open = bool(value)
        note_change(
            session, tenant_id=city.tenant, entity=Entity.SITE_EMERGENCY, entity_id=rules.site_id
        )
    session.flush()


def _site_of(session: Session, door_id: uuid.UUID) -> uuid.UUID:
    door = session.get(Door, door_id)
    assert door is not None
    return door.site_id


def _same_decisions(city: City, edge: SnapshotState, centre: DecisionState) -> None:
    for door in city.edge_doors:
        for card in city.cards.values():
            request = DecisionRequest(city.tenant, door, card, pin=PIN)
            at_edge, at_centre = decide(request, edge, city.now), decide(request, centre, city.now)
            if edge.credential(city.tenant, "card", card) is not None:
                assert at_edge == at_centre, card
            else:
                assert (at_edge.granted, at_edge.unlock_seconds) == (
                    at_centre.granted,
                    at_centre.unlock_seconds,
                )


def test_an_edge_following_deltas_decides_as_the_centre(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    sent = snapshot_settings
    key = sent.public_key()
    payload = seal_snapshot(
        edge_snapshot(session, city, snapshot_settings), city.device, snapshot_settings
    )
    held = [accept_snapshot(payload, key, city.device, city.tenant, None)]

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(changes, min_size=1, max_size=3))
    # Run first: the cook (no right yet) is given the edge's profile; the guest's card is
    # revoked and the nurse deactivated.
    @example([("grant", 0, "a")])
    @example([("card", 4, CredentialState.REVOKED), ("person", 7, False)])
    def check(batch: list[tuple[str, int, object]]) -> None:
        edge = held[-1]
        for change in batch:
            _apply(session, city, change)
        body = deltas_since(
            session,
            city.tenant,
            city.edge_doors,
            edge.version,
            city.now,
            settings=snapshot_settings,
        )
        assert body is not None
        edge = accept_delta(
            seal_delta(body, city.device, snapshot_settings), key, city.device, city.tenant, edge
        )
        held.append(edge)
        _same_decisions(city, edge, centre_state(session))

    check()
