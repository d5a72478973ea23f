"""Organisation units and sites over the API: create, read, change, remove, with their rules."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories as f

V1 = "/api/v1"


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    """A token with every permission."""
    return f.owner_bearer(session, f.municipality(session, "Sundby kommun"))


def _post(client: TestClient, admin: dict[str, str], path: str, **body: Any) -> dict[str, Any]:
    response = client.post(V1 + path, headers=admin, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _site(code: str, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"Fastighet {code}",
        "street": "Storgatan 1",
        "postal_code": "21134",
        "city": "Sundby",
        "latitude": 55.6,
        "longitude": 13.0,
        **extra,
    }


def test_unit_tree_crud(client: TestClient, admin: dict[str, str]) -> None:
    dept = _post(
        client, admin, "/org-units", code="GSF", name="Grundskoleförvaltningen", kind="department"
    )
    school = _post(
        client, admin, "/org-units", code="RS", name="Rosengårdsskolan", parent_id=dept["id"]
    )
    assert school["kind"] == "unit" and school["parent_id"] == dept["id"]
    children = client.get(f"{V1}/org-units?parent_id={dept['id']}", headers=admin).json()
    assert [u["id"] for u in children["items"]] == [school["id"]]
    found = client.get(f"{V1}/org-units?q=rosengård", headers=admin).json()
    assert found["total"] == 1
    renamed = client.patch(
        f"{V1}/org-units/{school['id']}", headers=admin, json={"name": "Rosengård"}
    )
    assert renamed.json()["name"] == "Rosengård"
    assert client.delete(f"{V1}/org-units/{dept['id']}", headers=admin).status_code == 409
    assert client.delete(f"{V1}/org-units/{school['id']}", headers=admin).status_code == 204
    assert client.get(f"{V1}/org-units/{school['id']}", headers=admin).status_code == 404
    assert client.delete(f"{V1}/org-units/{dept['id']}", headers=admin).status_code == 204


def test_a_unit_cannot_move_below_itself(client: TestClient, admin: dict[str, str]) -> None:
    top = _post(client, admin, "/org-units", code="A", name="A", kind="department")
    mid = _post(client, admin, "/org-units", code="B", name="B", parent_id=top["id"])
    low = _post(client, admin, "/org-units", code="C", name="C", parent_id=mid["id"])
    for target in (top["id"], low["id"]):
        response = client.patch(
            f"{V1}/org-units/{top['id']}", headers=admin, json={"parent_id": target}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0] == {
            "field": "parent_id",
            "rule": "no_cycle",
            "message": response.json()["detail"],
        }


def test_a_unit_with_sites_cannot_be_removed(client: TestClient, admin: dict[str, str]) -> None:
    unit = _post(client, admin, "/org-units", code="KF", name="Kultur", kind="department")
    _post(client, admin, "/sites", **_site("S1", org_unit_id=unit["id"]))
    response = client.delete(f"{V1}/org-units/{unit['id']}", headers=admin)
    assert response.status_code == 409
    assert "sites" in response.json()["detail"]


def test_required_fields_cannot_be_emptied(client: TestClient, admin: dict[str, str]) -> None:
    site = _post(client, admin, "/sites", **_site("S1"))
    response = client.patch(f"{V1}/sites/{site['id']}", headers=admin, json={"name": None})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"
    assert client.get(f"{V1}/sites/{site['id']}", headers=admin).json()["name"] == "Fastighet S1"


def test_external_owner_needs_a_name(client: TestClient, admin: dict[str, str]) -> None:
    site = _post(client, admin, "/sites", **_site("S1"))
    response = client.patch(
        f"{V1}/sites/{site['id']}", headers=admin, json={"owner_kind": "external"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "owner_name"
    assert client.get(f"{V1}/sites/{site['id']}", headers=admin).json()["owner_kind"] == "city"
    ok = client.patch(
        f"{V1}/sites/{site['id']}",
        headers=admin,
        json={
            "owner_kind": "external",
            "owner_name": "Fastighets AB Hyra",
            "owner_email": "drift@hyra.se",
            "owner_phone": "+46 40 123 45",
        },
    )
    assert ok.status_code == 200
    external = client.get(f"{V1}/sites?owner_kind=external", headers=admin).json()
    assert [s["id"] for s in external["items"]] == [site["id"]]


def test_site_list_pages(client: TestClient, admin: dict[str, str]) -> None:
    for n in range(5):
        _post(client, admin, "/sites", **_site(f"P{n}"))
    first = client.get(f"{V1}/sites?limit=2", headers=admin).json()
    rest = client.get(f"{V1}/sites?limit=2&offset=2", headers=admin).json()
    last = client.get(f"{V1}/sites?limit=2&offset=4", headers=admin).json()
    assert first["total"] == rest["total"] == last["total"] == 5
    ids = [s["id"] for page in (first, rest, last) for s in page["items"]]
    assert len(set(ids)) == 5


def test_municipality_is_the_callers_own(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get(f"{V1}/municipality", headers=admin)
    assert response.status_code == 200
    assert response.json()["name"] == "Sundby kommun"


def test_site_and_unit_codes_are_separate(client: TestClient, admin: dict[str, str]) -> None:
    _post(client, admin, "/org-units", code="X1", name="Enhet", kind="department")
    _post(client, admin, "/sites", **_site("X1"))
