"""Mosquitto's ``$7$`` password hashes (PBKDF2-HMAC-SHA512), as ``mosquitto_passwd`` writes.

A line of a Mosquitto password file is ``username:$7$<iterations>$<salt>$<hash>``, salt
(12 bytes) and hash (64 bytes) in standard base64 with padding. stadsvakt writes the
file itself from the devices' stored hashes, and the embedded demo broker checks
passwords against the same hashes, so one account list serves both.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

#: ``mosquitto_passwd``'s own iteration count.
ITERATIONS = 101
SALT_BYTES = 12
_PREFIX = "$7$"


def mosquitto_hash(
    password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS
) -> str:
    """``password`` hashed in Mosquitto's ``$7$`` format (a fresh random salt unless given)."""
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    if len(salt) != SALT_BYTES:
        raise ValueError(f"salt must be {SALT_BYTES} bytes, not {len(salt)}")
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"{_PREFIX}{iterations}${_b64(salt)}${_b64(digest)}"


def parse_hash(encoded: str) -> tuple[int, bytes, bytes]:
    """The iterations, salt and digest of a ``$7$`` hash; ``ValueError`` if it is not one."""
    parts = encoded.split("$")
    if len(parts) != 5 or parts[0] != "" or parts[1] != "7":
        raise ValueError("not a Mosquitto $7$ hash")
    try:
        iterations = int(parts[2])
        salt = base64.b64decode(parts[3], validate=True)
        digest = base64.b64decode(parts[4], validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("a $7$ hash's iterations, salt or digest is malformed") from None
    if iterations < 1 or len(salt) != SALT_BYTES or len(digest) != hashlib.sha512().digest_size:
        raise ValueError("a $7$ hash's iterations, salt or digest has the wrong size")
    return iterations, salt, digest


def verify_mosquitto_hash(password: str, encoded: str) -> bool:
    """Whether ``password`` is the one ``encoded`` was made from (malformed: ``False``)."""
    try:
        iterations, salt, digest = parse_hash(encoded)
    except ValueError:
        return False
    computed = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return hmac.compare_digest(computed, digest)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
