"""Authorization rows for the access reports (the objects come from the access matrix's world)."""

from __future__ import annotations

from tests.matrices._base import AU, DA, SL, SO, V1, Call
from tests.matrices.access import objects

OP = "operator"
#: Roles holding access.read, person.read (and credential.read for orphan credentials).
READERS = frozenset({SO, DA, OP, SL, AU})

#: (method, path template) → (who may, the call).
MATRIX: dict[tuple[str, str], tuple[frozenset[str], Call]] = {
    ("GET", "/reports/orphan-credentials"): (
        READERS,
        lambda c, w, h: c.get(V1 + "/reports/orphan-credentials", params={"format": "csv"}),
    ),
    ("GET", "/reports/doors/{door_id}/who-can-open"): (
        READERS,
        lambda c, w, h: c.get(f"{V1}/reports/doors/{objects(w).door.id}/who-can-open"),
    ),
    ("GET", "/reports/people/{person_id}/what-can-open"): (
        READERS,
        lambda c, w, h: c.get(f"{V1}/reports/people/{objects(w).person.id}/what-can-open"),
    ),
}
