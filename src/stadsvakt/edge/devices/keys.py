"""Pure helpers for a device's secrets: one-time enrolment codes, MQTT passwords and
Mosquitto's ``$7$`` password hashes, and Ed25519 public keys sent as base64.

Mosquitto's ``$7$`` format (what ``mosquitto_passwd`` writes) is
``$7$<iterations>$<base64 salt>$<base64 hash>``: PBKDF2-HMAC-SHA512 of the password
over the raw salt bytes, 64 bytes out, standard base64 with padding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

#: Letters and digits that cannot be mistaken for each other (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 12
#: Mosquitto's iterations and salt length for ``$7$`` (as mosquitto_passwd).
MOSQUITTO_ITERATIONS = 101
MOSQUITTO_SALT_BYTES = 12


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


def mosquitto_hash(password: str, *, salt: bytes | None = None) -> str:
    """The password in Mosquitto's ``$7$`` PBKDF2-SHA512 format."""
    salt = secrets.token_bytes(MOSQUITTO_SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, MOSQUITTO_ITERATIONS)
    salt_text, digest_text = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"$7${MOSQUITTO_ITERATIONS}${salt_text}${digest_text}"


def mosquitto_verify(password: str, hashed: str) -> bool:
    """Whether ``password`` matches a ``$7$`` hash (as the broker checks it)."""
    parts = hashed.split("$")
    if len(parts) != 5 or parts[1] != "7" or not parts[2].isdigit():
        return False
    try:
        salt = base64.b64decode(parts[3], validate=True)
        expected = base64.b64decode(parts[4], validate=True)
    except ValueError:  # binascii.Error, or text that is not ASCII
        return False
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, int(parts[2]))
    return hmac.compare_digest(digest, expected)


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
