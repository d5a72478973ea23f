"""Deltas: changes in the centre reach the edge, revocations first; an edge too far behind
is told to take a snapshot."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.changes import Entity
from stadsvakt.access.decide import DecisionRequest, Reason, decide
from stadsvakt.access.models import (
    AccessProfile,
    Credential,
    CredentialKind,
    CredentialState,
    Door,
    DoorMode,
)
from stadsvakt.access.services import credentials
from stadsvakt.context import acting_as
from stadsvakt.edge.snapshot.build import current_version, seal_snapshot
from stadsvakt.edge.snapshot.delta import deltas_since, is_revocation, seal_delta
from stadsvakt.edge.snapshot.settings import SnapshotSettings
from stadsvakt.edge.snapshot.state import SnapshotState
from stadsvakt.edge.snapshot.verify import SnapshotRefused, accept_delta, accept_snapshot
from tests import factories as f
from tests import factories_decisions as fd
from tests.edge.snapshot.conftest import PIN, City, edge_snapshot


def _edge(session: Session, city: City, settings: SnapshotSettings) -> SnapshotState:
    payload = seal_snapshot(edge_snapshot(session, city, settings), city.device, settings)
    return accept_snapshot(payload, settings.public_key(), city.device, city.tenant, None)


def _delta(session: Session, city: City, settings: SnapshotSettings, version: int) -> bytes:
    body = deltas_since(session, city.tenant, city.edge_doors, version, city.now, settings=settings)
    assert body is not None
    return seal_delta(body, city.device, settings)


def _reason(state: SnapshotState, city: City, card: str, door: int = 0) -> Reason:
    request = DecisionRequest(city.tenant, city.edge_doors[door], city.cards[card])
    return decide(request, state, city.now).reason


def test_a_card_revoked_in_the_centre_is_the_first_change_and_the_edge_then_refuses_it(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    edge = _edge(session, city, snapshot_settings)
    assert _reason(edge, city, "nurse") is Reason.GRANTED_BY_POSITION
    # Something else changes first in the feed: the revocation still goes first.
    fd.changed(session, city.people["guest"], Entity.PERSON)
    actor = f.system(city.tenant)
    with acting_as(actor):
        credentials.change_state(session, actor, city.card_ids["nurse"], CredentialState.REVOKED)
    session.flush()
    body = deltas_since(
        session, city.tenant, city.edge_doors, edge.version, city.now, settings=snapshot_settings
    )
    assert body is not None
    assert (body["from_version"], body["to_version"]) == (edge.version, current_version(session))
    # Revocations lead: the revoked card (and its holder's lost card, sent again with the
    # holder), then the people named and their other cards.
    changes = body["changes"]
    count = sum(is_revocation(c) for c in changes)
    leading = {c["entry"]["id"]: c["entry"]["state"] for c in changes[:count]}
    assert leading == {
        str(city.card_ids["nurse"]): "revoked",
        str(city.card_ids["nurse_lost"]): "lost",
    }
    assert all(c["kind"] == "credentials" and c["op"] == "upsert" for c in changes[:count])
    guest = {city.people["guest"].id, city.card_ids["guest"], city.card_ids["guest_short"]}
    assert {c["entry"]["id"] for c in changes[count:]} == {
        str(i) for i in guest | {city.people["nurse"].id}
    }
    assert not any(is_revocation(c) for c in changes[count:])
    updated = accept_delta(
        seal_delta(body, city.device, snapshot_settings),
        snapshot_settings.public_key(),
        city.device,
        city.tenant,
        edge,
    )
    assert updated.version == body["to_version"]
    assert _reason(updated, city, "nurse") is Reason.CREDENTIAL_REVOKED
    assert _reason(edge, city, "nurse") is Reason.GRANTED_BY_POSITION  # the old state is kept
    assert _reason(updated, city, "guest", door=1) == _reason(edge, city, "guest", door=1)


def test_deactivation_lockdown_and_new_rights_reach_the_edge(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    edge = _edge(session, city, snapshot_settings)
    assert _reason(edge, city, "cook") is Reason.UNKNOWN_CREDENTIAL
    # The cook is given the edge's profile: people are sent whole, cards included.
    fd.grant(
        session,
        fd_profile(session, city),
        person_row=city.people["cook"],
        valid_from=city.now - timedelta(hours=1),
    )
    nurse = city.people["nurse"]
    nurse.active = False
    fd.changed(session, nurse, Entity.PERSON)
    body = deltas_since(
        session, city.tenant, city.edge_doors, edge.version, city.now, settings=snapshot_settings
    )
    assert body is not None
    # Revocations lead: the nurse deactivated (and the nurse's lost card, sent again).
    flags = [is_revocation(c) for c in body["changes"]]
    assert flags == sorted(flags, reverse=True)
    leading = [c["entry"]["id"] for c in body["changes"] if is_revocation(c)]
    assert sorted(leading) == sorted([str(nurse.id), str(city.card_ids["nurse_lost"])])
    assert "people" in body["replace"]
    updated = accept_delta(
        seal_delta(body, city.device, snapshot_settings),
        snapshot_settings.public_key(),
        city.device,
        city.tenant,
        edge,
    )
    assert _reason(updated, city, "nurse") is Reason.PERSON_INACTIVE
    assert _reason(updated, city, "cook") is Reason.GRANTED_BY_GRANT
    # A door locked down is a revocation too.
    door = session.get(Door, city.edge_doors[0])
    assert door is not None
    door.mode = DoorMode.LOCKDOWN
    fd.changed(session, door, Entity.DOOR)
    body = deltas_since(
        session,
        city.tenant,
        city.edge_doors,
        updated.version,
        city.now,
        settings=snapshot_settings,
    )
    assert body is not None
    assert body["changes"][0] == {
        "kind": "doors",
        "op": "upsert",
        "entry": body["changes"][0]["entry"],
    }
    assert body["changes"][0]["entry"]["mode"] == "lockdown"
    locked = updated.apply_delta(body)
    assert _reason(locked, city, "cook") is Reason.DOOR_LOCKDOWN


def fd_profile(session: Session, city: City) -> AccessProfile:
    """The edge's always-open profile."""
    row = session.get(AccessProfile, city.profiles["a"])
    assert row is not None
    return row


