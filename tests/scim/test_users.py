"""SCIM Users: the Entra ID provisioning sequence, mapping, PATCH paths, ETags, errors."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import Credential, CredentialState, Grant
from stadsvakt.audit.models import AuditEntry
from stadsvakt.db import utcnow
from stadsvakt.directory.models import Assignment, Person
from tests import factories, factories_access
from tests.factories_scim import ENTERPRISE, ERROR, patch_body, user_body
from tests.scim.conftest import ScimWorld


def _create(scim: ScimWorld, user_name: str = "anna.svensson@testby.se", **kw: Any) -> Any:
    kw.setdefault("department", scim.school.code)
    response = scim.client.post(
        "/scim/v2/Users", json=user_body(user_name, **kw), headers=scim.headers
    )
    assert response.status_code == 201, response.text
    return response


def _patch(scim: ScimWorld, user_id: str, *ops: dict[str, Any], **headers: str) -> Any:
    return scim.client.patch(
        f"/scim/v2/Users/{user_id}", json=patch_body(*ops), headers={**scim.headers, **headers}
    )


def test_entra_provisioning_sequence(scim: ScimWorld, session: Session) -> None:
    # Entra ID first looks the user up by its matching attribute, finds nothing, creates.
    found = scim.client.get(
        "/scim/v2/Users", headers=scim.headers, params={"filter": 'userName eq "anna@testby.se"'}
    )
    assert found.json()["totalResults"] == 0
    created = _create(
        scim, "anna@testby.se", external_id="e-1", employee_number="A100", email="anna@testby.se"
    )
    body = created.json()
    assert created.headers["content-type"] == "application/scim+json"
    assert created.headers["etag"] == body["meta"]["version"]
    assert body["title"] == "Lärare"
    assert body[ENTERPRISE] == {"employeeNumber": "A100", "department": scim.school.code}
    assert "organization" not in body[ENTERPRISE]  # ignored, not kept
    person_id = uuid.UUID(body["id"])
    person = session.get(Person, person_id)
    assert person is not None and person.org_unit_id == scim.school.id
    assert (person.employee_number, person.external_id, person.email) == (
        "A100",
        "e-1",
        "anna@testby.se",
    )

    # A move to another department (by name) and a new title become the SCIM assignment.
    moved = _patch(
        scim,
        body["id"],
        {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Omsorgsförvaltningen"},
        {"op": "Replace", "path": "title", "value": "Enhetschef"},
        {"op": "Replace", "path": "displayName", "value": "Anna Svensson"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()[ENTERPRISE]["department"] == scim.care.code
    assert moved.json()["title"] == "Enhetschef"
    session.expire_all()
    rows = session.scalars(select(Assignment).where(Assignment.person_id == person.id)).all()
    running = [a for a in rows if a.end is None]
    assert [(a.org_unit_id, a.position, a.source) for a in running] == [
        (scim.care.id, "Enhetschef", "scim")
    ]

    # Disabling the account in Entra ID: active false (Entra sends the boolean as a string).
    disabled = _patch(scim, body["id"], {"op": "Replace", "path": "active", "value": "False"})
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["active"] is False
    session.expire_all()
    assert session.get(Person, person.id).active is False  # type: ignore[union-attr]

    # Finally the user is deleted.
    deleted = scim.client.delete(f"/scim/v2/Users/{body['id']}", headers=scim.headers)
    assert deleted.status_code == 204
    gone = scim.client.get(f"/scim/v2/Users/{body['id']}", headers=scim.headers)
    assert gone.status_code == 404
    assert gone.json()["schemas"] == [ERROR]
    session.expire_all()
    assert session.get(Person, person_id) is None
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == str(person_id))
    ).all()
    assert {"person.create", "person.deactivate", "person.delete"} <= set(actions)


def _holder(scim: ScimWorld, session: Session) -> tuple[Person, Credential, Grant]:
    body = _create(scim).json()
    person = session.get(Person, uuid.UUID(body["id"]))
    assert person is not None
    site = factories.site(session, scim.tenant, unit=scim.school)
    zone = factories_access.zone(session, site)
    card = factories_access.card(session, person)
    grant = factories_access.grant(
        session, person, factories_access.profile(session, scim.tenant, [zone])
    )
    session.commit()
    return person, card, grant


def test_active_false_revokes_every_right_in_the_same_request(
    scim: ScimWorld, session: Session
) -> None:
    person, card, grant = _holder(scim, session)
    response = _patch(scim, str(person.id), {"op": "replace", "value": {"active": False}})
    assert response.status_code == 200, response.text
    session.expire_all()
    assert session.get(Credential, card.id).state is CredentialState.REVOKED  # type: ignore[union-attr]
    ended = session.get(Grant, grant.id)
    assert ended is not None and ended.valid_to is not None and ended.valid_to <= utcnow()


def test_put_with_active_false_deactivates(scim: ScimWorld, session: Session) -> None:
    person, card, _ = _holder(scim, session)
    body = user_body("anna.svensson@testby.se", department=scim.school.code, active=False)
    response = scim.client.put(f"/scim/v2/Users/{person.id}", json=body, headers=scim.headers)
    assert response.status_code == 200, response.text
    session.expire_all()
    assert session.get(Person, person.id).active is False  # type: ignore[union-attr]
    assert session.get(Credential, card.id).state is CredentialState.REVOKED  # type: ignore[union-attr]


def test_delete_revokes_and_removes(scim: ScimWorld, session: Session) -> None:
    person, card, _ = _holder(scim, session)
    person_id, card_id = person.id, card.id
    response = scim.client.delete(f"/scim/v2/Users/{person_id}", headers=scim.headers)
    assert response.status_code == 204
    session.expire_all()
    assert session.get(Person, person_id) is None
    assert session.get(Credential, card_id) is None
    revoked = session.scalars(
        select(AuditEntry).where(
            AuditEntry.object_id == str(card_id), AuditEntry.action == "credential.revoke"
        )
    ).all()
    assert len(revoked) == 1


def test_reactivation_gives_the_assignment_back(scim: ScimWorld, session: Session) -> None:
    body = _create(scim).json()
    _patch(scim, body["id"], {"op": "replace", "path": "active", "value": False})
    back = _patch(scim, body["id"], {"op": "replace", "path": "active", "value": True})
    assert back.json()["active"] is True
    assert back.json()[ENTERPRISE]["department"] == scim.school.code
    session.expire_all()
    running = session.scalars(
        select(Assignment).where(
            Assignment.person_id == uuid.UUID(body["id"]), Assignment.end.is_(None)
        )
    ).all()
    assert [(a.org_unit_id, a.position) for a in running] == [(scim.school.id, "Lärare")]


def test_patch_paths(scim: ScimWorld) -> None:
    user_id = _create(scim).json()["id"]
    # Entra's e-mail path creates the entry when the user has none.
    response = _patch(
        scim,
        user_id,
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "a@testby.se"},
        {"op": "Replace", "path": "name.givenName", "value": "Annika"},
        {"op": "Add", "path": f"{ENTERPRISE}:employeeNumber", "value": "E-7"},
        {"op": "Add", "path": "externalId", "value": "x-9"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["emails"] == [{"value": "a@testby.se", "type": "work"}]
    assert body["name"]["givenName"] == "Annika"
    assert body["displayName"] == "Annika Svensson"
    assert body[ENTERPRISE]["employeeNumber"] == "E-7"
    assert body["externalId"] == "x-9"
    changed = _patch(
        scim,
        user_id,
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "b@testby.se"},
        {"op": "Remove", "path": "title"},
        {"op": "Remove", "path": f"{ENTERPRISE}:employeeNumber"},
    ).json()
    assert changed["emails"][0]["value"] == "b@testby.se"
    assert "title" not in changed
    assert "employeeNumber" not in changed[ENTERPRISE]


def test_etag_and_if_match(scim: ScimWorld) -> None:
    created = _create(scim)
    user_id, etag = created.json()["id"], created.headers["etag"]
    assert etag.startswith('W/"')
    ok = _patch(
        scim, user_id, {"op": "replace", "path": "title", "value": "Rektor"}, **{"If-Match": etag}
    )
    assert ok.status_code == 200
    assert ok.headers["etag"] != etag
    stale = _patch(
        scim, user_id, {"op": "replace", "path": "title", "value": "Lärare"}, **{"If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.json()["schemas"] == [ERROR]
    read = scim.client.get(f"/scim/v2/Users/{user_id}", headers=scim.headers)
    assert read.json()["title"] == "Rektor"
    assert read.headers["etag"] == ok.headers["etag"]
    unchanged = scim.client.get(
        f"/scim/v2/Users/{user_id}", headers={**scim.headers, "If-None-Match": ok.headers["etag"]}
    )
    assert unchanged.status_code == 304
    refused = scim.client.delete(
        f"/scim/v2/Users/{user_id}", headers={**scim.headers, "If-Match": etag}
    )
    assert refused.status_code == 412


def test_unknown_department_is_refused_naming_it(scim: ScimWorld) -> None:
    body = user_body("x@testby.se", department="Fritidsförvaltningen")
    response = scim.client.post("/scim/v2/Users", json=body, headers=scim.headers)
    assert response.status_code == 400
    error = response.json()
    assert error["schemas"] == [ERROR]
    assert error["scimType"] == "invalidValue"
    assert "Fritidsförvaltningen" in error["detail"]
    missing = user_body("y@testby.se", department=None)
    response = scim.client.post("/scim/v2/Users", json=missing, headers=scim.headers)
    assert response.status_code == 400
    assert "department" in response.json()["detail"]


def test_uniqueness_ignores_case_of_user_name(scim: ScimWorld) -> None:
    _create(scim, "Anna@Testby.se", employee_number="A1")
    again = scim.client.post(
        "/scim/v2/Users",
        json=user_body("anna@testby.se", department=scim.school.code),
        headers=scim.headers,
    )
    assert again.status_code == 409
    assert again.json()["scimType"] == "uniqueness"
    number = scim.client.post(
        "/scim/v2/Users",
        json=user_body("b@testby.se", department=scim.school.code, employee_number="A1"),
        headers=scim.headers,
    )
    assert number.status_code == 409
    assert number.json()["scimType"] == "uniqueness"


def test_bad_values_are_scim_errors(scim: ScimWorld) -> None:
    user_id = _create(scim).json()["id"]
    long_name = _patch(
        scim, user_id, {"op": "replace", "path": "name.familyName", "value": "x" * 101}
    )
    assert long_name.status_code == 400
    assert long_name.json()["scimType"] == "invalidValue"
    assert "name.familyName" in long_name.json()["detail"]
    read_only = _patch(scim, user_id, {"op": "replace", "path": "id", "value": "other"})
    assert read_only.status_code == 400
    assert read_only.json()["scimType"] == "mutability"
    no_name = _patch(scim, user_id, {"op": "remove", "path": "userName"})
    assert no_name.status_code == 400
    bad_json = scim.client.post("/scim/v2/Users", content=b"{not json", headers=scim.headers)
    assert bad_json.status_code == 400
    assert bad_json.json()["schemas"] == [ERROR]
    assert bad_json.headers["content-type"] == "application/scim+json"
    # Nothing was half-applied: the user reads as before.
    assert scim.client.get(f"/scim/v2/Users/{user_id}", headers=scim.headers).json()["name"] == {
        "givenName": "Anna",
        "familyName": "Svensson",
    }


def test_attributes_and_excluded_attributes(scim: ScimWorld) -> None:
    user_id = _create(scim).json()["id"]
    some = scim.client.get(
        f"/scim/v2/Users/{user_id}", headers=scim.headers, params={"attributes": "userName,title"}
    ).json()
    assert set(some) == {"schemas", "id", "userName", "title"}
    fewer = scim.client.get(
        f"/scim/v2/Users/{user_id}",
        headers=scim.headers,
        params={"excludedAttributes": f"title,{ENTERPRISE}:department"},
    ).json()
    assert "title" not in fewer and "name" in fewer
    assert "department" not in fewer.get(ENTERPRISE, {})


def test_inactive_users_department_reads_back_without_rights(
    scim: ScimWorld, session: Session
) -> None:
    body = _create(scim, active=False).json()
    assert body["active"] is False
    moved = _patch(
        scim, body["id"], {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "OMS"}
    )
    assert moved.status_code == 400  # no unit has code or name OMS
    moved = _patch(
        scim,
        body["id"],
        {"op": "replace", "path": f"{ENTERPRISE}:department", "value": scim.care.code},
    )
    assert moved.json()[ENTERPRISE]["department"] == scim.care.code
    session.expire_all()
    rows = session.scalars(
        select(Assignment).where(Assignment.person_id == uuid.UUID(body["id"]))
    ).all()
    assert rows and all(a.end is not None for a in rows)  # nothing open-ended while inactive
    back = _patch(scim, body["id"], {"op": "replace", "path": "active", "value": True})
    assert back.json()[ENTERPRISE]["department"] == scim.care.code
    session.expire_all()
    running = session.scalars(
        select(Assignment).where(
            Assignment.person_id == uuid.UUID(body["id"]), Assignment.end.is_(None)
        )
    ).all()
    assert [a.org_unit_id for a in running] == [scim.care.id]
