"""Mosquitto ``$7$`` hashes: the same bytes as mosquitto_passwd, and a verifier."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stadsvakt.edge.broker.passwords import (
    mosquitto_hash,
    parse_hash,
    verify_mosquitto_hash,
)

MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


@pytest.mark.parametrize("password", ["secret", "lösenord med mellanslag", "x" * 200])
def test_the_hash_is_the_one_mosquitto_passwd_writes(tmp_path: Path, password: str) -> None:
    if not Path(MOSQUITTO_PASSWD).exists():
        # Under CI the broker's tools are part of the test environment: fail there.
        if os.environ.get("CI"):
            pytest.fail("mosquitto_passwd is not installed")
        pytest.skip("mosquitto_passwd is not installed")
    passwd = tmp_path / "passwd"
    subprocess.run(
        [MOSQUITTO_PASSWD, "-c", "-b", str(passwd), "device", password],
        check=True,
        capture_output=True,
    )
    username, written = passwd.read_text().strip().split(":", 1)
    assert username == "device"
    iterations, salt, _ = parse_hash(written)
    assert mosquitto_hash(password, salt=salt, iterations=iterations) == written
    assert verify_mosquitto_hash(password, written)
    assert not verify_mosquitto_hash(password + "!", written)


@settings(max_examples=25)
@given(password=st.text(max_size=40), other=st.text(max_size=40))
def test_a_hash_verifies_its_own_password_only(password: str, other: str) -> None:
    encoded = mosquitto_hash(password)
    assert verify_mosquitto_hash(password, encoded)
    assert verify_mosquitto_hash(other, encoded) == (other == password)


def test_the_format_is_dollar_7_iterations_salt_and_digest() -> None:
    encoded = mosquitto_hash("pw", salt=bytes(range(12)))
    empty, seven, iterations, salt, digest = encoded.split("$")
    assert (empty, seven, iterations) == ("", "7", "101")
    assert base64.b64decode(salt) == bytes(range(12))
    assert len(base64.b64decode(digest)) == 64
    assert mosquitto_hash("pw") != mosquitto_hash("pw")  # a fresh salt each time


@pytest.mark.parametrize(
    "encoded",
    ["", "plain", "$6$abc$def", "$7$x$AAAA$AAAA", "$7$101$short$AAAA", "$7$0$" + "A" * 16 + "$"],
)
def test_a_malformed_hash_verifies_nothing(encoded: str) -> None:
    assert not verify_mosquitto_hash("", encoded)
    with pytest.raises(ValueError):
        parse_hash(encoded)


def test_a_wrong_salt_length_is_refused() -> None:
    with pytest.raises(ValueError):
        mosquitto_hash("pw", salt=b"short")
