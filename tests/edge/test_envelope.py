"""Signed envelopes: what one key seals only that key's public half opens, unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.edge.envelope import BadEnvelope, open_envelope, parse, seal

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(body=_json, kind=st.text(min_size=1), device=st.text())
def test_a_sealed_envelope_opens_with_its_key_only(body: Any, kind: str, device: str) -> None:
    payload = seal({"kind": kind, "device": device, "body": body}, KEY)
    assert open_envelope(payload, KEY.public_key()) == {
        "kind": kind,
        "device": device,
        "body": body,
    }
    with pytest.raises(BadEnvelope) as refused:
        open_envelope(payload, OTHER.public_key())
    assert refused.value.rule == "signature"


@given(body=_json, flip=st.integers(min_value=0))
def test_any_change_to_the_signed_fields_is_refused(body: Any, flip: int) -> None:
    envelope = json.loads(seal({"kind": "delta", "device": "d", "body": body, "version": 7}, KEY))
    envelope["version"] = 7 + 1 + flip % 5
    with pytest.raises(BadEnvelope):
        open_envelope(json.dumps(envelope).encode(), KEY.public_key())


@pytest.mark.parametrize(
    ("payload", "rule"),
    [
        (b"\xff\xfe", "json"),
        (b"not json", "json"),
        (b"[1, 2]", "object"),
        (b'{"kind": 1, "device": "d", "sig": "x", "body": {}}', "kind"),
        (b'{"kind": "k", "device": "d", "body": {}}', "sig"),
        (b'{"kind": "k", "device": "d", "sig": "x"}', "body"),
    ],
)
def test_malformed_messages_name_their_rule(payload: bytes, rule: str) -> None:
    with pytest.raises(BadEnvelope) as refused:
        parse(payload)
    assert refused.value.rule == rule


def test_a_garbled_signature_is_refused_not_a_crash() -> None:
    envelope = json.loads(seal({"kind": "k", "device": "d", "body": {}}, KEY))
    envelope["sig"] = "!!!not base64!!!"
    with pytest.raises(BadEnvelope) as refused:
        open_envelope(json.dumps(envelope).encode(), KEY.public_key())
    assert refused.value.rule == "signature"