def test_a_replayed_or_skipping_delta_is_refused(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    edge = _edge(session, city, snapshot_settings)
    key = snapshot_settings.public_key()
    fd.changed(session, city.people["guest"], Entity.PERSON)
    first = _delta(session, city, snapshot_settings, edge.version)
    updated = accept_delta(first, key, city.device, city.tenant, edge)
    with pytest.raises(SnapshotRefused) as refused:
        accept_delta(first, key, city.device, city.tenant, updated)
    assert refused.value.rule == "replay"
    fd.changed(session, city.people["guest"], Entity.PERSON)
    second = _delta(session, city, snapshot_settings, updated.version)
    fd.changed(session, city.people["guest"], Entity.PERSON)
    third = _delta(session, city, snapshot_settings, updated.version + 1)
    with pytest.raises(SnapshotRefused) as refused:
        accept_delta(third, key, city.device, city.tenant, updated)
    assert refused.value.rule == "catch_up"
    assert accept_delta(second, key, city.device, city.tenant, updated).version > updated.version


def test_an_edge_too_far_behind_gets_no_delta(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    version = current_version(session)
    fd.changed(session, city.people["guest"], Entity.PERSON)
    fd.changed(session, city.people["nurse"], Entity.PERSON)

    def since(at: int, settings: SnapshotSettings, days: int = 0) -> object:
        now = city.now + timedelta(days=days)
        return deltas_since(session, city.tenant, city.edge_doors, at, now, settings=settings)

    assert since(version, snapshot_settings) is not None
    # More changes waiting than a delta carries.
    assert since(version, SnapshotSettings(delta_max_changes=1)) is None
    # Changes waiting longer than deltas are offered.
    assert since(version, snapshot_settings, days=31) is None
    # A version the feed has not reached (another database).
    assert since(current_version(session) + 1, snapshot_settings) is None
    # Nothing new: a delta with nothing to send.
    quiet = since(current_version(session), snapshot_settings)
    assert quiet == {
        "tenant": str(city.tenant),
        "from_version": current_version(session),
        "to_version": current_version(session),
        "changes": [],
        "replace": {},
    }


def test_a_delta_carries_only_the_edge_doors_concerns(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    version = current_version(session)
    door = session.get(Door, city.other_door)
    assert door is not None
    door.unlock_seconds = 9
    fd.changed(session, door, Entity.DOOR)
    fd.changed(session, city.people["elsewhere"], Entity.PERSON)
    body = deltas_since(
        session, city.tenant, city.edge_doors, version, city.now, settings=snapshot_settings
    )
    assert body is not None
    # The other door is not named; the person without a right here is only removed.
    assert body["changes"] == [
        {"kind": "credentials", "op": "remove", "id": str(city.card_ids["elsewhere"])},
        {"kind": "people", "op": "remove", "id": str(city.people["elsewhere"].id)},
    ]
    sent = {p["id"] for p in body["replace"]["people"]}
    assert str(city.people["elsewhere"].id) not in sent
    assert str(city.people["nurse"].id) in sent
    assert uuid.UUID(body["tenant"]) == city.tenant


def test_a_change_numbered_below_the_edge_version_is_sent_again_within_the_overlap(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    edge = _edge(session, city, snapshot_settings)
    actor = f.system(city.tenant)
    with acting_as(actor):
        credentials.change_state(session, actor, city.card_ids["nurse"], CredentialState.REVOKED)
    session.flush()
    # As on PostgreSQL when the revocation's number was handed out before the edge's
    # version was read but its transaction committed after: the edge holds the version
    # without the revocation.
    behind = edge.apply_delta(
        {
            "tenant": str(city.tenant),
            "to_version": current_version(session),
            "changes": [],
            "replace": {},
        }
    )
    assert _reason(behind, city, "nurse") is Reason.GRANTED_BY_POSITION
    without = deltas_since(
        session, city.tenant, city.edge_doors, behind.version, city.now, settings=snapshot_settings
    )
    assert without is not None and without["changes"] == []
    overlapping = SnapshotSettings(delta_overlap_seconds=60)
    body = deltas_since(
        session, city.tenant, city.edge_doors, behind.version, city.now, settings=overlapping
    )
    assert body is not None
    # The whole city was made within the overlap: it is all named again, revocations first.
    revoked = [c for c in body["changes"] if c.get("entry", {}).get("state") == "revoked"]
    assert [c["entry"]["id"] for c in revoked] == [str(city.card_ids["nurse"])]
    flags = [is_revocation(c) for c in body["changes"]]
    assert flags == sorted(flags, reverse=True)
    assert _reason(behind.apply_delta(body), city, "nurse") is Reason.CREDENTIAL_REVOKED


def test_a_pin_revoked_in_the_centre_sends_its_holder_first_and_the_pin_door_refuses_it(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    edge = _edge(session, city, snapshot_settings)
    request = DecisionRequest(city.tenant, city.edge_doors[2], city.cards["nurse"], pin=PIN)
    assert decide(request, edge, city.now).reason is Reason.GRANTED_BY_POSITION
    fd.changed(session, city.people["guest"], Entity.PERSON)
    pin = session.execute(
        select(Credential.id).where(
            Credential.person_id == city.people["nurse"].id, Credential.kind == CredentialKind.PIN
        )
    ).scalar_one()
    actor = f.system(city.tenant)
    with acting_as(actor):
        credentials.change_state(session, actor, pin, CredentialState.REVOKED)
    session.flush()
    body = _delta_body(session, city, snapshot_settings, edge.version)
    # The nurse goes with the revocations (after their lost card), ahead of the guest.
    changes = body["changes"]
    ids = [c["entry"]["id"] for c in changes]
    nurse = ids.index(str(city.people["nurse"].id))
    assert nurse < ids.index(str(city.people["guest"].id))
    assert all(is_revocation(c) for c in changes[:nurse])
    assert [p["state"] for p in changes[nurse]["entry"]["pins"]] == ["revoked"]
    assert all(c["op"] == "upsert" and c["entry"].get("id") != str(pin) for c in body["changes"])
    updated = edge.apply_delta(body)
    assert decide(request, updated, city.now).reason is Reason.PIN_WRONG


def _delta_body(
    session: Session, city: City, settings: SnapshotSettings, version: int
) -> dict[str, Any]:
    body = deltas_since(session, city.tenant, city.edge_doors, version, city.now, settings=settings)
    assert body is not None
    return body
