"""A department administrator stays inside their department; municipalities never meet.

Guessing another department's or municipality's ids gives 404 (as for an unknown
id), and the row is left as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.audit.service import snapshot
from stadsvakt.auth.models import ApiToken
from stadsvakt.org.models import Municipality, OrgUnit, Site
from tests import factories as f

V1 = "/api/v1"


@dataclass
class City:
    """Two departments, each with a unit and sites."""

    tenant: Municipality
    gsf: OrgUnit
    gsf_unit: OrgUnit
    gsf_site: Site
    kf: OrgUnit
    kf_unit: OrgUnit
    kf_site: Site
    kf_external: Site


def build_city(session: Session, name: str | None = None) -> City:
    """Grundskoleförvaltningen and Kulturförvaltningen with their units and sites."""
    tenant = f.municipality(session, name)
    gsf = f.unit(session, tenant, name="Grundskoleförvaltningen")
    gsf_unit = f.unit(session, tenant, parent=gsf, name="Rosengårdsskolan")
    kf = f.unit(session, tenant, name="Kulturförvaltningen")
    kf_unit = f.unit(session, tenant, parent=kf, name="Stadsbiblioteket")
    return City(
        tenant=tenant,
        gsf=gsf,
        gsf_unit=gsf_unit,
        gsf_site=f.site(session, tenant, unit=gsf_unit),
        kf=kf,
        kf_unit=kf_unit,
        kf_site=f.site(session, tenant, unit=kf_unit),
        kf_external=f.site(session, tenant, unit=kf, external=True),
    )


@pytest.fixture
def city(session: Session) -> City:
    """The city the tests act in."""
    return build_city(session)


@pytest.fixture
def gsf_admin(
    client: TestClient, session: Session, services: Services, city: City
) -> dict[str, str]:
    """Logged in as Grundskoleförvaltningen's department administrator; the CSRF header."""
    admin = f.user(session, city.tenant, services.passwords, role="department_admin", unit=city.gsf)
    return f.login(client, admin)


def _state(session: Session, obj: OrgUnit | Site) -> dict[str, Any]:
    session.expire_all()
    fresh = session.get(type(obj), obj.id)
    assert fresh is not None, "the row was removed"
    return snapshot(fresh)


def _ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.parametrize("kind", ["unit", "site", "external"])
def test_other_departments_objects_cannot_be_read_changed_or_deleted(
    client: TestClient, session: Session, city: City, gsf_admin: dict[str, str], kind: str
) -> None:
    targets: dict[str, OrgUnit | Site] = {
        "unit": city.kf_unit,
        "site": city.kf_site,
        "external": city.kf_external,
    }
    target = targets[kind]
    path = f"{V1}/{'org-units' if kind == 'unit' else 'sites'}/{target.id}"
    before = _state(session, target)
    assert client.get(path).status_code == 404
    assert client.patch(path, headers=gsf_admin, json={"name": "Kapad"}).status_code == 404
    assert client.delete(path, headers=gsf_admin).status_code == 404
    assert _state(session, target) == before


def test_other_department_itself_is_invisible(
    client: TestClient, session: Session, city: City, gsf_admin: dict[str, str]
) -> None:
    before = _state(session, city.kf)
    assert client.get(f"{V1}/org-units/{city.kf.id}").status_code == 404
    response = client.patch(f"{V1}/org-units/{city.kf.id}", headers=gsf_admin, json={"name": "X"})
    assert response.status_code == 404
    assert _state(session, city.kf) == before


def test_own_department_objects_can_be_changed(
    client: TestClient, city: City, gsf_admin: dict[str, str]
) -> None:
    path = f"{V1}/sites/{city.gsf_site.id}"
    assert client.patch(path, headers=gsf_admin, json={"name": "Ny skola"}).json()["name"] == (
        "Ny skola"
    )


def test_cannot_create_under_another_department(
    client: TestClient, session: Session, city: City, gsf_admin: dict[str, str]
) -> None:
    site = {
        "code": "INTRANG",
        "name": "Intrång",
        "street": "Gatan 1",
        "postal_code": "21134",
        "city": "Sundby",
        "latitude": 55.6,
        "longitude": 13.0,
    }
    for foreign in (city.kf, city.kf_unit):
        response = client.post(
            f"{V1}/sites", headers=gsf_admin, json={**site, "org_unit_id": str(foreign.id)}
        )
        assert response.status_code == 404, response.text
    # Without a unit the site would fall outside every department: refused too.
    assert client.post(f"{V1}/sites", headers=gsf_admin, json=site).status_code == 403
    unit = {"code": "INTRANG", "name": "Intrång", "parent_id": str(city.kf.id)}
    assert client.post(f"{V1}/org-units", headers=gsf_admin, json=unit).status_code == 404
    top = {"code": "INTRANG", "name": "Intrång"}
    assert client.post(f"{V1}/org-units", headers=gsf_admin, json=top).status_code == 403
    listed = client.get(f"{V1}/sites?q=INTRANG").json()
    assert listed["total"] == 0


def test_cannot_move_own_objects_into_another_department(
    client: TestClient, session: Session, city: City, gsf_admin: dict[str, str]
) -> None:
    site_before = _state(session, city.gsf_site)
    unit_before = _state(session, city.gsf_unit)
    moved = client.patch(
        f"{V1}/sites/{city.gsf_site.id}", headers=gsf_admin, json={"org_unit_id": str(city.kf.id)}
    )
    assert moved.status_code == 404
    moved = client.patch(
        f"{V1}/org-units/{city.gsf_unit.id}",
        headers=gsf_admin,
        json={"parent_id": str(city.kf.id)},
    )
    assert moved.status_code == 404
    detached = client.patch(
        f"{V1}/org-units/{city.gsf_unit.id}", headers=gsf_admin, json={"parent_id": None}
    )
    assert detached.status_code == 403
    assert _state(session, city.gsf_site) == site_before
    assert _state(session, city.gsf_unit) == unit_before


