"""Property tests of the pure secrets helpers: codes, Mosquitto hashes, public keys."""

from __future__ import annotations

import base64
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
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


@given(
    st.text(min_size=0, max_size=40).filter(lambda t: "\x00" not in t),
    st.binary(min_size=12, max_size=12),
)
def test_mosquitto_hashes_verify_their_password_only(password: str, salt: bytes) -> None:
    hashed = keys.mosquitto_hash(password, salt=salt)
    iterations, salt_text, digest_text = hashed.split("$")[2:]
    assert hashed.startswith("$7$101$") and iterations == "101"
    assert base64.b64decode(salt_text) == salt and len(base64.b64decode(digest_text)) == 64
    assert keys.mosquitto_verify(password, hashed)
    assert not keys.mosquitto_verify(password + "x", hashed)
    assert not keys.mosquitto_verify(password, hashed.replace("$101$", "$101$ö"))


def test_mosquitto_reads_the_same_format(tmp_path: Path) -> None:
    """mosquitto_passwd's own hash verifies with ours; ours with its salt is the same line."""
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        pytest.skip("mosquitto_passwd is not installed")
    path = tmp_path / "passwords"
    path.write_text("device:hemligt-lösen\n")
    subprocess.run([tool, "-U", str(path)], check=True, capture_output=True)
    theirs = path.read_text().strip().split(":", 1)[1]
    assert keys.mosquitto_verify("hemligt-lösen", theirs)
    salt = base64.b64decode(theirs.split("$")[3])
    assert keys.mosquitto_hash("hemligt-lösen", salt=salt) == theirs


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
