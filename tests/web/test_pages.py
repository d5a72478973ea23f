"""The organisation and site pages: lists, forms, validation shown on the fields, scope."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.org.models import OrgUnit, Site
from tests import factories as f
from tests.web.conftest import City, csrf_of, log_in

SITE_FORM = {
    "name": "Rosengårdsskolan",
    "code": "MLM-0042",
    "street": "Ramels väg 40",
    "postal_code": "213 69",
    "city": "Malmö",
    "latitude": "55,5829",
    "longitude": "13.0421",
    "owner_kind": "city",
}


def test_overview_counts_units_and_sites(browser: TestClient, city: City) -> None:
    page = browser.get("/")
    assert city.tenant.name in page.text
    assert '<html lang="sv">' in page.text
    assert 'aria-current="page"' in page.text
    assert ">2</span>" in page.text  # two units, two sites


def test_sites_list_search_and_owner_filter(browser: TestClient, city: City) -> None:
    listing = browser.get("/sites")
    assert city.city_site.name in listing.text and city.external_site.name in listing.text
    external = browser.get("/sites?owner=external")
    assert city.external_site.name in external.text
    assert city.city_site.name not in external.text
    assert "Fastighets AB Hyra" in external.text
    searched = browser.get("/sites", params={"q": city.city_site.code})
    assert city.city_site.name in searched.text and city.external_site.name not in searched.text


def test_sites_paginate(browser: TestClient, city: City, session: Session) -> None:
    for _ in range(26):
        f.site(session, city.tenant)
    first = browser.get("/sites")
    assert "1–25 av 28" in first.text
    assert 'rel="next"' in first.text
    second = browser.get("/sites?p=2")
    assert "26–28 av 28" in second.text and 'rel="prev"' in second.text


def test_create_site_via_the_form(browser: TestClient, city: City, session: Session) -> None:
    form = browser.get("/sites/new")
    data = {**SITE_FORM, "org_unit_id": str(city.unit.id), "csrf_token": csrf_of(form.text)}
    response = browser.post("/sites/new", data=data, follow_redirects=False)
    assert response.status_code == 303
    site = session.execute(select(Site).where(Site.code == "MLM-0042")).scalar_one()
    assert site.latitude == 55.5829 and site.org_unit_id == city.unit.id
    detail = browser.get(response.headers["location"])
    assert "Rosengårdsskolan" in detail.text and "Fastigheten har sparats." in detail.text


def test_site_form_shows_errors_on_their_fields_with_values_kept(
    browser: TestClient, city: City, session: Session
) -> None:
    form = browser.get("/sites/new")
    data = {**SITE_FORM, "postal_code": "12", "csrf_token": csrf_of(form.text)}
    response = browser.post("/sites/new", data=data)
    assert response.status_code == 422
    html = response.text
    assert 'id="f-postal_code-error"' in html
    assert 'aria-describedby="f-postal_code-hint f-postal_code-error"' not in html
    assert 'aria-describedby="f-postal_code-error" aria-invalid="true"' in html
    assert "Ange ett svenskt postnummer" in html
    assert 'value="Rosengårdsskolan"' in html and 'value="Ramels väg 40"' in html
    external = browser.post(
        "/sites/new", data={**data, "postal_code": "213 69", "owner_kind": "external"}
    )
    assert external.status_code == 422
    assert 'id="f-owner_name-error"' in external.text
    assert "Måste fyllas i när ägaren är extern" in external.text
    assert session.execute(select(Site).where(Site.code == "MLM-0042")).first() is None


def test_duplicate_site_code_is_shown_on_the_code_field(browser: TestClient, city: City) -> None:
    form = browser.get("/sites/new")
    data = {**SITE_FORM, "code": city.city_site.code, "csrf_token": csrf_of(form.text)}
    response = browser.post("/sites/new", data=data)
    assert response.status_code == 422
    assert 'id="f-code-error"' in response.text and "Koden används redan." in response.text


def test_site_detail_shows_external_owner_and_saves_edits(
    browser: TestClient, city: City, session: Session
) -> None:
    site = city.external_site
    page = browser.get(f"/sites/{site.id}")
    assert "Fastighets AB Hyra" in page.text and "Ägarens kontaktuppgifter" in page.text
    data = {
        **SITE_FORM,
        "code": site.code,
        "owner_kind": "external",
        "owner_name": "Hyresvärden AB",
        "owner_email": "not-an-address",
        "csrf_token": csrf_of(page.text),
    }
    bad = browser.post(f"/sites/{site.id}", data=data)
    assert bad.status_code == 422 and "Ange en giltig e-postadress." in bad.text
    session.expire_all()
    assert session.get(Site, site.id).name != "Rosengårdsskolan"  # type: ignore[union-attr]
    data["owner_email"] = "kontakt@hyresvarden.se"
    good = browser.post(f"/sites/{site.id}", data=data, follow_redirects=False)
    assert good.status_code == 303
    session.expire_all()
    saved = session.get(Site, site.id)
    assert saved is not None and saved.owner_email == "kontakt@hyresvarden.se"


def test_unknown_site_is_a_404_page(browser: TestClient, city: City) -> None:
    for path in ("/sites/00000000-0000-0000-0000-000000000000", "/sites/not-an-id"):
        response = browser.get(path)
        assert response.status_code == 404
        assert "Sidan finns inte" in response.text


def test_department_admin_sees_only_their_units_sites(
    client: TestClient, city: City, session: Session, services: Services
) -> None:
    other_department = f.unit(session, city.tenant, name="Kulturförvaltningen")
    hidden = f.site(session, city.tenant, unit=other_department)
    admin = f.user(
        session, city.tenant, services.passwords, role="department_admin", unit=city.department
    )
    log_in(client, admin.username, admin.password)
    listing = client.get("/sites")
    assert city.city_site.name in listing.text
    assert hidden.name not in listing.text
    assert client.get(f"/sites/{hidden.id}").status_code == 404
    units = client.get("/org-units")
    assert "Kulturförvaltningen" not in units.text


def test_org_units_create_edit_and_delete(
    browser: TestClient, city: City, session: Session
) -> None:
    page = browser.get("/org-units")
    assert "Förvaltning Öst" in page.text
    token = csrf_of(page.text)
    bad = browser.post(
        "/org-units", data={"code": "has space", "name": "", "kind": "unit", "csrf_token": token}
    )
    assert bad.status_code == 422
    assert 'id="f-code-error"' in bad.text and 'id="f-name-error"' in bad.text
    created = browser.post(
        "/org-units",
        data={
            "code": "OST-2",
            "name": "Enhet Öst 2",
            "kind": "unit",
            "csrf_token": token,
            "parent_id": str(city.department.id),
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    unit = session.execute(select(OrgUnit).where(OrgUnit.code == "OST-2")).scalar_one()
    assert unit.parent_id == city.department.id

    cycle = browser.post(
        f"/org-units/{city.department.id}",
        data={
            "code": city.department.code,
            "name": city.department.name,
            "kind": "department",
            "parent_id": str(city.unit.id),
            "csrf_token": token,
        },
    )
    assert cycle.status_code == 422
    assert "En enhet kan inte flyttas in under sig själv." in cycle.text

    refused = browser.post(f"/org-units/{city.unit.id}/delete", data={"csrf_token": token})
    assert refused.status_code == 409 and "Enheten kunde inte tas bort." in refused.text
    confirm = browser.get(f"/org-units/{unit.id}/delete")
    assert "Ja, ta bort enheten" in confirm.text
    deleted = browser.post(
        f"/org-units/{unit.id}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert deleted.status_code == 303
    assert session.execute(select(OrgUnit.id).where(OrgUnit.id == unit.id)).first() is None