def test_cannot_remove_or_move_own_department(
    client: TestClient, session: Session, city: City, gsf_admin: dict[str, str]
) -> None:
    before = _state(session, city.gsf)
    path = f"{V1}/org-units/{city.gsf.id}"
    assert client.delete(path, headers=gsf_admin).status_code == 403
    assert client.patch(
        path, headers=gsf_admin, json={"parent_id": str(city.kf.id)}
    ).status_code in (
        403,
        404,
    )
    assert _state(session, city.gsf) == before


@pytest.mark.parametrize(
    "query", ["", "?q=Stadsbibliotek", "?q=Kultur", "?owner_kind=external", "?limit=500"]
)
def test_lists_never_show_other_departments(
    client: TestClient, city: City, gsf_admin: dict[str, str], query: str
) -> None:
    units = client.get(f"{V1}/org-units{query.replace('owner_kind=external', 'q=')}")
    sites = client.get(f"{V1}/sites{query}")
    foreign = {str(x.id) for x in (city.kf, city.kf_unit, city.kf_site, city.kf_external)}
    assert not (_ids(units) | _ids(sites)) & foreign
    assert sites.json()["total"] == len(sites.json()["items"])


def test_filters_by_a_foreign_unit_return_nothing(
    client: TestClient, city: City, gsf_admin: dict[str, str]
) -> None:
    assert _ids(client.get(f"{V1}/sites?org_unit_id={city.kf_unit.id}")) == set()
    assert _ids(client.get(f"{V1}/org-units?parent_id={city.kf.id}")) == set()
    own = _ids(client.get(f"{V1}/org-units"))
    assert own == {str(city.gsf.id), str(city.gsf_unit.id)}
    assert _ids(client.get(f"{V1}/sites")) == {str(city.gsf_site.id)}


def test_scope_covers_the_whole_subtree(
    client: TestClient, session: Session, city: City, gsf_admin: dict[str, str]
) -> None:
    deep = f.unit(session, city.tenant, parent=city.gsf_unit)
    deep_site = f.site(session, city.tenant, unit=deep)
    assert client.get(f"{V1}/org-units/{deep.id}").status_code == 200
    assert client.get(f"{V1}/sites/{deep_site.id}").status_code == 200


def test_municipalities_are_fully_isolated(
    client: TestClient, session: Session, services: Services, city: City
) -> None:
    other = build_city(session, "Annanby kommun")
    foreign_user = f.user(session, other.tenant, services.passwords, role="operator")
    f.token(session, other.tenant, "site.read")
    owner = f.user(session, city.tenant, services.passwords)
    csrf = f.login(client, owner)

    foreign_ids = {
        str(x.id)
        for x in (other.gsf, other.gsf_unit, other.gsf_site, other.kf, other.kf_unit, other.kf_site)
    } | {str(foreign_user.id), str(other.tenant.id)}
    foreign_ids |= {
        str(t)
        for t in session.scalars(select(ApiToken.id).where(ApiToken.tenant_id == other.tenant.id))
    }
    assert len(foreign_ids) == 9

    def seen(path: str) -> set[str]:
        response = client.get(V1 + path)
        assert response.status_code == 200, response.text
        body = response.json()
        items = body["items"] if isinstance(body, dict) else body
        return {str(item.get("id")) for item in items} | {
            str(item.get("object_id")) for item in items
        }

    for path in ("/org-units?limit=500", "/sites?limit=500", "/users", "/tokens", "/roles"):
        assert not seen(path) & foreign_ids, path
    audit = seen("/audit?limit=500")
    assert not audit & foreign_ids
    assert client.get(f"{V1}/municipality").json()["id"] == str(city.tenant.id)
    roles = client.get(f"{V1}/roles").json()
    assert len(roles) == len({r["name"] for r in roles})
    assert len(client.get(f"{V1}/users").json()) == 1

    before = _state(session, other.gsf_site)
    for path in (f"/org-units/{other.gsf_unit.id}", f"/sites/{other.gsf_site.id}"):
        assert client.get(V1 + path).status_code == 404
        assert client.patch(V1 + path, headers=csrf, json={"name": "Kapad"}).status_code == 404
        assert client.delete(V1 + path, headers=csrf).status_code == 404
    assert _state(session, other.gsf_site) == before
    assert client.get(f"{V1}/users/{foreign_user.id}").status_code == 404
    response = client.patch(f"{V1}/users/{foreign_user.id}", headers=csrf, json={"active": False})
    assert response.status_code == 404
    placed = client.post(
        f"{V1}/org-units",
        headers=csrf,
        json={"code": "X1", "name": "X", "parent_id": str(other.kf.id)},
    )
    assert placed.status_code == 404
    given = client.post(
        f"{V1}/users",
        headers=csrf,
        json={
            "username": "korsvis",
            "display_name": "Korsvis",
            "password": f.PASSWORD,
            "roles": [{"role": "department_admin", "org_unit_id": str(other.kf.id)}],
        },
    )
    assert given.status_code == 404


def test_same_codes_may_be_used_in_two_municipalities(
    client: TestClient, session: Session, city: City
) -> None:
    other = f.municipality(session)
    body = {"code": "DUP", "name": "Samma kod"}
    for tenant in (city.tenant, other):
        response = client.post(
            f"{V1}/org-units", headers=f.owner_bearer(session, tenant), json=body
        )
        assert response.status_code == 201
