"""The agent's rights without a broker: revocations held over stale deltas, and the chain
on disk checked again and applied on start (tampered files are a fault, not a state)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from stadsvakt.edge.agent.rights import Rights
from stadsvakt.edge.agent.store import ChainStore, replay, write_atomically
from stadsvakt.edge.broker.gateway import Publisher
from stadsvakt.edge.broker.topics import Down
from stadsvakt.edge.snapshot.verify import SnapshotRefused
from tests.edge.agent.centre import CARDS, HandCity

DEVICE = uuid.uuid4()


def _rights(city: HandCity) -> Rights:
    return Rights(city.settings.public_key(), DEVICE, city.tenant)


def _holds(rights: Rights, city: HandCity, name: str) -> bool:
    state = rights.state
    assert state is not None
    return state.credential(city.tenant, "card", CARDS[name]) is not None


def test_a_revocation_outlives_snapshots_and_deltas_made_before_it() -> None:
    city = HandCity()
    rights = _rights(city)
    rights.snapshot(city.snapshot(DEVICE, 4))
    revoked = rights.revoke(city.revoke(DEVICE, 7, ["anna"]))
    assert revoked is not None and revoked.seq == 7
    assert not _holds(rights, city, "anna") and _holds(rights, city, "bo")
    assert rights.version == 4

    # Made before the revocation, both still list Anna's card.
    rights.snapshot(city.snapshot(DEVICE, 5))
    assert rights.version == 5 and not _holds(rights, city, "anna")
    rights.delta(city.delta(DEVICE, 5, 6, city.upsert("anna")))
    assert rights.version == 6 and not _holds(rights, city, "anna")
    # The delta that carries the revocation ends it being pending.
    rights.delta(city.delta(DEVICE, 6, 7, city.remove("anna")))
    assert rights.pending == {} and not _holds(rights, city, "anna")
    # Given back later by the centre, the card opens again.
    rights.delta(city.delta(DEVICE, 7, 9, city.upsert("anna")))
    assert _holds(rights, city, "anna")


def test_a_revocation_the_version_already_covers_changes_nothing() -> None:
    city = HandCity()
    rights = _rights(city)
    rights.snapshot(city.snapshot(DEVICE, 8))
    assert rights.revoke(city.revoke(DEVICE, 8, ["anna"])) is None
    assert _holds(rights, city, "anna") and rights.pending == {}


def test_a_revocation_for_another_municipality_or_malformed_is_refused() -> None:
    city, other = HandCity(), HandCity()
    rights = _rights(city)
    rights.snapshot(city.snapshot(DEVICE, 1))
    with pytest.raises(SnapshotRefused) as refused:
        rights.revoke(other.revoke(DEVICE, 9, ["anna"]))
    assert refused.value.rule == "foreign"
    bad = city.revoke_body(9, ["anna"]) | {"seq": "9"}
    payload = Publisher.seal(DEVICE, Down.COMMAND, bad, city.settings.private_key())
    with pytest.raises(SnapshotRefused, match=r"command\.seq"):
        rights.revoke(payload)
    assert _holds(rights, city, "anna")


def _saved(tmp_path: Path, city: HandCity) -> ChainStore:
    """A snapshot (5), a revocation of Anna (7) and a stale delta (5 → 6) on disk."""
    store = ChainStore(tmp_path / "snapshot.json")
    store.save_snapshot(city.snapshot(DEVICE, 5), 5)
    store.append_revoke(city.revoke(DEVICE, 7, ["anna"]), 7)
    store.append_delta(city.delta(DEVICE, 5, 6, city.upsert("anna")))
    return store


def test_the_chain_on_disk_is_applied_again_on_start(tmp_path: Path) -> None:
    city = HandCity()
    store = _saved(tmp_path, city)
    rights = _rights(city)
    done = replay(store, rights)
    assert (done.applied, done.stale, done.fault()) == (3, 0, None)
    assert rights.version == 6 and set(rights.pending) == {7}
    assert not _holds(rights, city, "anna") and _holds(rights, city, "bo")

    # A new snapshot replaces the chain; a revocation it does not cover stays.
    store.save_snapshot(city.snapshot(DEVICE, 6), 6)
    assert [p.name.split(".", 1)[1] for p in store.entries()] == ["revoke.7"]
    store.save_snapshot(city.snapshot(DEVICE, 7), 7)
    assert store.entries() == []


def test_a_tampered_file_is_a_fault_and_the_rest_still_applies(tmp_path: Path) -> None:
    city = HandCity()
    store = _saved(tmp_path, city)
    delta = store.entries()[-1]
    envelope = json.loads(delta.read_bytes())
    envelope["to_version"] = 60
    delta.write_text(json.dumps(envelope))
    rights = _rights(city)
    done = replay(store, rights)
    fault = done.fault()
    assert fault is not None and delta.name in fault and "signature" in fault
    assert rights.version == 5 and not _holds(rights, city, "anna")
    assert delta.exists()  # left for a look


def test_a_refused_snapshot_leaves_no_rights_but_revocations_wait(tmp_path: Path) -> None:
    city = HandCity()
    store = _saved(tmp_path, city)
    rights = Rights(HandCity().settings.public_key(), uuid.uuid4(), city.tenant)
    done = replay(store, rights)
    assert rights.state is None and done.fault() is not None
    assert len(done.refused) == 3


def test_a_delta_left_by_a_crash_before_the_clean_up_is_removed(tmp_path: Path) -> None:
    city = HandCity()
    store = ChainStore(tmp_path / "snapshot.json")
    store.save_snapshot(city.snapshot(DEVICE, 5), 5)
    left = store.append_delta(city.delta(DEVICE, 5, 6, city.upsert("anna")))
    # The crash: the new snapshot written, the chain not yet cleaned up.
    write_atomically(store.snapshot_file, city.snapshot(DEVICE, 8))
    rights = _rights(city)
    done = replay(store, rights)
    assert (done.stale, done.fault(), left.exists()) == (1, None, False)
    assert rights.version == 8
