"""The activation page and the handling API over HTTP: Swedish, Swedish time, refusals
in the operator's language, and another municipality's activation is 404 everywhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.centre.models import ActivationState
from tests import factories as f
from tests.centre.handling.conftest import Centre, activation
from tests.web.conftest import csrf_of, log_in

ACTIONS = ("claim", "release", "hold", "handover", "escalate", "note", "close")


def _browser(client: TestClient, who: f.TestUser) -> TestClient:
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, who.username, who.password).status_code == 303
    return client


def _version(html: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', html)
    assert match
    return match.group(1)


def test_the_page_is_in_swedish_with_swedish_times(
    client: TestClient, session: Session, centre: Centre
) -> None:
    winter = datetime(2026, 12, 5, 22, 5, tzinfo=UTC)
    row = activation(session, centre.tenant, centre.site, opened_at=winter, priority=1)
    browser = _browser(client, centre.anna.user)

    page = browser.get(f"/centre/activations/{row.id}")

    assert page.status_code == 200
    assert '<html lang="sv">' in page.text
    assert "2026-12-05 23:05:00 CET" in page.text
    for text in ("Händelseförlopp", "Ta larmet", "Eskalera", "Kortkommandon", "Väntar"):
        assert text in page.text
    assert centre.site.name in page.text
    assert "activation.js" in page.text
    assert "<script>" not in page.text


def test_summer_times_read_cest(client: TestClient, session: Session, centre: Centre) -> None:
    summer = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    row = activation(session, centre.tenant, centre.site, opened_at=summer)
    page = _browser(client, centre.anna.user).get(f"/centre/activations/{row.id}")
    assert "2026-07-01 12:00:00 CEST" in page.text


def test_claim_and_close_through_the_forms(
    client: TestClient, session: Session, centre: Centre
) -> None:
    row = activation(session, centre.tenant, centre.site)
    browser = _browser(client, centre.anna.user)
    url = f"/centre/activations/{row.id}"
    page = browser.get(url)

    claimed = browser.post(
        f"{url}/claim",
        data={"csrf_token": csrf_of(page.text), "version": _version(page.text)},
        follow_redirects=False,
    )
    assert claimed.status_code == 303
    page = browser.get(claimed.headers["location"])
    assert "Du har tagit larmet." in page.text

    refused = browser.post(
        f"{url}/close",
        data={"csrf_token": csrf_of(page.text), "version": _version(page.text), "cause": "false"},
    )
    assert refused.status_code == 422
    assert "Ett falsklarm eller ett återkallat larm behöver en anteckning om varför." in (
        refused.text
    )

    closed = browser.post(
        f"{url}/close",
        data={
            "csrf_token": csrf_of(page.text),
            "version": _version(page.text),
            "cause": "false",
            "note": "Städpersonal",
        },
        follow_redirects=False,
    )
    assert closed.status_code == 303
    session.refresh(row)
    assert row.state is ActivationState.CLOSED
    assert "Larmet är avslutat." in browser.get(closed.headers["location"]).text


def test_a_stale_form_is_refused_in_swedish_and_the_page_shows_the_current_state(
    client: TestClient, session: Session, centre: Centre
) -> None:
    row = activation(session, centre.tenant, centre.site)
    browser = _browser(client, centre.anna.user)
    url = f"/centre/activations/{row.id}"
    page = browser.get(url)
    browser.post(
        f"{url}/note",
        data={"csrf_token": csrf_of(page.text), "version": "1", "text": "Första"},
    )

    stale = browser.post(
        f"{url}/note", data={"csrf_token": csrf_of(page.text), "version": "1", "text": "Andra"}
    )

    assert stale.status_code == 409
    assert "Larmet har ändrats medan du tittade på det." in stale.text
    assert _version(stale.text) == "2"
    assert "Andra" in stale.text  # what was written is kept for the retry


def test_someone_elses_claim_is_named_in_swedish(
    client: TestClient, session: Session, centre: Centre
) -> None:
    row = activation(session, centre.tenant, centre.site)
    browser = _browser(client, centre.bertil.user)
    page = browser.get(f"/centre/activations/{row.id}")
    browser.cookies.clear()
    anna = _browser(client, centre.anna.user)
    anna_page = anna.get(f"/centre/activations/{row.id}")
    anna.post(
        f"/centre/activations/{row.id}/claim",
        data={"csrf_token": csrf_of(anna_page.text), "version": "1"},
    )
    anna.cookies.clear()
    browser = _browser(client, centre.bertil.user)
    page = browser.get(f"/centre/activations/{row.id}")

    refused = browser.post(
        f"/centre/activations/{row.id}/claim",
        data={"csrf_token": csrf_of(page.text), "version": "1"},
    )

    assert refused.status_code == 409
    assert f"{centre.anna.actor.name} hanterar larmet." in refused.text


def test_another_municipalitys_activation_is_404_on_the_page_and_every_form(
    client: TestClient, session: Session, centre: Centre
) -> None:
    elsewhere = f.municipality(session)
    row = activation(session, elsewhere, f.site(session, elsewhere))
    browser = _browser(client, centre.leader.user)
    own = browser.get(f"/centre/activations/{activation(session, centre.tenant, None).id}")
    token = csrf_of(own.text)

    assert browser.get(f"/centre/activations/{row.id}").status_code == 404
    for action in (*ACTIONS, "site_note"):
        answer = browser.post(
            f"/centre/activations/{row.id}/{action}",
            data={"csrf_token": token, "version": "1", "cause": "real", "text": "x"},
        )
        assert answer.status_code == 404, action


def test_the_api_claims_once_and_names_the_holder(
    client: TestClient, session: Session, centre: Centre
) -> None:
    row = activation(session, centre.tenant, centre.site)
    headers = f.login(client, centre.anna.user)
    url = f"/api/v1/centre/activations/{row.id}"

    first = client.post(f"{url}/claim", json={"version": 1}, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["state"] == "claimed"
    assert [e["kind"] for e in first.json()["timeline"]] == ["event", "claimed"]

    headers = f.login(client, centre.bertil.user)
    second = client.post(f"{url}/claim", json={"version": 1}, headers=headers)
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
    problem = second.json()
    assert problem["type"].endswith("/activation_held")
    assert problem["held_by"] == centre.anna.actor.name

    stale = client.post(f"{url}/note", json={"version": 1, "text": "Hej"}, headers=headers)
    assert stale.status_code == 409
    assert stale.json()["type"].endswith("/stale_version")
    assert (stale.json()["field"], stale.json()["rule"], stale.json()["version"]) == (
        "version",
        "current_version",
        2,
    )

    detail = client.get(url)
    assert detail.status_code == 200
    assert detail.json()["claimed_by_name"] == centre.anna.actor.name


def test_the_api_refuses_bad_input_naming_the_field(
    client: TestClient, session: Session, centre: Centre
) -> None:
    row = activation(session, centre.tenant, centre.site)
    headers = f.login(client, centre.anna.user)
    url = f"/api/v1/centre/activations/{row.id}"
    client.post(f"{url}/claim", json={"version": 1}, headers=headers)

    no_note = client.post(f"{url}/close", json={"version": 2, "cause": "false"}, headers=headers)
    assert no_note.status_code == 422
    assert no_note.json()["errors"][0]["field"] == "note"
    wrong_cause = client.post(
        f"{url}/close", json={"version": 2, "cause": "maybe"}, headers=headers
    )
    assert wrong_cause.status_code == 422
    assert wrong_cause.json()["errors"][0]["field"] == "cause"
    past = client.post(
        f"{url}/hold",
        json={"version": 2, "reason": "Väntar", "until": "2020-01-01T00:00:00Z"},
        headers=headers,
    )
    assert past.status_code == 422
    assert (past.json()["errors"][0]["field"], past.json()["errors"][0]["rule"]) == (
        "until",
        "future",
    )


def test_the_api_hides_another_municipalitys_activation(
    client: TestClient, session: Session, centre: Centre
) -> None:
    elsewhere = f.municipality(session)
    row = activation(session, elsewhere, f.site(session, elsewhere))
    headers = f.login(client, centre.leader.user)
    url = f"/api/v1/centre/activations/{row.id}"
    bodies = {
        "claim": {"version": 1},
        "release": {"version": 1},
        "hold": {"version": 1, "reason": "x", "until": "2099-01-01T00:00:00Z"},
        "handover": {"version": 1, "to": str(centre.anna.user.id)},
        "escalate": {"version": 1, "note": "x"},
        "note": {"version": 1, "text": "x"},
        "close": {"version": 1, "cause": "real"},
    }
    assert client.get(url).status_code == 404
    for action, body in bodies.items():
        answer = client.post(f"{url}/{action}", json=body, headers=headers)
        assert answer.status_code == 404, (action, answer.text)
        assert answer.json()["type"].endswith("/not_found")
