"""The audit trail page: who may see it, the municipality's rows only, filters, paging
and refused parameters."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.audit import browse
from stadsvakt.audit import service as audit_service
from tests import factories as f
from tests.web.audit.conftest import Trail, signed_in, user_actor, write
from tests.web.conftest import City

ENTRY_LINK = re.compile(r'href="/audit/(\d+)"')


def _seqs(html: str) -> list[int]:
    return [int(s) for s in ENTRY_LINK.findall(html)]


def test_an_auditor_sees_the_trail_newest_first_and_the_menu_item(
    auditor: TestClient, trail: Trail
) -> None:
    page = auditor.get("/audit")
    assert page.status_code == 200
    assert '<html lang="sv">' in page.text
    assert 'href="/audit"' in page.text and "Granskningslogg" in page.text
    seqs = _seqs(page.text)
    assert seqs == sorted(seqs, reverse=True)
    assert trail.city[-1].seq == seqs[0] or trail.city[-1].seq in seqs
    assert "Åsa Öberg 1" in page.text and "Bob Berg" in page.text


def test_a_system_owner_sees_the_trail(browser: TestClient, trail: Trail) -> None:
    page = browser.get("/audit")
    assert page.status_code == 200
    assert "Östra skolan 2" in page.text


@pytest.mark.parametrize("path", ["/audit", "/audit/1", "/audit.csv", "/audit/verify"])
def test_a_department_admin_gets_the_uis_403_page_and_no_menu_item(
    client: TestClient, session: Session, city: City, services: Services, trail: Trail, path: str
) -> None:
    admin = signed_in(client, session, city, services, "department_admin", unit=city.department)
    overview = admin.get("/")
    assert 'href="/audit"' not in overview.text
    page = admin.get(path)
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "Inte tillåtet" in page.text or "behörighet" in page.text
    assert "Östra skolan" not in page.text


def test_a_department_admin_cannot_start_a_check(
    client: TestClient, session: Session, city: City, services: Services
) -> None:
    admin = signed_in(client, session, city, services, "department_admin", unit=city.department)
    token = re.search(r'name="csrf_token" value="([^"]+)"', admin.get("/").text)
    assert token
    response = admin.post(
        "/audit/verify", data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    assert response.status_code == 403


def test_another_municipalitys_rows_never_show(auditor: TestClient, trail: Trail) -> None:
    listing = auditor.get("/audit?size=100")
    assert "Grannbyskolan" not in listing.text and "Mallory" not in listing.text
    assert trail.other[0].seq not in _seqs(listing.text)
    assert auditor.get(f"/audit/{trail.other[0].seq}").status_code == 404
    searched = auditor.get("/audit?q=Grannbyskolan")
    assert searched.status_code == 200 and "Inga poster matchar" in searched.text
    export = auditor.get("/audit.csv")
    assert "Grannbyskolan" not in export.text


def test_the_actor_filter_and_its_picker(
    auditor: TestClient, trail: Trail, session: Session, city: City, services: Services
) -> None:
    page = auditor.get(f"/audit?actor={trail.bob.id}")
    assert page.status_code == 200
    assert _seqs(page.text) == [r.seq for r in reversed(trail.city[3:])]
    # The picker searches the municipality's users (and tokens), never another's.
    f.user(session, trail.other_tenant, services.passwords)
    found = auditor.get("/ui/pick/audit-actors?q=Anv").json()["items"]
    assert found and all("Användare" in item["text"] for item in found)
    names = {item["text"] for item in found}
    owner_of_other = auditor.get("/ui/pick/audit-actors?q=").json()["items"]
    assert len(owner_of_other) <= 20 and names


def test_object_type_action_and_text_filters(auditor: TestClient, trail: Trail) -> None:
    by_type = auditor.get("/audit?type=person")
    assert _seqs(by_type.text) == [r.seq for r in reversed(trail.city[3:])]
    by_action = auditor.get("/audit?action=site.update")
    assert _seqs(by_action.text) == [r.seq for r in reversed(trail.city[:3])]
    by_text = auditor.get("/audit?q=" + quote("Östra SKOLAN 1"))
    assert _seqs(by_text.text) == [trail.city[1].seq]
    by_id = auditor.get(f"/audit?q={trail.city[2].object_id}")
    assert _seqs(by_id.text) == [trail.city[2].seq]
    # The filters stay in the form and in the pager's and export's links.
    assert 'value="site.update" selected' in by_action.text
    assert 'href="/audit.csv?action=site.update"' in by_action.text


def test_time_range_in_swedish_time(
    auditor: TestClient, trail: Trail, session: Session, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 13:30 UTC is 14:30 in Stockholm (CET); rows cannot be changed, so this one is
    # written at that moment.
    monkeypatch.setattr(audit_service, "utcnow", lambda: datetime(2026, 1, 15, 13, 30, tzinfo=UTC))
    old = write(session, trail.alice, city.tenant.id, text="Gammal ändring")
    monkeypatch.undo()
    within = auditor.get(
        "/audit?" + "from=" + quote("2026-01-15 14:30") + "&to=" + quote("2026-01-15 14:30")
    )
    assert _seqs(within.text) == [old.seq]
    assert "2026-01-15 14:30:00 CET" in within.text
    before = auditor.get("/audit?to=" + quote("2026-01-15 14:29"))
    assert _seqs(before.text) == []
    whole_day = auditor.get("/audit?from=2026-01-15&to=2026-01-15")
    assert _seqs(whole_day.text) == [old.seq]


def test_sorting_oldest_first(auditor: TestClient, trail: Trail) -> None:
    page = auditor.get("/audit?action=site.update&sort=time")
    assert _seqs(page.text) == [r.seq for r in trail.city[:3]]
    assert 'aria-sort="ascending"' in page.text


def test_paging_25_50_100_with_page_numbers(
    auditor: TestClient, trail: Trail, session: Session, city: City
) -> None:
    rows = [
        write(
            session,
            trail.alice,
            city.tenant.id,
            text=f"Sida {i:02d}",
            action="door.update",
            object_type="door",
        )
        for i in range(60)
    ]
    first = auditor.get("/audit?type=door")
    assert _seqs(first.text) == [r.seq for r in reversed(rows)][:25]
    assert "Visar 1–25 av 60 poster" in first.text
    assert 'href="/audit?type=door&amp;p=3"' in first.text
    third = auditor.get("/audit?type=door&p=3")
    assert _seqs(third.text) == [r.seq for r in reversed(rows)][50:]
    assert len(_seqs(auditor.get("/audit?type=door&size=50").text)) == 50
    assert len(_seqs(auditor.get("/audit?type=door&size=100").text)) == 60


def test_the_count_is_capped_on_a_large_trail(
    auditor: TestClient, trail: Trail, session: Session, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browse, "COUNT_CAP", 30)
    for i in range(60):
        write(
            session,
            trail.alice,
            city.tenant.id,
            text=f"Rad {i}",
            action="zone.update",
            object_type="zone",
        )
    first = auditor.get("/audit?type=zone")
    assert "Visar 1–25 av fler än 30 poster" in first.text
    # A page beyond the first cap counts on from where it is.
    third = auditor.get("/audit?type=zone&p=3")
    assert third.status_code == 200 and len(_seqs(third.text)) == 10
    assert "Visar 51–60 av 60 poster" in third.text


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("p=0", "Sida", "Sidorna numreras från 1."),
        ("p=9", "Sida", "Sidan 9 finns inte"),
        ("p=x", "Sida", "Ange ett heltal."),
        ("size=30", "Rader per sida", "25, 50, 100"),
        ("sort=actor", "Sorteringsordning", "kan inte sorteras"),
        ("action=person.fly", "Händelse", "Ingen post har händelsen person.fly."),
        ("action=DROP%20TABLE", "Händelse", "Välj ett av alternativen."),
        ("type=spaceship", "Objekttyp", "Ingen post gäller objekt av typen spaceship."),
        ("from=2026-13-01", "Från", "ÅÅÅÅ-MM-DD"),
        ("to=i%20morgon", "Till", "ÅÅÅÅ-MM-DD"),
        (
            "from=2026-12-06%2014:30&to=2026-12-06%2014:00",
            "Till",
            "Sluttiden måste vara senare än starttiden.",
        ),
        ("actor=nobody", "Utförare", "Välj"),
        ("colour=red", "colour", "colour"),
    ],
)
def test_bad_parameters_are_named_with_their_rule_in_swedish(
    auditor: TestClient, trail: Trail, query: str, field: str, message: str
) -> None:
    page = auditor.get(f"/audit?q=skolan&{query}")
    assert page.status_code == 422, page.text
    assert page.headers["content-type"].startswith("text/html")
    summary = page.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert field in summary and message in summary, summary
    if query != "p=9":  # the export holds every matching row: no page to be past
        export = auditor.get(f"/audit.csv?q=skolan&{query}")
        assert export.status_code == 422 and message in export.text


def test_a_bad_parameter_in_english(auditor: TestClient, trail: Trail) -> None:
    auditor.headers["Accept-Language"] = "en"
    page = auditor.get("/audit?from=2026-12-06%2014:30&to=2026-12-06%2014:00")
    assert page.status_code == 422
    assert "To: The end must be later than the start." in page.text


def test_an_action_not_in_the_list_is_accepted_when_the_trail_holds_it(
    auditor: TestClient, trail: Trail, session: Session, city: City
) -> None:
    row = write(
        session, trail.alice, city.tenant.id, action="credential.suspend", object_type="credential"
    )
    page = auditor.get("/audit?action=credential.suspend")
    assert page.status_code == 200 and _seqs(page.text) == [row.seq]
    # Another municipality's actions are not "held" for this one.
    write(
        session,
        user_actor(trail.other_tenant.id, "X"),
        trail.other_tenant.id,
        action="door.unlock_forever",
    )
    assert auditor.get("/audit?action=door.unlock_forever").status_code == 422
