"""Signed messages between the centre and edge devices: one JSON envelope for all of them.

An envelope is a JSON object ``{"kind": ..., "device": ..., "body": ..., "sig": ...}``
(more keys may be signed too, e.g. a snapshot's ``version``). The signature is Ed25519
over the canonical bytes of everything but ``sig`` (:func:`canonical`: keys sorted, no
spaces, UTF-8), base64 without padding. The centre signs snapshots, deltas and commands
with its edge key; a device signs what it publishes with the key pair made at enrolment.
Anything that is not such an object, or whose signature does not verify, is refused with
:class:`BadEnvelope` (the receiver counts it and drops it).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

#: The largest envelope accepted (a snapshot of a large edge is well below this).
MAX_BYTES = 16 * 1024 * 1024


class BadEnvelope(ValueError):
    """A message that is not a well-formed, correctly signed envelope; ``rule`` says why."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule


def canonical(value: Any) -> bytes:
    """The bytes that are signed: JSON with sorted keys and no spaces, in UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(fields: dict[str, Any], key: Ed25519PrivateKey) -> bytes:
    """``fields`` (with ``kind``, ``device`` and ``body``) signed, as the bytes to publish."""
    if "sig" in fields:
        raise ValueError("sig is the signature's own key")
    signed = dict(fields)
    signed["sig"] = _b64(key.sign(canonical(fields)))
    return canonical(signed)


def parse(payload: bytes) -> dict[str, Any]:
    """The envelope in ``payload``, its form checked but its signature not yet (the
    receiver first finds whose key should have signed it, from ``device``)."""
    if len(payload) > MAX_BYTES:
        raise BadEnvelope("size", f"{len(payload)} bytes, at most {MAX_BYTES}")
    try:
        value = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadEnvelope("json", str(exc)) from None
    if not isinstance(value, dict):
        raise BadEnvelope("object", "an envelope is a JSON object")
    for name in ("kind", "device", "sig"):
        if not isinstance(value.get(name), str):
            raise BadEnvelope(name, f"{name} must be a string")
    if "body" not in value:
        raise BadEnvelope("body", "body is missing")
    return value


def verify(envelope: dict[str, Any], key: Ed25519PublicKey) -> dict[str, Any]:
    """The envelope's signed fields (without ``sig``) if ``key`` signed them."""
    fields = {k: v for k, v in envelope.items() if k != "sig"}
    try:
        key.verify(_unb64(str(envelope["sig"])), canonical(fields))
    except (InvalidSignature, binascii.Error, ValueError):
        raise BadEnvelope("signature", "the signature does not verify") from None
    return fields


def open_envelope(payload: bytes, key: Ed25519PublicKey) -> dict[str, Any]:
    """:func:`parse` then :func:`verify`, for a receiver that knows the key beforehand."""
    return verify(parse(payload), key)


def public_bytes(key: Ed25519PublicKey) -> bytes:
    """The raw 32 bytes of a public key (as stored and shown)."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)
