"""Refusals in the page's language: services' messages, bad parameters and unknown
addresses give the UI's own words (never an English detail, never JSON in a browser)."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.errors import N_, Conflict, InvalidInput, NotFound, Term
from stadsvakt.web.errors import explain, specific
from stadsvakt.web.forms import from_domain
from stadsvakt.web.i18n import load_catalogue
from tests import factories_directory as fd
from tests.web.conftest import City, csrf_of

HTML = {"Accept": "text/html,application/xhtml+xml"}


def _sv(message: str) -> str:
    return str(load_catalogue("sv").gettext(message))


def test_explain_uses_the_message_then_the_rule_then_the_kind() -> None:
    sv = _sv
    said = Conflict("a group named 'Vakter' exists", field="display_name").said(
        N_("There is already a group named %(name)s."), name="Vakter"
    )
    assert explain(said, sv) == "Det finns redan en grupp som heter Vakter."
    by_rule = InvalidInput(
        "valid_to: must be after valid_from", field="valid_to", rule="after_valid_from"
    )
    assert explain(by_rule, sv) == "Slutet måste komma efter starten."
    assert explain(NotFound("no person 42"), sv) == sv(
        "The page or item does not exist, or you do not have access to it."
    )
    assert specific(NotFound("no person 42"), sv) is None
    assert (
        explain(InvalidInput("x: odd", field="x", rule="odd_rule"), sv) == "Värdet är inte giltigt."
    )


def test_terms_are_translated_and_a_broken_translation_is_no_500() -> None:
    error = InvalidInput("state: a lost credential cannot become active", field="state", rule="x")
    error.said(
        N_("A credential that is %(state)s cannot become %(target)s."),
        state=Term("lost"),
        target=Term("active"),
    )
    assert explain(error, _sv) == "En passerbärare som är förlorad kan inte bli aktiv."

    def broken(message: str) -> str:
        return "Trasig %(saknas)s" if "%(" in message else message

    assert explain(error, broken) == "A credential that is lost cannot become active."


def test_form_message_is_on_the_named_field_in_swedish() -> None:
    error = Conflict("employee number 'T9' is already used", field="employee_number").said(
        N_("The employee number %(value)s is already used by another person."), value="T9"
    )
    errors = from_domain(error, ("given_name", "employee_number"), _sv)
    assert errors.fields == {
        "employee_number": "Anställningsnumret T9 används redan av en annan person."
    }
    assert not errors.general


def test_duplicate_employee_number_on_the_form_in_swedish(
    browser: TestClient, session: Session, city: City
) -> None:
    fd.person(session, city.tenant, unit=city.unit, employee_number="T900001")
    form = browser.get("/people/new")
    response = browser.post(
        "/people/new",
        data={
            "csrf_token": csrf_of(form.text),
            "given_name": "Test",
            "family_name": "Testsson",
            "employee_number": "T900001",
            "kind": "employee",
            "org_unit_id": str(city.unit.id),
        },
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "Anställningsnumret T900001 används redan av en annan person." in text
    assert "is already used" not in text


def test_bad_query_parameter_names_the_parameter_and_rule_in_swedish(
    client: TestClient, browser: TestClient
) -> None:
    # FastAPI's own validation of a web route's parameter (next: at most 500 characters).
    response = client.get("/login", params={"next": "/" + "x" * 600}, headers=HTML)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "Parametern next: Använd högst 500 tecken." in html.unescape(response.text)
    # A list's own check of its parameters (web.listing).
    listed = browser.get("/people", params={"p": "zero"}, headers=HTML)
    assert listed.status_code == 422
    assert "Parametern p: Ange ett heltal." in html.unescape(listed.text)


@pytest.mark.parametrize("path", ["/no-such-page", "/people/not-an-id", "/people/not-an-id/x"])
def test_unknown_address_in_a_browser_is_the_ui_page_in_swedish(
    browser: TestClient, path: str
) -> None:
    response = browser.get(path, headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="sv">' in response.text
    assert "Sidan finns inte" in response.text


def test_wrong_method_in_a_browser_is_the_ui_page(browser: TestClient) -> None:
    response = browser.delete("/people", headers=HTML)
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert "Begäran kunde inte hanteras" in response.text


def test_api_and_scim_keep_problem_json(browser: TestClient) -> None:
    for path in ("/api/v1/no-such-thing", "/scim/v2/NoSuch"):
        response = browser.get(path, headers=HTML)
        assert response.status_code in {401, 404}
        assert response.headers["content-type"].startswith("application/")
        assert "json" in response.headers["content-type"]
    plain = browser.get("/no-such-page", headers={"Accept": "application/json"})
    assert plain.headers["content-type"] == "application/problem+json"
