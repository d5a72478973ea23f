"""The pages: the incident form, the situation picture with the officer on duty, sites in
test, planned visits' schedules and the municipalities served."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.centre.incidents import IncidentIn, log_incident
from stadsvakt.centre.models import Activation, ActivationEntry, ServedMunicipality, TestWindow
from stadsvakt.centre.situation import OfficerNotice
from stadsvakt.centre.tasks import TaskSchedule
from stadsvakt.db import utcnow
from stadsvakt.web.localtime import to_local
from tests import factories as f
from tests.centre.incidents.conftest import Centre
from tests.web.conftest import csrf_of, log_in


def _browser(client: TestClient, session: Session, services: Services, centre: Centre,
             role: str = "system_owner") -> TestClient:  # fmt: skip
    who = f.user(session, centre.home, services.passwords, role=role)
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, who.username, who.password).status_code == 303
    return client


def test_incident_form_logs_and_goes_to_the_activation(
    client: TestClient, session: Session, services: Services, centre: Centre
) -> None:
    browser = _browser(client, session, services, centre, role="operator")
    form = browser.get("/centre/incidents/new")
    assert form.status_code == 200
    assert "Logga en händelse" in form.text and centre.served_site.name in form.text
    token = csrf_of(form.text)
    empty = browser.post("/centre/incidents/new", data={"csrf_token": token, "type": "other"})
    assert empty.status_code == 422 and "Fältet måste fyllas i." in empty.text
    nowhere = browser.post(
        "/centre/incidents/new",
        data={"csrf_token": token, "type": "other", "tenant_id": str(centre.home.id),
              "description": "Larm om bråk"},
    )  # fmt: skip
    assert nowhere.status_code == 422 and "Ange en fastighet eller en adress." in nowhere.text
    assert "Larm om bråk" in nowhere.text  # what was typed is kept
    sent = browser.post(
        "/centre/incidents/new",
        data={
            "csrf_token": token,
            "type": "disturbance",
            "tenant_id": str(centre.home.id),
            "site_id": str(centre.served_site.id),
            "description": "Ordningsstörning i trapphuset",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    activation = session.scalars(
        select(Activation).where(Activation.site_id == centre.served_site.id)
    ).one()
    # The site decided the municipality.
    assert activation.tenant_id == centre.served.id
    assert sent.headers["location"] == f"/centre/activations/{activation.id}"


def test_situation_groups_by_municipality_and_informs_the_officer(
    client: TestClient, session: Session, services: Services, centre: Centre
) -> None:
    data = IncidentIn.model_validate(
        {
            "tenant_id": str(centre.served.id),
            "type": "staff_threatened",
            "site_id": str(centre.served_site.id),
            "description": "Hot mot personal",
        }
    )
    activation = log_incident(session, centre.operator, data, now=utcnow())
    browser = _browser(client, session, services, centre, role="operator")
    page = browser.get("/centre/situation")
    assert page.status_code == 200
    assert centre.served.name in page.text and "Distrikt Norr" in page.text
    assert f"/centre/activations/{activation.id}" in page.text

    token = csrf_of(page.text)
    told = browser.post(
        "/centre/officer-notices",
        data={
            "csrf_token": token,
            "activation_id": str(activation.id),
            "officer_name": "Tove TiB",
            "officer_phone": "070-111 22 33",
            "officer_message": "Hot mot personal på Norr, väktare på väg",
        },
        follow_redirects=False,
    )
    assert told.status_code == 303
    notice = session.scalars(select(OfficerNotice)).one()
    assert notice.officer_name == "Tove TiB" and notice.told_by_name.startswith("Användare")
    entries = session.scalars(
        select(ActivationEntry.kind).where(ActivationEntry.activation_id == activation.id)
    ).all()
    assert "officer_informed" in entries
    page = browser.get("/centre/situation")
    assert "Tove TiB" in page.text and "Hot mot personal på Norr" in page.text
    local = to_local(notice.told_at).strftime("%H:%M")
    assert local in page.text

    missing = browser.post(
        "/centre/officer-notices",
        data={
            "csrf_token": token,
            "activation_id": str(activation.id),
            "officer_name": "Tove TiB",
            "officer_message": "",
        },
    )
    assert missing.status_code == 422 and "Fältet måste fyllas i." in missing.text

    acked = browser.post(
        f"/centre/officer-notices/{notice.id}/acknowledge",
        data={"csrf_token": token, "next": "/centre/situation"},
        follow_redirects=False,
    )
    assert acked.headers["location"] == "/centre/situation"
    session.refresh(notice)
    assert notice.acknowledged_at is not None


def test_tests_page_puts_a_site_in_test_and_ends_it(
    client: TestClient, session: Session, services: Services, centre: Centre
) -> None:
    browser = _browser(client, session, services, centre, role="operator")
    page = browser.get("/centre/tests")
    assert page.status_code == 200 and "Sätt i test" in page.text
    token = csrf_of(page.text)
    ends = to_local(utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    too_long = to_local(utcnow() + timedelta(hours=100)).strftime("%Y-%m-%dT%H:%M")
    refused = browser.post(
        "/centre/tests",
        data={"csrf_token": token, "site_id": str(centre.served_site.id), "ends_at": too_long,
              "reason": "Service"},
    )  # fmt: skip
    assert refused.status_code == 422 and "Testet är längre än tillåtet." in refused.text
    started = browser.post(
        "/centre/tests",
        data={"csrf_token": token, "site_id": str(centre.served_site.id), "ends_at": ends,
              "reason": "Servicebesök av larminstallatören"},
        follow_redirects=False,
    )  # fmt: skip
    assert started.status_code == 303
    window = session.scalars(select(TestWindow)).one()
    assert window.site_id == centre.served_site.id
    listed = browser.get("/centre/tests")
    assert "Servicebesök av larminstallatören" in listed.text and "I test" in listed.text
    ended = browser.post(
        f"/centre/tests/{window.id}/end", data={"csrf_token": token}, follow_redirects=False
    )
    assert ended.status_code == 303
    assert "Avslutat" in browser.get("/centre/tests").text


def test_schedules_and_served_pages(
    client: TestClient, session: Session, services: Services, centre: Centre
) -> None:
    browser = _browser(client, session, services, centre)
    form = browser.get("/centre/tasks/new")
    assert form.status_code == 200
    token = csrf_of(form.text)
    saved = browser.post(
        "/centre/tasks/new",
        data={"csrf_token": token, "reference": "NT-0042", "address": "Vägen 3",
              "times": "23:00, 05:00", "weekdays": ["1", "5"], "valid_from": "2026-12-01",
              "active": "true"},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    row = session.scalars(select(TaskSchedule)).one()
    assert (row.times, row.weekdays) == (["05:00", "23:00"], [1, 5])
    assert "NT-0042" in browser.get("/centre/tasks").text

    served = browser.get("/centre/served")
    assert centre.served.name in served.text
    unknown = browser.post("/centre/served", data={"csrf_token": token, "code": "0001"})
    assert unknown.status_code == 422 and "Ingen kommun har den koden." in unknown.text
    added = browser.post(
        "/centre/served", data={"csrf_token": token, "code": centre.other.code},
        follow_redirects=False,
    )  # fmt: skip
    assert added.status_code == 303
    assert session.scalars(
        select(ServedMunicipality).where(ServedMunicipality.served_tenant_id == centre.other.id)
    ).one()
