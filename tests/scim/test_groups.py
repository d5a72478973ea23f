"""SCIM Groups: directory groups whose members are people."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from stadsvakt.directory.models import GroupMember
from tests.factories_scim import ERROR, GROUP, patch_body, user_body
from tests.scim.conftest import ScimWorld


def _user(scim: ScimWorld, name: str) -> str:
    body = user_body(name, department=scim.school.code)
    response = scim.client.post("/scim/v2/Users", json=body, headers=scim.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _members(session: Session, group_id: str) -> set[str]:
    session.expire_all()
    rows = session.query(GroupMember).filter(GroupMember.group_id == uuid.UUID(group_id)).all()
    return {str(m.person_id) for m in rows}


def test_group_lifecycle_as_entra_sends_it(scim: ScimWorld, session: Session) -> None:
    anna, bo = _user(scim, "anna@testby.se"), _user(scim, "bo@testby.se")
    created = scim.client.post(
        "/scim/v2/Groups",
        json={"schemas": [GROUP], "displayName": "Fritidsklubben", "externalId": "g-1"},
        headers=scim.headers,
    )
    assert created.status_code == 201, created.text
    group_id = created.json()["id"]
    url = f"/scim/v2/Groups/{group_id}"
    added = scim.client.patch(
        url,
        json=patch_body(
            {"op": "Add", "path": "members", "value": [{"value": anna}, {"value": bo}]}
        ),
        headers=scim.headers,
    )
    assert added.status_code == 200, added.text
    assert {m["value"] for m in added.json()["members"]} == {anna, bo}
    assert _members(session, group_id) == {anna, bo}
    # Entra removes a member with the value as a filter.
    removed = scim.client.patch(
        url,
        json=patch_body({"op": "Remove", "path": "members", "value": [{"value": anna}]}),
        headers=scim.headers,
    )
    assert removed.status_code == 200, removed.text
    assert _members(session, group_id) == {bo}
    by_path = scim.client.patch(
        url,
        json=patch_body({"op": "remove", "path": f'members[value eq "{bo}"]'}),
        headers=scim.headers,
    )
    assert by_path.status_code == 200
    assert _members(session, group_id) == set()
    renamed = scim.client.patch(
        url,
        json=patch_body({"op": "replace", "path": "displayName", "value": "Idrottsklubben"}),
        headers=scim.headers,
    )
    assert renamed.json()["displayName"] == "Idrottsklubben"
    found = scim.client.get(
        "/scim/v2/Groups",
        headers=scim.headers,
        params={"filter": 'displayName eq "idrottsklubben"'},
    ).json()
    assert [g["id"] for g in found["Resources"]] == [group_id]
    assert scim.client.delete(url, headers=scim.headers).status_code == 204
    assert scim.client.get(url, headers=scim.headers).status_code == 404


def test_filter_groups_by_member(scim: ScimWorld) -> None:
    anna = _user(scim, "anna@testby.se")
    body = {"schemas": [GROUP], "displayName": "Lag A", "members": [{"value": anna}]}
    scim.client.post("/scim/v2/Groups", json=body, headers=scim.headers)
    scim.client.post(
        "/scim/v2/Groups", json={"schemas": [GROUP], "displayName": "Lag B"}, headers=scim.headers
    )
    found = scim.client.get(
        "/scim/v2/Groups", headers=scim.headers, params={"filter": f'members[value eq "{anna}"]'}
    ).json()
    assert [g["displayName"] for g in found["Resources"]] == ["Lag A"]


def test_bad_members_and_duplicate_names(scim: ScimWorld) -> None:
    first = scim.client.post(
        "/scim/v2/Groups", json={"schemas": [GROUP], "displayName": "Lag"}, headers=scim.headers
    ).json()
    nested = scim.client.post(
        "/scim/v2/Groups",
        json={
            "schemas": [GROUP],
            "displayName": "Över",
            "members": [{"value": first["id"], "type": "Group"}],
        },
        headers=scim.headers,
    )
    assert nested.status_code == 400
    assert nested.json()["scimType"] == "invalidValue"
    unknown = scim.client.post(
        "/scim/v2/Groups",
        json={"schemas": [GROUP], "displayName": "X", "members": [{"value": str(uuid.uuid4())}]},
        headers=scim.headers,
    )
    assert unknown.status_code == 400
    assert unknown.json()["schemas"] == [ERROR]
    twice = scim.client.post(
        "/scim/v2/Groups", json={"schemas": [GROUP], "displayName": "Lag"}, headers=scim.headers
    )
    assert twice.status_code == 409
    assert twice.json()["scimType"] == "uniqueness"
