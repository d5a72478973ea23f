"""Property tests of the pure helpers: enrolment codes, public keys, online or not."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.edge.devices import keys
from stadsvakt.edge.devices.service import connection


def test_codes_are_twelve_unambiguous_characters_in_groups_of_four() -> None:
    codes = {keys.new_code() for _ in range(50)}
    assert len(codes) == 50
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4]
        assert set("".join(groups)) <= set(keys.CODE_ALPHABET)
    assert not set("0O1IL2Z5S8B") & set(keys.CODE_ALPHABET)


@given(st.text(alphabet=keys.CODE_ALPHABET, min_size=12, max_size=12))
def test_a_code_hashes_the_same_however_it_is_typed(raw: str) -> None:
    shown = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    assert (
        keys.code_hash(shown)
        == keys.code_hash(raw.lower())
        == keys.code_hash(f" {raw[:6]} {raw[6:]}")
    )
    assert keys.code_hash(shown) != keys.code_hash(raw[::-1]) or raw == raw[::-1]


def test_public_keys_are_32_byte_ed25519_keys_in_base64() -> None:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert keys.public_key_bytes(base64.b64encode(raw).decode()) == raw
    assert keys.public_key_bytes(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
    short = base64.b64encode(raw[:31]).decode()
    for wrong in ("", "AAAA", short, "not base64!", "A" * 100, "åäö" + short[3:]):
        assert keys.public_key_bytes(wrong) is None


@given(st.integers(min_value=-10_000, max_value=10_000), st.integers(min_value=10, max_value=3600))
def test_a_device_is_online_only_when_seen_within_the_limit(seconds: int, limit: int) -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    seen = now - timedelta(seconds=seconds)
    expected = "online" if seconds <= limit else "offline"
    assert connection(seen, now, limit) == expected
    assert connection(None, now, limit) == "never"
