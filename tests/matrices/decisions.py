"""Authorization rows for online decisions and the access event list."""

from __future__ import annotations

from tests.matrices._base import EVERYONE, SO, V1, Call

_DOOR = "00000000-0000-4000-8000-000000000001"

#: (method, path template) → (who may, the call).
MATRIX: dict[tuple[str, str], tuple[frozenset[str], Call]] = {
    ("POST", "/access/decisions"): (
        frozenset({SO}),
        lambda c, w, h: c.post(
            V1 + "/access/decisions", headers=h, json={"door_id": _DOOR, "credential": "04AB"}
        ),
    ),
    ("GET", "/access/events"): (EVERYONE, lambda c, w, h: c.get(V1 + "/access/events")),
}
