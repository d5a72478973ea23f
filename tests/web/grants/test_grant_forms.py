"""The grant forms, one per kind: required fields named, guests and contractors without an
employee number, an extra right only for an existing employee, the window rule, and a
department admin's forged choices refused."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import Grant, GrantKind
from stadsvakt.directory.models import Person, PersonKind
from tests.access.town import Town
from tests.web.conftest import csrf_of
from tests.web.grants.conftest import Cast, Login


def _form(client: object, kind: str) -> dict[str, str]:
    page = client.get(f"/access/grants/new/{kind}")  # type: ignore[attr-defined]
    assert page.status_code == 200, page.text
    return {"csrf_token": csrf_of(page.text)}


def _base(cast: Cast) -> dict[str, str]:
    return {
        "profile_id": str(cast.profile.id),
        "valid_from": "2026-12-07 18:00",
        "valid_to": "2026-12-07 21:00",
        "host_person_id": str(cast.host.id),
        "reason": "Föreläsning i aulan",
    }


def test_menu_offers_one_form_per_kind(login: Login) -> None:
    browser = login()
    menu = browser.get("/access/grants/new")
    for kind in ("guest", "contractor", "booking", "extra"):
        assert f'href="/access/grants/new/{kind}"' in menu.text
    assert "Extra behörighet för medarbetare" in menu.text
    assert browser.get("/access/grants/new/urgent").status_code == 404
    guest_form = browser.get("/access/grants/new/guest").text
    assert 'data-picker="guests"' in guest_form and 'name="given_name"' in guest_form
    assert 'name="company"' not in guest_form
    extra_form = browser.get("/access/grants/new/extra").text
    assert 'data-picker="employees"' in extra_form and 'name="given_name"' not in extra_form
    assert 'name="company"' in browser.get("/access/grants/new/contractor").text
    assert 'name="booking_party"' in browser.get("/access/grants/new/booking").text


def test_required_fields_are_named_at_once(login: Login, cast: Cast) -> None:
    browser = login()
    refused = browser.post("/access/grants/new/contractor", data=_form(browser, "contractor"))
    assert refused.status_code == 422
    for field in (
        "person_id",
        "company",
        "profile_id",
        "valid_from",
        "valid_to",
        "host_person_id",
        "reason",
    ):
        assert f'href="#f-{field}"' in refused.text, field
    assert "Fältet måste fyllas i." in refused.text


def test_a_new_guest_without_employee_number(
    login: Login, cast: Cast, session: Session, town: Town
) -> None:
    browser = login("department_admin", town.schools)
    data = {
        **_form(browser, "guest"),
        **_base(cast),
        "given_name": "Greta",
        "family_name": "Besökare",
        "email": "greta@example.org",
        "contact_phone": "+46 70 123 45 67",
    }
    done = browser.post("/access/grants/new/guest", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    guest = session.execute(select(Person).where(Person.family_name == "Besökare")).scalar_one()
    assert (guest.kind, guest.employee_number, guest.org_unit_id) == (
        PersonKind.GUEST,
        None,
        town.school.id,
    )
    grant = session.execute(select(Grant).where(Grant.person_id == guest.id)).scalar_one()
    assert (grant.kind, grant.host_person_id, grant.reason) == (
        GrantKind.GUEST,
        cast.host.id,
        "Föreläsning i aulan",
    )
    assert grant.valid_from.hour == 17  # 18:00 in Stockholm (CET) is 17:00 UTC
    assert grant.contact_phone == "+46 70 123 45 67"
    shown = browser.get(done.headers["location"])
    assert "Behörigheten är given." in shown.text and "Besökare" in shown.text
    assert "2026-12-07 18:00 CET" in shown.text


def test_a_contractor_chosen_or_new_needs_the_company(
    login: Login, cast: Cast, session: Session
) -> None:
    browser = login()
    data = {**_form(browser, "contractor"), **_base(cast), "person_id": str(cast.contractor.id)}
    refused = browser.post("/access/grants/new/contractor", data=data)
    assert refused.status_code == 422 and 'href="#f-company"' in refused.text
    done = browser.post(
        "/access/grants/new/contractor",
        data={**data, "company": "Sundby Hiss AB"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    both = {**data, "company": "X AB", "given_name": "Ny", "family_name": "Person"}
    assert "inte båda" in browser.post("/access/grants/new/contractor", data=both).text
    made = session.execute(select(Grant).where(Grant.person_id == cast.contractor.id)).scalar_one()
    assert made.company == "Sundby Hiss AB"


def test_an_extra_right_only_for_an_existing_employee(
    login: Login, cast: Cast, session: Session
) -> None:
    browser = login()
    data = {**_form(browser, "extra"), **_base(cast), "person_id": str(cast.guest.id)}
    wrong = browser.post("/access/grants/new/extra", data=data)
    assert wrong.status_code == 422
    assert "Välj en person av det slag som behörigheten gäller." in wrong.text
    # Names typed in the extra right's form register nobody: a person must be chosen.
    named = {**data, "person_id": "", "given_name": "Ny", "family_name": "Anställd"}
    assert browser.post("/access/grants/new/extra", data=named).status_code == 422
    assert session.execute(select(Person).where(Person.family_name == "Anställd")).first() is None
    open_ended = {**data, "person_id": str(cast.host.id), "valid_to": ""}
    done = browser.post("/access/grants/new/extra", data=open_ended, follow_redirects=False)
    assert done.status_code == 303
    made = session.execute(select(Grant).where(Grant.kind == GrantKind.EXTRA)).scalar_one()
    assert made.person_id == cast.host.id and made.valid_to is None


def test_a_guest_grant_is_at_most_a_year_and_must_end(login: Login, cast: Cast) -> None:
    browser = login()
    data = {**_form(browser, "guest"), **_base(cast), "person_id": str(cast.guest.id)}
    long = browser.post("/access/grants/new/guest", data={**data, "valid_to": "2027-12-08 18:00"})
    assert long.status_code == 422
    assert "längre än den här sortens behörighet får gälla" in long.text
    endless = browser.post("/access/grants/new/guest", data={**data, "valid_to": ""})
    assert endless.status_code == 422 and 'href="#f-valid_to"' in endless.text
    garbled = browser.post("/access/grants/new/guest", data={**data, "valid_from": "7/12 18"})
    assert garbled.status_code == 422 and "ÅÅÅÅ-MM-DD TT:MM" in garbled.text
    year = browser.post(
        "/access/grants/new/guest",
        data={**data, "valid_to": "2027-12-07 18:00"},
        follow_redirects=False,
    )
    assert year.status_code == 303


def test_a_booking_registers_its_contact_as_a_guest(
    login: Login, cast: Cast, session: Session
) -> None:
    browser = login()
    data = {
        **_form(browser, "booking"),
        **_base(cast),
        "booking_party": "IK Sundby handboll",
        "booking_reference": "B-2026-114",
        "given_name": "Kalle",
        "family_name": "Kontakt",
    }
    done = browser.post("/access/grants/new/booking", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    contact = session.execute(select(Person).where(Person.family_name == "Kontakt")).scalar_one()
    assert contact.kind is PersonKind.GUEST
    made = session.execute(select(Grant).where(Grant.person_id == contact.id)).scalar_one()
    assert (made.booking_party, made.booking_reference) == ("IK Sundby handboll", "B-2026-114")


def test_forged_choices_of_another_department_are_refused(
    login: Login, cast: Cast, session: Session, town: Town
) -> None:
    browser = login("department_admin", town.schools)
    base = {**_form(browser, "guest"), **_base(cast), "person_id": str(cast.guest.id)}
    for field, value in (
        ("person_id", cast.care_guest.id),
        ("host_person_id", cast.care_host.id),
        ("profile_id", cast.care_profile.id),
    ):
        refused = browser.post("/access/grants/new/guest", data={**base, field: str(value)})
        assert refused.status_code == 422, field
        assert f'href="#f-{field}"' in refused.text, field
        assert "bara personer och profiler inom dina enheter" in refused.text
    # A new guest under another department's host is not created either.
    newcomer = {**base, "person_id": "", "given_name": "Smyg", "family_name": "Gäst"}
    newcomer["host_person_id"] = str(cast.care_host.id)
    assert browser.post("/access/grants/new/guest", data=newcomer).status_code == 422
    assert session.execute(select(Person).where(Person.given_name == "Smyg")).first() is None
    assert session.execute(select(Grant)).first() is None


def test_read_only_roles_see_no_forms_and_a_forged_post_is_refused(
    login: Login, cast: Cast, session: Session
) -> None:
    browser = login("auditor")
    listing = browser.get("/access/grants")
    assert listing.status_code == 200
    assert "/access/grants/new" not in listing.text
    assert browser.get("/access/grants/new/guest").status_code == 403
    token = csrf_of(listing.text)  # the page's language switcher carries the session's token
    forged = browser.post(
        "/access/grants/new/guest",
        data={"csrf_token": token, **_base(cast), "person_id": str(cast.guest.id)},
    )
    assert forged.status_code == 403
    # The UI's own 403 page in Swedish, not the service's English refusal.
    assert '<html lang="sv">' in forged.text and "this needs" not in forged.text
    assert session.execute(select(Grant)).first() is None
