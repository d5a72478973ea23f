"""SCIM authentication, tenant isolation and the discovery endpoints."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests import factories
from tests.factories_scim import ERROR, GROUP, SCIM_JSON, USER, user_body
from tests.scim.conftest import ScimWorld


def test_without_or_with_a_bad_token_is_a_scim_401(scim: ScimWorld) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer svt_nope"}):
        response = scim.client.get("/scim/v2/Users", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == SCIM_JSON
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["schemas"] == [ERROR]
        assert response.json()["status"] == "401"


def test_a_token_without_the_scope_is_a_scim_403(scim: ScimWorld, session: Session) -> None:
    secret = factories.token(session, scim.tenant, "person.read", "person.write")
    session.commit()
    response = scim.client.get("/scim/v2/Users", headers=factories.bearer(secret))
    assert response.status_code == 403
    assert response.json()["schemas"] == [ERROR]
    assert "scim.provision" in response.json()["detail"]


def test_the_scope_does_not_open_the_api(scim: ScimWorld) -> None:
    response = scim.client.get("/api/v1/people", headers=scim.headers)
    assert response.status_code == 403


def test_municipalities_are_isolated(scim: ScimWorld, session: Session) -> None:
    other = factories.municipality(session)
    other_unit = factories.unit(session, other)
    session.commit()
    other_headers = {**factories.bearer(factories.token(session, other, "scim.provision"))}
    session.commit()
    mine = scim.client.post(
        "/scim/v2/Users",
        json=user_body("anna@testby.se", department=scim.school.code),
        headers=scim.headers,
    ).json()
    # The other municipality cannot see, change or delete it, nor use our unit codes.
    assert scim.client.get(f"/scim/v2/Users/{mine['id']}", headers=other_headers).status_code == 404
    listed = scim.client.get("/scim/v2/Users", headers=other_headers).json()
    assert listed["totalResults"] == 0
    assert (
        scim.client.delete(f"/scim/v2/Users/{mine['id']}", headers=other_headers).status_code == 404
    )
    theirs = scim.client.post(
        "/scim/v2/Users",
        json=user_body("anna@testby.se", department=scim.school.code),
        headers=other_headers,
    )
    assert theirs.status_code == 400
    # The same user name may exist in each municipality.
    again = scim.client.post(
        "/scim/v2/Users",
        json=user_body("anna@testby.se", department=other_unit.code),
        headers=other_headers,
    )
    assert again.status_code == 201, again.text


def test_discovery(scim: ScimWorld) -> None:
    config = scim.client.get("/scim/v2/ServiceProviderConfig")  # readable without a token
    assert config.status_code == 200
    body = config.json()
    assert body["patch"]["supported"] and body["filter"]["supported"] and body["etag"]["supported"]
    assert not body["bulk"]["supported"] and not body["sort"]["supported"]
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = scim.client.get("/scim/v2/ResourceTypes", headers=scim.headers).json()
    assert {t["schema"] for t in types["Resources"]} == {USER, GROUP}
    schemas = scim.client.get("/scim/v2/Schemas", headers=scim.headers).json()
    user = next(s for s in schemas["Resources"] if s["id"] == USER)
    names = {a["name"] for a in user["attributes"]}
    assert names >= {"userName", "name", "displayName", "title", "active", "emails"}
    assert not names & {"phoneNumbers", "addresses", "password", "x509Certificates"}
    assert scim.client.get("/scim/v2/Bulk", headers=scim.headers).status_code in (404, 405)
