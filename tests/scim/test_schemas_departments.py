"""``/Schemas`` publishes the asking municipality's unit codes as the valid values of the
enterprise extension's ``department`` (issue 11, point 11): a client discovers them
instead of being told in a patched schema."""

from __future__ import annotations

from typing import Any

from scim2_models import Schema
from sqlalchemy.orm import Session

from tests import factories
from tests.factories_scim import ENTERPRISE, SCIM_JSON, USER, user_body
from tests.scim.conftest import ScimWorld


def _department(schema: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = [a for a in schema["attributes"] if a["name"] == "department"]
    assert len(found) == 1
    return found[0]


def _listed(scim: ScimWorld, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = scim.client.get("/scim/v2/Schemas", headers=headers or scim.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == SCIM_JSON
    by_id: dict[str, Any] = {s["id"]: s for s in response.json()["Resources"]}
    return by_id


def test_schemas_list_the_municipalitys_unit_codes_as_departments(scim: ScimWorld) -> None:
    enterprise = _listed(scim)[ENTERPRISE]
    department = _department(enterprise)
    assert department["canonicalValues"] == sorted([scim.school.code, scim.care.code])
    assert department["required"] is True
    # What a SCIM library reads: the values survive its validation of the schema.
    parsed = Schema.model_validate(enterprise)
    (attribute,) = [a for a in parsed.attributes or [] if a.name == "department"]
    assert attribute.canonical_values == sorted([scim.school.code, scim.care.code])


def test_one_schema_by_its_urn_lists_them_too(scim: ScimWorld) -> None:
    response = scim.client.get(f"/scim/v2/Schemas/{ENTERPRISE}", headers=scim.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-location"].endswith(f"/scim/v2/Schemas/{ENTERPRISE}")
    body = response.json()
    assert body["id"] == ENTERPRISE
    assert _department(body)["canonicalValues"] == sorted([scim.school.code, scim.care.code])
    core = scim.client.get(f"/scim/v2/Schemas/{USER}", headers=scim.headers).json()
    assert all("canonicalValues" not in a for a in core["attributes"] if a["name"] == "title")


def test_each_municipality_sees_its_own_units(scim: ScimWorld, session: Session) -> None:
    other = factories.municipality(session)
    other_unit = factories.unit(session, other)
    session.commit()
    other_headers = factories.bearer(factories.token(session, other, "scim.provision"))
    session.commit()
    theirs = _department(_listed(scim, other_headers)[ENTERPRISE])["canonicalValues"]
    assert theirs == [other_unit.code]
    ours = _department(_listed(scim)[ENTERPRISE])["canonicalValues"]
    assert other_unit.code not in ours


def test_a_new_unit_is_published_at_once(scim: ScimWorld, session: Session) -> None:
    added = factories.unit(session, scim.tenant, parent=scim.school)
    session.commit()
    assert added.code in _department(_listed(scim)[ENTERPRISE])["canonicalValues"]


def test_a_published_value_is_accepted_as_department(scim: ScimWorld) -> None:
    (code, *_) = _department(_listed(scim)[ENTERPRISE])["canonicalValues"]
    response = scim.client.post(
        "/scim/v2/Users", headers=scim.headers, json=user_body("ny@example.se", department=code)
    )
    assert response.status_code == 201, response.text
    assert response.json()[ENTERPRISE]["department"] == code


def test_the_schemas_still_need_the_token_and_refuse_a_filter(scim: ScimWorld) -> None:
    assert scim.client.get("/scim/v2/Schemas").status_code == 401
    response = scim.client.get(
        "/scim/v2/Schemas", headers=scim.headers, params={"filter": 'id eq "x"'}
    )
    assert response.status_code == 403
    missing = scim.client.get("/scim/v2/Schemas/urn:nope", headers=scim.headers)
    assert missing.status_code == 404
    assert "urn:nope" in missing.json()["detail"]
