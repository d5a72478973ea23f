"""Authorization rows for edge event upload: only an enrolled device's signature may
upload, so every role (signed in, with a well-formed envelope a device did not sign) is
refused with 403."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadsvakt.edge.envelope import seal
from tests.matrices._base import V1, Call

_FORGED = {
    "kind": "events",
    "device": str(uuid.uuid4()),
    "body": {"sent_at": datetime(2026, 12, 6, tzinfo=UTC).isoformat(), "events": []},
}

MATRIX: dict[tuple[str, str], tuple[frozenset[str], Call]] = {
    ("POST", "/edge/events"): (
        frozenset(),
        lambda c, w, h: c.post(
            V1 + "/edge/events",
            headers=h,
            content=seal(_FORGED, Ed25519PrivateKey.generate()),
        ),
    ),
}
