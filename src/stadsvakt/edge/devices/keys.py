"""Pure helpers for a device's secrets: one-time enrolment codes, MQTT passwords, and
Ed25519 public keys sent as base64. (The MQTT password's ``$7$`` hash is
:mod:`stadsvakt.edge.broker.passwords`', the broker's own format.)"""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

#: Letters and digits that cannot be mistaken for each other (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 12


def new_code() -> str:
    """A fresh enrolment code of :data:`CODE_LENGTH` characters, shown as XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normal_code(code: str) -> str:
    """The code as stored for hashing: upper case, without dashes and spaces."""
    return "".join(ch for ch in code.upper() if ch not in "- \t")


def code_hash(code: str) -> str:
    """SHA-256 (hex) of the code's normal form: what the database keeps."""
    return hashlib.sha256(normal_code(code).encode()).hexdigest()


def new_mqtt_password() -> str:
    """A random MQTT password (32 URL-safe characters, 192 bits)."""
    return secrets.token_urlsafe(24)


def public_key_bytes(text: str) -> bytes | None:
    """The raw 32 bytes of an Ed25519 public key sent as base64 (standard or URL-safe,
    padded or not), or None when it is not one."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > 64:
        return None
    padded = cleaned + "=" * (-len(cleaned) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except ValueError:  # binascii.Error, or text that is not ASCII
        return None
    if len(raw) != 32:
        return None
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return None
    return raw
