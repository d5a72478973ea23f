"""The credentials list: paging, search by identifier, holder's name or employee number,
kind, state and orphan filters, sorting both ways, and bad parameters named."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.access.models import CredentialState
from stadsvakt.directory.models import Person
from tests import factories_access as fa
from tests import factories_decisions as fdec
from tests.web.credentials.conftest import CARD, School

_ROW_IDS = re.compile(r'<th scope="row"><code>([0-9A-F]+)</code>')


def _shown(html: str) -> list[str]:
    return _ROW_IDS.findall(html)


def _people(session: Session, school: School, count: int) -> list[Person]:
    made = []
    for n in range(count):
        person = fdec.person(session, school.tenant, unit=school.school)
        person.given_name, person.family_name = "Elev", f"Nummer {n:02d}"
        fdec.assignment(session, person, school.school, "Elevassistent")
        made.append(person)
    session.flush()
    return made


def test_pages_count_and_sort(admin: TestClient, session: Session, school: School) -> None:
    for n, person in enumerate(_people(session, school, 29)):
        fa.card(session, person, f"05{n:08X}")
    first = admin.get("/access/credentials")
    assert first.status_code == 200
    assert "Visar 1–25 av 30" in first.text and len(_shown(first.text)) == 25
    assert _shown(first.text)[0] == CARD  # 04… sorts first
    second = admin.get("/access/credentials?p=2")
    assert len(_shown(second.text)) == 5 and "Visar 26–30 av 30" in second.text
    assert not set(_shown(first.text)) & set(_shown(second.text))
    backwards = admin.get("/access/credentials?sort=-identifier&size=50")
    assert _shown(backwards.text) == sorted(_shown(backwards.text), reverse=True)
    assert len(_shown(backwards.text)) == 30
    by_holder = admin.get("/access/credentials?sort=holder&size=50")
    assert _shown(by_holder.text)[0] == CARD  # Andersson before Nummer 00…
    assert 'aria-sort="ascending"' in by_holder.text
    # A link keeps the state: the next page of a sorted, filtered search.
    kept = admin.get("/access/credentials?q=Nummer&sort=holder")
    assert "/access/credentials?q=Nummer&amp;sort=holder&amp;p=2" in kept.text
    assert f'href="/people/{school.teacher.id}#credentials"' in first.text


def test_search_by_identifier_name_and_number(
    admin: TestClient, session: Session, school: School
) -> None:
    other = _people(session, school, 1)[0]
    fa.card(session, other, "0599887766")
    assert _shown(admin.get("/access/credentials?q=04:a1:b2").text) == [CARD]
    assert _shown(admin.get("/access/credentials?q=anna andersson").text) == [CARD]
    assert _shown(admin.get("/access/credentials?q=Andersson").text) == [CARD]
    number = school.teacher.employee_number or ""
    assert _shown(admin.get(f"/access/credentials?q={number}").text) == [CARD]
    assert _shown(admin.get("/access/credentials?q=Nummer 00").text) == ["0599887766"]
    none = admin.get("/access/credentials?q=100%25")
    assert none.status_code == 200 and "Inga passerbärare matchar." in none.text


def test_kind_state_and_orphan_filters(admin: TestClient, session: Session, school: School) -> None:
    fa.pin(session, school.teacher)
    leaver = _people(session, school, 1)[0]
    leaver.family_name = "Slutat"
    for row in leaver.assignments:
        row.end = date(2020, 6, 30)
    orphan = fa.card(session, leaver, "06AABBCCDD")
    lost = fa.card(session, leaver, "06AABBCCEE")
    lost.state = CredentialState.LOST
    session.flush()
    cards = _shown(admin.get("/access/credentials?kind=card&size=50").text)
    assert set(cards) == {CARD, "06AABBCCDD", "06AABBCCEE"}
    pins = admin.get("/access/credentials?kind=pin")
    assert "Visar 1–1 av 1" in pins.text and _shown(pins.text) == []
    assert _shown(admin.get("/access/credentials?state=lost").text) == ["06AABBCCEE"]
    # Orphans: active credentials of people with no current assignment (or inactive).
    assert _shown(admin.get("/access/credentials?orphan=1").text) == [orphan.identifier]
    together = admin.get("/access/credentials?orphan=1&kind=card&q=slutat")
    assert _shown(together.text) == ["06AABBCCDD"] and 'name="orphan"' in together.text


def test_department_scope(admin: TestClient, session: Session, school: School) -> None:
    fa.card(session, school.nurse, "07CAFEBABE")
    shown = _shown(admin.get("/access/credentials?size=100").text)
    assert CARD in shown and "07CAFEBABE" not in shown


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("size=30", "size", "Visa 25, 50, 100 rader per sida."),
        ("sort=pin_hash", "sort", "Listan kan inte sorteras efter pin_hash."),
        ("kind=badge", "kind", "Välj ett av alternativen."),
        ("state=stolen", "state", "Välj ett av alternativen."),
        ("orphan=yes", "orphan", "Välj ett av alternativen."),
        ("p=0", "p", "Sidorna numreras från 1."),
        ("p=9", "p", "Sidan 9 finns inte; listan har 1 sidor."),
        ("person=E1", "person", "Listan har inget filter som heter person."),
    ],
)
def test_bad_parameters_are_named(
    admin: TestClient, school: School, query: str, field: str, message: str
) -> None:
    page = admin.get(f"/access/credentials?{query}")
    assert page.status_code == 422
    assert field in page.text and message in page.text
