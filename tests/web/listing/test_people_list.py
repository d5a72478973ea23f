"""The people list over HTTP: paging, sorting, filters and refused parameters."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories_directory as fd
from tests.web.conftest import City

ROW = re.compile(r'<th scope="row"><a href="/people/[^"]+">([^<]+)</a></th>')


@pytest.fixture
def thirty(session: Session, city: City) -> list[str]:
    """Thirty people named so that their order is known, numbers running the other way."""
    names = []
    for i in range(30):
        fd.person(
            session,
            city.tenant,
            unit=city.unit,
            family_name=f"Listsson{i:02d}",
            employee_number=f"L{99 - i:03d}",
        )
        names.append(f"Listsson{i:02d}, Anna")
    session.flush()
    return names


def _names(html: str) -> list[str]:
    return ROW.findall(html)


def test_pages_hold_25_rows_and_the_rest_follows(browser: TestClient, thirty: list[str]) -> None:
    first = browser.get("/people?q=Listsson")
    assert first.status_code == 200
    assert _names(first.text) == thirty[:25]
    assert "1–25" in first.text and "30" in first.text
    second = browser.get("/people?q=Listsson&p=2")
    assert _names(second.text) == thirty[25:]
    bigger = browser.get("/people?q=Listsson&size=50")
    assert _names(bigger.text) == thirty


def test_sorting_both_ways_and_the_link_keeps_the_search(
    browser: TestClient, thirty: list[str]
) -> None:
    by_number = browser.get("/people?q=Listsson&sort=employee_number")
    assert _names(by_number.text) == list(reversed(thirty))[:25]
    assert 'aria-sort="ascending"' in by_number.text
    # The header link turns the order around and keeps the search.
    assert 'href="/people?q=Listsson&amp;sort=-employee_number"' in by_number.text
    reverse = browser.get("/people?q=Listsson&sort=-employee_number")
    assert _names(reverse.text) == thirty[:25]
    by_name_down = browser.get("/people?q=Listsson&sort=-name")
    assert _names(by_name_down.text) == list(reversed(thirty))[:25]


def test_filters_narrow_the_list(browser: TestClient, thirty: list[str], city: City) -> None:
    inactive = browser.get("/people?q=Listsson&state=inactive")
    assert _names(inactive.text) == []
    in_unit = browser.get(f"/people?q=Listsson&unit={city.unit.id}&size=100")
    assert _names(in_unit.text) == thirty
    elsewhere = browser.get(f"/people?q=Listsson&unit={city.department.id}&size=100")
    assert _names(elsewhere.text) == thirty  # the unit lies below the department


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=sleeping", "state"),
        ("unit=not-a-unit", "unit"),
        ("sort=salary", "sort"),
        ("size=7", "size"),
        ("p=0", "p"),
        ("p=99", "p"),
        ("colour=red", "colour"),
    ],
)
def test_bad_parameters_give_a_page_that_names_the_problem(
    browser: TestClient, thirty: list[str], query: str, field: str
) -> None:
    response = browser.get(f"/people?q=Listsson&{query}")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert field in response.text
