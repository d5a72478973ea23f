"""One audit entry with its before/after as a diff, and the CSV export of a filter."""

from __future__ import annotations

import csv
import io
import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.audit.models import AuditEntry
from tests.web.audit.conftest import Trail, write
from tests.web.conftest import City


def _table(html: str, caption: str) -> str:
    return html.split(caption, 1)[1].split("</table>", 1)[0]


def test_an_update_shows_changed_fields_and_folds_the_unchanged(
    auditor: TestClient, trail: Trail
) -> None:
    row = trail.city[3]  # Bob changed Åsa Öberg's family name
    page = auditor.get(f"/audit/{row.seq}")
    assert page.status_code == 200
    assert f"Post {row.seq}: Person: Ändrad" in page.text
    assert "Bob Berg" in page.text and f"{row.request_id}" in page.text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T", page.text)
    changed = _table(page.text, "Ändrade fält")
    assert "Efternamn" in changed and "Öberg" in changed and "Öberg-0" in changed
    assert "Förnamn" not in changed
    folded = page.text.split("<details", 1)[1].split("</details>", 1)[0]
    assert "Visa 2 oförändrade fält" in folded
    assert "Förnamn" in folded and "Aktiv" in folded and "Ja" in folded


def test_a_creation_lists_its_values_and_links_to_the_object(
    auditor: TestClient, session: Session, city: City
) -> None:
    created = session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "site.create", AuditEntry.object_id == str(city.city_site.id)
        )
    )
    assert created is not None
    page = auditor.get(f"/audit/{created.seq}")
    assert "Objektet skapades med de här värdena." in page.text
    assert f'href="/sites/{city.city_site.id}"' in page.text
    assert f'href="/audit?type=site&amp;q={city.city_site.id}"' in page.text


def test_secrets_are_never_shown(
    auditor: TestClient, trail: Trail, session: Session, city: City
) -> None:
    row = write(
        session,
        trail.alice,
        city.tenant.id,
        action="credential.update",
        object_type="credential",
        before={"pin_hash": "argon2$abc-secret-before", "state": "active"},
        after={"pin_hash": "argon2$xyz-secret-after", "state": "suspended"},
    )
    page = auditor.get(f"/audit/{row.seq}")
    assert "secret-before" not in page.text and "secret-after" not in page.text
    assert "Dolt: hemliga uppgifter visas aldrig" in page.text
    export = auditor.get(f"/audit.csv?q={row.object_id}")
    assert "secret-after" in export.text  # the export is the stored row, for evidence


def test_csv_export_is_excel_ready_and_audited(
    auditor: TestClient, trail: Trail, session: Session
) -> None:
    response = auditor.get("/audit.csv?action=person.update&sort=time")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Nr", "Tid", "Utförare", "Typ av utförare", "Händelse"]
    body = rows[1:]
    assert [int(r[0]) for r in body] == [r.seq for r in trail.city[3:]]
    first = body[0]
    assert first[2] == "Bob Berg" and first[4] == "Ändrad" and first[5] == "person.update"
    assert first[8] == "Åsa Öberg 0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+0[12]:00", first[1])
    assert json.loads(first[11])["family_name"] == "Öberg-0"
    exported = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "audit.export")
        .order_by(AuditEntry.seq.desc())
    ).first()
    assert exported is not None and exported.tenant_id == trail.bob.tenant_id
    assert json.loads(exported.after or "{}")["filter"] == {
        "action": "person.update",
        "sort": "time",
    }


def test_csv_cells_cannot_become_formulas(
    auditor: TestClient, trail: Trail, session: Session, city: City
) -> None:
    write(
        session,
        trail.alice,
        city.tenant.id,
        text='=HYPERLINK("http://evil")',
        action="door.update",
        object_type="door",
    )
    response = auditor.get("/audit.csv?type=door")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][8] == '\'=HYPERLINK("http://evil")'


def test_csv_export_streams_many_rows(
    auditor: TestClient, trail: Trail, session: Session, city: City
) -> None:
    for i in range(520):
        write(
            session,
            trail.alice,
            city.tenant.id,
            text=f"Dörr {i}",
            action="door.update",
            object_type="door",
        )
    response = auditor.get("/audit.csv?type=door")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 521
    assert rows[1][8] == "Dörr 519"
