"""A person's page: their credentials, profiles, grants and training, with the actions a
department administrator may take, and nothing to act on for a read-only role."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories as f
from tests import factories_access as fa
from tests import factories_decisions as fdec
from tests.web.conftest import csrf_of
from tests.web.credentials.conftest import CARD, School, sign_in


def test_person_page_shows_credentials_profiles_grants_and_training(
    admin: TestClient, session: Session, school: School
) -> None:
    zone = fdec.zone(session, f.site(session, school.tenant, unit=school.school))
    schedule = fdec.schedule(session, school.tenant)
    by_title = fdec.profile(session, school.tenant, [zone], schedule)
    by_grant = fdec.profile(session, school.tenant, [zone], schedule)
    fdec.position_profile(session, school.school, "Lärare", by_title)
    start = datetime(2026, 12, 6, 13, 30, tzinfo=UTC)  # 14:30 in Stockholm (CET)
    fdec.grant(session, by_grant, person_row=school.teacher, valid_from=start)
    fdec.training(session, school.teacher, "Brandskydd", expires=None)
    page = admin.get(f"/people/{school.teacher.id}")
    assert page.status_code == 200, page.text
    text = page.text
    assert f"<code>{CARD}</code>" in text and "MIFARE DESFire EV2" in text
    assert '<span class="badge">Aktiv</span>' in text  # the card's state, in Swedish
    assert by_title.name in text and "Genom befattning" in text
    assert by_grant.name in text and "Genom en behörighet" in text
    assert "2026-12-06 14:30 CET" in text  # the grant's start, in Swedish time with its zone
    assert "Brandskydd" in text and "Lärare" in text
    assert f"/reports/people?person_id={school.teacher.id}" in text
    for action in ("edit", "suspend", "lost", "revoke"):
        assert f"/access/credentials/{school.card.id}/{action}" in text
    assert f"/access/credentials/{school.card.id}/reactivate" not in text  # already active
    assert f"/people/{school.teacher.id}/credentials/new?kind=card" in text
    report = admin.get(f"/reports/people?person_id={school.teacher.id}")
    assert report.status_code == 200 and school.teacher.display_name in report.text


def test_a_pin_shows_its_lookup_id_never_digits(
    admin: TestClient, session: Session, school: School
) -> None:
    pin = fa.pin(session, school.teacher, "4711")
    page = admin.get(f"/people/{school.teacher.id}")
    assert pin.identifier in page.text and "4711" not in page.text


def _ui_page(headers: Mapping[str, str], text: str) -> bool:
    """Whether an answer is the UI's own page in Swedish (not problem+json)."""
    return headers["content-type"].startswith("text/html") and '<html lang="sv">' in text


def test_read_only_role_sees_no_actions_and_forged_posts_are_refused(
    client: TestClient, session: Session, school: School
) -> None:
    auditor = sign_in(client, session, school, "auditor")
    page = auditor.get(f"/people/{school.teacher.id}")
    assert page.status_code == 200 and CARD in page.text
    for hidden in (
        "/suspend",
        "/lost",
        "/revoke",
        "/edit",
        "credentials/new",
        "Ändra person",
        "Lämna ut kort",
    ):
        assert hidden not in page.text
    token = csrf_of(page.text)
    for action in ("suspend", "lost", "revoke", "reactivate"):
        forged = auditor.post(
            f"/access/credentials/{school.card.id}/{action}", data={"csrf_token": token}
        )
        assert forged.status_code == 403 and _ui_page(forged.headers, forged.text)
    confirm = auditor.get(f"/access/credentials/{school.card.id}/lost")
    assert confirm.status_code == 403
    issue = auditor.post(
        f"/people/{school.teacher.id}/credentials/new?kind=card",
        data={"csrf_token": token, "identifier": "04FFEEDDCC"},
    )
    assert issue.status_code == 403 and _ui_page(issue.headers, issue.text)
    session.expire_all()
    assert school.card.state.value == "active"


def test_another_departments_person_and_credential_are_not_found(
    admin: TestClient, session: Session, school: School
) -> None:
    theirs = fa.card(session, school.nurse)
    assert admin.get(f"/people/{school.nurse.id}").status_code == 404
    assert admin.get(f"/people/{school.nurse.id}/credentials/new").status_code == 404
    assert admin.get(f"/access/credentials/{theirs.id}/lost").status_code == 404
    token = csrf_of(admin.get(f"/people/{school.teacher.id}").text)
    refused = admin.post(f"/access/credentials/{theirs.id}/lost", data={"csrf_token": token})
    assert refused.status_code == 404
    session.expire_all()
    assert theirs.state.value == "active"
