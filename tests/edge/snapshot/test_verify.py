"""The edge refuses snapshots and deltas that are tampered with, not its own, or old."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr, ValidationError
from sqlalchemy.orm import Session

from stadsvakt.edge.envelope import canonical, public_bytes, seal
from stadsvakt.edge.snapshot.build import seal_snapshot
from stadsvakt.edge.snapshot.codec import pack
from stadsvakt.edge.snapshot.delta import seal_delta
from stadsvakt.edge.snapshot.settings import DEV_SNAPSHOT_SIGNING_KEY, SnapshotSettings
from stadsvakt.edge.snapshot.verify import SnapshotRefused, accept_delta, accept_snapshot
from tests.edge.snapshot.conftest import City, edge_snapshot


def _rule(call: Callable[..., object], *args: object) -> str:
    with pytest.raises(SnapshotRefused) as refused:
        call(*args)
    return refused.value.rule


def test_a_tampered_or_foreign_or_replayed_snapshot_is_refused(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    body = edge_snapshot(session, city, snapshot_settings)
    payload = seal_snapshot(body, city.device, snapshot_settings)
    key = snapshot_settings.public_key()
    version = body["version"]
    accept = accept_snapshot
    # Tampered: a card of one's own slipped in beside a holder's, the signature kept.
    envelope = json.loads(payload)
    slipped = dict(body["credentials"][0], id=str(uuid.uuid4()), identifier="04DEADBEEF0000")
    body["credentials"].append(slipped)
    envelope["body"] = pack(body)
    assert _rule(accept, canonical(envelope), key, city.device, city.tenant, None) == "signature"
    # Signed, but not by the centre.
    stranger = Ed25519PrivateKey.generate()
    forged = seal({k: v for k, v in json.loads(payload).items() if k != "sig"}, stranger)
    assert _rule(accept, forged, key, city.device, city.tenant, None) == "signature"
    assert _rule(accept, b"not json", key, city.device, city.tenant, None) == "envelope"
    # Foreign: another device's, another municipality's.
    assert _rule(accept, payload, key, uuid.uuid4(), city.tenant, None) == "foreign"
    assert _rule(accept, payload, key, city.device, uuid.uuid4(), None) == "foreign"
    # Replayed: not newer than the version held.
    assert _rule(accept, payload, key, city.device, city.tenant, version) == "replay"
    assert _rule(accept, payload, key, city.device, city.tenant, version + 5) == "replay"
    assert accept(payload, key, city.device, city.tenant, version - 1).version == version


def test_a_delta_is_not_a_snapshot_and_a_delta_must_move_forward(
    session: Session, city: City, snapshot_settings: SnapshotSettings
) -> None:
    body = edge_snapshot(session, city, snapshot_settings)
    key = snapshot_settings.public_key()
    state = accept_snapshot(
        seal_snapshot(body, city.device, snapshot_settings), key, city.device, city.tenant, None
    )
    v = state.version
    delta = {"tenant": str(city.tenant), "from_version": v, "to_version": v, "changes": []}
    standing = seal_delta(delta, city.device, snapshot_settings)
    assert _rule(accept_delta, standing, key, city.device, city.tenant, state) == "version"
    assert _rule(accept_snapshot, standing, key, city.device, city.tenant, None) == "kind"
    snapshot = seal_snapshot(body, city.device, snapshot_settings)
    assert _rule(accept_delta, snapshot, key, city.device, city.tenant, state) == "kind"
    # A signed delta whose body says other versions than its envelope.
    fields = {
        "kind": "delta",
        "device": str(city.device),
        "tenant": str(city.tenant),
        "from_version": v,
        "to_version": v + 1,
        "body": pack({**delta, "to_version": v + 2}),
    }
    mixed = seal(fields, snapshot_settings.private_key())
    assert _rule(accept_delta, mixed, key, city.device, city.tenant, state) == "body"


def test_the_signing_key_is_checked_and_the_development_key_is_named_for_production() -> None:
    assert SnapshotSettings().production_problem() is not None
    own = base64.b64encode(bytes(range(32))).decode()
    mine = SnapshotSettings(signing_key=SecretStr(own))
    assert mine.production_problem() is None
    assert public_bytes(mine.public_key()) != public_bytes(SnapshotSettings().public_key())
    assert own != DEV_SNAPSHOT_SIGNING_KEY
    with pytest.raises(ValidationError, match="signing_key"):
        SnapshotSettings(signing_key=SecretStr("c2hvcnQ="))
