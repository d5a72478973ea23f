"""The edge's checks on a snapshot or delta before it is used: pure, no database.

A message is refused (:class:`SnapshotRefused`, with a ``rule``) when it is:

* ``envelope`` — not a well-formed envelope, ``signature`` — not signed by the centre's
  key (tampered, or signed by someone else);
* ``kind`` — not the kind expected (a delta offered as a snapshot);
* ``foreign`` — meant for another device or another municipality;
* ``replay`` — a snapshot not newer than the state held, or a delta that starts before it;
* ``catch_up`` — a delta that starts after the state held (changes in between are
  missing): the edge asks for a snapshot;
* ``version`` — versions that are not whole numbers, or a delta that does not move forward;
* ``body`` — a body that cannot be unpacked or read, or that disagrees with the envelope.
"""

from __future__ import annotations

import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stadsvakt.edge.envelope import BadEnvelope, open_envelope
from stadsvakt.edge.snapshot.codec import BadBody, unpack
from stadsvakt.edge.snapshot.state import SnapshotState
from stadsvakt.errors import DomainError


class SnapshotRefused(DomainError):
    """A snapshot or delta the edge does not use; ``rule`` says why (module docstring)."""

    code = "edge_snapshot_refused"
    title = "Snapshot or delta refused"
    status = 422

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}", rule=rule)
        self.rule = rule


def _open(
    payload: bytes, key: Ed25519PublicKey, kind: str, device_id: uuid.UUID, tenant_id: uuid.UUID
) -> dict[str, Any]:
    try:
        fields = open_envelope(payload, key)
    except BadEnvelope as exc:
        rule = "signature" if exc.rule == "signature" else "envelope"
        raise SnapshotRefused(rule, str(exc)) from None
    if fields.get("kind") != kind:
        raise SnapshotRefused("kind", f"expected a {kind}, got {fields.get('kind')!r}")
    if fields.get("device") != str(device_id):
        raise SnapshotRefused("foreign", f"meant for device {fields.get('device')!r}")
    if fields.get("tenant") != str(tenant_id):
        raise SnapshotRefused("foreign", f"meant for municipality {fields.get('tenant')!r}")
    return fields


def _version(fields: dict[str, Any], name: str) -> int:
    value = fields.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SnapshotRefused("version", f"{name} must be a whole number, got {value!r}")
    return value


def _body(fields: dict[str, Any]) -> dict[str, Any]:
    try:
        body = unpack(fields["body"])
    except BadBody as exc:
        raise SnapshotRefused("body", str(exc)) from None
    if not isinstance(body, dict) or body.get("tenant") != fields["tenant"]:
        raise SnapshotRefused("body", "the body is not for the envelope's municipality")
    return body


def accept_snapshot(
    payload: bytes,
    centre_key: Ed25519PublicKey,
    device_id: uuid.UUID,
    tenant_id: uuid.UUID,
    current_version: int | None,
) -> SnapshotState:
    """The state a snapshot message gives, if it is the centre's, ours and newer than
    ``current_version`` (None: the edge holds nothing yet); else :class:`SnapshotRefused`."""
    fields = _open(payload, centre_key, "snapshot", device_id, tenant_id)
    version = _version(fields, "version")
    if current_version is not None and version <= current_version:
        raise SnapshotRefused(
            "replay", f"version {version} is not newer than the {current_version} held"
        )
    body = _body(fields)
    if body.get("version") != version:
        raise SnapshotRefused("body", "the body's version is not the envelope's")
    try:
        return SnapshotState.from_body(body)
    except (KeyError, ValueError, TypeError) as exc:
        raise SnapshotRefused("body", f"unreadable snapshot: {exc!r}") from None


def accept_delta(
    payload: bytes,
    centre_key: Ed25519PublicKey,
    device_id: uuid.UUID,
    tenant_id: uuid.UUID,
    state: SnapshotState,
) -> SnapshotState:
    """``state`` with a delta message applied, if it is the centre's, ours and starts at
    ``state``'s version; else :class:`SnapshotRefused` (``catch_up``: ask for a snapshot)."""
    fields = _open(payload, centre_key, "delta", device_id, tenant_id)
    start, end = _version(fields, "from_version"), _version(fields, "to_version")
    if end <= start:
        raise SnapshotRefused("version", f"to_version {end} is not after from_version {start}")
    if start < state.version:
        raise SnapshotRefused("replay", f"starts at {start}, before the {state.version} held")
    if start > state.version:
        raise SnapshotRefused(
            "catch_up", f"starts at {start}, after the {state.version} held: changes are missing"
        )
    body = _body(fields)
    if body.get("from_version") != start or body.get("to_version") != end:
        raise SnapshotRefused("body", "the body's versions are not the envelope's")
    try:
        return state.apply_delta(body)
    except (KeyError, ValueError, TypeError) as exc:
        raise SnapshotRefused("body", f"unreadable delta: {exc!r}") from None
