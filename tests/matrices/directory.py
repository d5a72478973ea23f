"""Authorization rows for the directory: people, assignments, groups, training, CSV."""

from __future__ import annotations

import itertools

from fastapi.testclient import TestClient
from httpx2 import Response

from stadsvakt.directory.models import Group, Person, PersonKind
from tests.matrices._base import AU, DA, EVERYONE, SL, SO, V1, Call, World

READERS = EVERYONE - {"read_only"}
WRITERS = frozenset({SO, DA})
TRAINING_READERS = frozenset({SO, DA, AU})
assert SL in READERS
_n = itertools.count(1)


def _person(w: World) -> Person:
    # Inserted directly, not through the service: the matrix counts audit rows around the call.
    row = Person(
        tenant_id=w.tenant.id,
        org_unit_id=w.child.id,
        kind=PersonKind.GUEST,
        given_name="Gun",
        family_name=f"Gäst{next(_n)}",
    )
    w.session.add(row)
    w.session.flush()
    return row


def _group(w: World) -> Group:
    row = Group(tenant_id=w.tenant.id, org_unit_id=w.child.id, display_name=f"Lag {next(_n)}")
    w.session.add(row)
    w.session.flush()
    return row


def _import(c: TestClient, w: World, h: dict[str, str]) -> Response:
    body = (
        "employee_number;given_name;family_name;unit_code;position;start\n"
        f"M1;Mia;Ek;{w.child.code};lärare;2024-01-01\n"
    )
    return c.post(
        V1 + "/directory/import",
        headers={**h, "Content-Type": "text/csv"},
        content=body.encode(),
    )


MATRIX: dict[tuple[str, str], tuple[frozenset[str], Call]] = {
    ("GET", "/people"): (READERS, lambda c, w, h: c.get(V1 + "/people")),
    ("POST", "/people"): (
        WRITERS,
        lambda c, w, h: c.post(
            V1 + "/people",
            headers=h,
            json={
                "given_name": "Gun",
                "family_name": "Gäst",
                "kind": "guest",
                "org_unit_id": str(w.child.id),
            },
        ),
    ),
    ("GET", "/people/{person_id}"): (
        READERS,
        lambda c, w, h: c.get(f"{V1}/people/{_person(w).id}"),
    ),
    ("PATCH", "/people/{person_id}"): (
        WRITERS,
        lambda c, w, h: c.patch(
            f"{V1}/people/{_person(w).id}", headers=h, json={"given_name": "Ny"}
        ),
    ),
    ("DELETE", "/people/{person_id}"): (
        WRITERS,
        lambda c, w, h: c.delete(f"{V1}/people/{_person(w).id}", headers=h),
    ),
    ("POST", "/people/{person_id}/deactivate"): (
        WRITERS,
        lambda c, w, h: c.post(
            f"{V1}/people/{_person(w).id}/deactivate", headers=h, json={"reason": "slutat"}
        ),
    ),
    ("GET", "/people/{person_id}/assignments"): (
        READERS,
        lambda c, w, h: c.get(f"{V1}/people/{_person(w).id}/assignments"),
    ),
    ("PUT", "/people/{person_id}/assignments"): (
        WRITERS,
        lambda c, w, h: c.put(
            f"{V1}/people/{_person(w).id}/assignments",
            headers=h,
            json={
                "assignments": [
                    {"org_unit_id": str(w.child.id), "position": "vikarie", "start": "2024-01-01"}
                ]
            },
        ),
    ),
    ("GET", "/people/{person_id}/training"): (
        TRAINING_READERS,
        lambda c, w, h: c.get(f"{V1}/people/{_person(w).id}/training"),
    ),
    ("GET", "/groups"): (READERS, lambda c, w, h: c.get(V1 + "/groups")),
    ("POST", "/groups"): (
        WRITERS,
        lambda c, w, h: c.post(
            V1 + "/groups",
            headers=h,
            json={"display_name": "Lag A", "org_unit_id": str(w.child.id)},
        ),
    ),
    ("GET", "/groups/{group_id}"): (
        READERS,
        lambda c, w, h: c.get(f"{V1}/groups/{_group(w).id}"),
    ),
    ("PATCH", "/groups/{group_id}"): (
        WRITERS,
        lambda c, w, h: c.patch(
            f"{V1}/groups/{_group(w).id}",
            headers=h,
            json={"display_name": "Lag B"},
        ),
    ),
    ("PUT", "/groups/{group_id}/members"): (
        WRITERS,
        lambda c, w, h: c.put(
            f"{V1}/groups/{_group(w).id}/members",
            headers=h,
            json={"members": [str(_person(w).id)]},
        ),
    ),
    ("DELETE", "/groups/{group_id}"): (
        WRITERS,
        lambda c, w, h: c.delete(f"{V1}/groups/{_group(w).id}", headers=h),
    ),
    ("GET", "/training"): (TRAINING_READERS, lambda c, w, h: c.get(V1 + "/training")),
    ("POST", "/training"): (
        frozenset({SO}),
        lambda c, w, h: c.post(
            V1 + "/training",
            headers=h,
            json={"person_id": str(_person(w).id), "course": "HLR", "completed_on": "2024-03-01"},
        ),
    ),
    ("POST", "/directory/import"): (frozenset({SO}), _import),
    ("GET", "/directory/export"): (READERS, lambda c, w, h: c.get(V1 + "/directory/export")),
}
