"""Ed25519 keys written as base64 text in settings (the audit's checkpoint key, the edge's
snapshot key): one reading and one refusal for all of them."""

from __future__ import annotations

import base64
import binascii

#: How a settings key may be made.
KEYGEN_HINT = "`stadsvakt audit keygen` makes one"


def key_bytes(value: str) -> bytes | None:
    """The 32 bytes ``value`` is standard base64 of, or None."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def require_private_key(setting: str, value: str) -> None:
    """Refuse (``ValueError`` naming ``setting``) what is not base64 of a 32-byte seed."""
    if key_bytes(value) is None:
        raise ValueError(
            f"{setting}: must be base64 of a 32-byte Ed25519 private key ({KEYGEN_HINT})"
        )
