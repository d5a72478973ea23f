"""The chain check on a page: an intact trail, a tampered row named, a run still going."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.audit.verification import run_verification
from tests.audit.tampering import unguard
from tests.web.audit.conftest import Trail, user_actor
from tests.web.conftest import csrf_of


def _check(client: TestClient) -> str:
    """Press the button; the outcome page (the check ran after the answer)."""
    form = client.get("/audit/verify")
    started = client.post(
        "/audit/verify", data={"csrf_token": csrf_of(form.text)}, follow_redirects=False
    )
    assert started.status_code == 303
    location = started.headers["location"]
    assert re.fullmatch(r"/audit/verify\?run=[0-9a-f]{32}", location)
    return client.get(location).text


def test_an_intact_trail(auditor: TestClient, trail: Trail) -> None:
    assert "Loggen har ännu inte kontrollerats härifrån." in auditor.get("/audit/verify").text
    page = _check(auditor)
    assert "Resultat: Oförändrad" in page
    assert re.search(r"Loggen är oförändrad: \d+ rader kontrollerade.", page)
    # The check is in the trail: who checked, and the outcome.
    listing = auditor.get("/audit?action=audit.verify")
    assert "Kontrollerad" in listing.text


def test_a_tampered_row_is_named(auditor: TestClient, trail: Trail, session: Session) -> None:
    victim = trail.city[1]
    unguard(session)
    session.execute(
        text("UPDATE audit_log SET actor_name = 'Mallory' WHERE seq = :seq"), {"seq": victim.seq}
    )
    page = _check(auditor)
    assert "Resultat: Bruten" in page
    assert f"Loggen är bruten vid rad {victim.seq}." in page
    assert "En rad stämmer inte längre med sin nyckelade hash" in page
    assert f"row {victim.seq} was altered" in page
    history = auditor.get("/audit/verify")
    assert f"Bruten (rad {victim.seq})" in history.text or "Bruten" in history.text


def test_a_run_still_going_and_its_status(auditor: TestClient, trail: Trail) -> None:
    run = "0" * 32
    page = auditor.get(f"/audit/verify?run={run}")
    assert page.status_code == 200
    assert "Kontrollen pågår" in page.text and f'data-verify-run="{run}"' in page.text
    assert "audit_verify.js" in page.text
    assert auditor.get(f"/audit/verify/status?run={run}").json() == {"done": False}
    assert auditor.get("/audit/verify/status?run=nope").status_code in {400, 422}
    done = re.search(r"run=([0-9a-f]{32})", _check(auditor))
    assert done
    assert auditor.get(f"/audit/verify/status?run={done.group(1)}").json() == {"done": True}


def test_another_municipalitys_check_is_not_shown(
    auditor: TestClient, trail: Trail, services: Services
) -> None:
    theirs = user_actor(trail.other_tenant.id, "Grannbys revisor")
    report = run_verification(
        services.session_factory, services.settings.audit, actor=theirs, run="f" * 32
    )
    assert report.result == "intact"
    assert auditor.get(f"/audit/verify/status?run={'f' * 32}").json() == {"done": False}
    assert "Grannbys revisor" not in auditor.get("/audit/verify").text
