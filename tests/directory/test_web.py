"""The people pages: list with search and filters, create and edit forms, deactivation."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.access.models import CredentialState
from stadsvakt.api.deps import Services
from stadsvakt.directory import service
from stadsvakt.directory.models import PersonKind
from tests import factories as f
from tests import factories_directory as fd
from tests.web.conftest import City, csrf_of, log_in


def test_people_list_searches_and_filters(
    browser: TestClient, city: City, session: Session
) -> None:
    karin = fd.person(session, city.tenant, unit=city.unit, given_name="Karin", family_name="Lund")
    other = f.unit(session, city.tenant, name="Kulturförvaltningen")
    fd.person(session, city.tenant, unit=other, given_name="Per", family_name="Holm")
    page = browser.get("/people")
    assert page.status_code == 200
    assert '<html lang="sv">' in page.text and "2 personer" in page.text
    assert 'href="/people" aria-current="page"' in page.text
    found = browser.get("/people", params={"q": "karin"})
    assert "Lund, Karin" in found.text and "Holm" not in found.text
    by_unit = browser.get("/people", params={"unit": str(city.department.id)})
    assert "Lund, Karin" in by_unit.text and "Holm" not in by_unit.text
    service.deactivate_person(session, f.system(city.tenant.id), karin.id, reason="test")
    inactive = browser.get("/people", params={"state": "inactive"})
    assert "Lund, Karin" in inactive.text and "Holm" not in inactive.text


def test_create_person_with_errors_then_success(browser: TestClient, city: City) -> None:
    form = browser.get("/people/new")
    assert "Anställningsnummer" in form.text and "personnummer" in form.text
    data = {
        "given_name": "",
        "family_name": "Ek",
        "email": "inte-en-adress",
        "kind": "employee",
        "org_unit_id": str(city.unit.id),
        "csrf_token": csrf_of(form.text),
    }
    bad = browser.post("/people/new", data=data)
    assert bad.status_code == 422
    assert 'id="f-given_name-error"' in bad.text and 'id="f-email-error"' in bad.text
    assert 'value="Ek"' in bad.text
    good = browser.post(
        "/people/new",
        data={**data, "given_name": "Sara", "email": "sara@example.se", "extended_unlock": "on"},
        follow_redirects=False,
    )
    assert good.status_code == 303
    detail = browser.get(good.headers["location"])
    assert "Sara Ek" in detail.text and "Personen sparades." in detail.text
    assert "Längre upplåsningstid</dt><dd>Ja" in detail.text


def test_detail_shows_assignments_and_training_and_saves_edits(
    browser: TestClient, city: City, session: Session
) -> None:
    person = fd.person(session, city.tenant, unit=city.unit, position="lärare")
    fd.training(session, person, course="Brandskydd")
    page = browser.get(f"/people/{person.id}")
    assert "lärare" in page.text and "Brandskydd" in page.text
    # An assignment's end is the first day it no longer holds, and the heading says so.
    assert "Upphör från och med" in page.text
    data = {
        "given_name": "Annika",
        "family_name": person.family_name,
        "employee_number": person.employee_number or "",
        "email": "",
        "kind": "employee",
        "org_unit_id": str(city.unit.id),
        "csrf_token": csrf_of(page.text),
        "version": str(person.version),  # the edit form's hidden row version
    }
    saved = browser.post(f"/people/{person.id}", data=data, follow_redirects=False)
    assert saved.status_code == 303
    assert "Annika" in browser.get(f"/people/{person.id}").text


def test_deactivate_asks_first_then_revokes(
    browser: TestClient, city: City, session: Session
) -> None:
    person = fd.person(session, city.tenant, unit=city.unit, position="lärare")
    card = fd.credential(session, person)
    confirm = browser.get(f"/people/{person.id}/deactivate")
    assert "Vill du verkligen inaktivera" in confirm.text
    session.expire_all()
    assert service.get_person(session, f.system(city.tenant.id), person.id).active is True
    done = browser.post(
        f"/people/{person.id}/deactivate",
        data={"csrf_token": csrf_of(confirm.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Personen inaktiverades" in browser.get(done.headers["location"]).text
    session.expire_all()
    assert card.state is CredentialState.REVOKED


def test_english_and_department_admin_scope(
    client: TestClient, city: City, session: Session, services: Services
) -> None:
    own = fd.person(session, city.tenant, unit=city.unit, kind=PersonKind.GUEST, family_name="Gäst")
    other = f.unit(session, city.tenant)
    foreign = fd.person(session, city.tenant, unit=other, family_name="Annan")
    admin = f.user(
        session, city.tenant, services.passwords, role="department_admin", unit=city.department
    )
    client.headers["Accept-Language"] = "en"
    assert log_in(client, admin.username, admin.password).status_code == 303
    listing = client.get("/people")
    assert "1 person" in listing.text and "Gäst" in listing.text and "Annan" not in listing.text
    assert client.get(f"/people/{foreign.id}").status_code == 404
    assert "Guest" in client.get(f"/people/{own.id}").text


def test_emptying_a_name_on_the_edit_form_is_an_error(
    browser: TestClient, city: City, session: Session
) -> None:
    person = fd.person(session, city.tenant, unit=city.unit)
    page = browser.get(f"/people/{person.id}")
    data = {
        "given_name": "",
        "family_name": person.family_name,
        "kind": "employee",
        "csrf_token": csrf_of(page.text),
        "version": str(person.version),
    }
    refused = browser.post(f"/people/{person.id}", data=data)
    assert refused.status_code == 422 and 'id="f-given_name-error"' in refused.text
    session.expire_all()
    assert service.get_person(session, f.system(city.tenant.id), person.id).given_name == "Anna"
