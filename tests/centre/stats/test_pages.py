"""The statistics page, its CSV exports and the escalations page (server-rendered)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.centre.escalation import escalate_unclaimed
from stadsvakt.centre.models import Cause
from stadsvakt.centre.units.models import UnitType
from stadsvakt.db import utcnow
from stadsvakt.org.models import Municipality, OrgUnit
from tests import factories as f
from tests.centre.stats.helpers import Centre, activation, centre, dispatch
from tests.web.conftest import log_in

MARCH = {"from": "2026-03-28", "to": "2026-04-01"}


@pytest.fixture
def town(session: Session) -> Centre:
    return centre(session)


def _seed(session: Session, town: Centre) -> None:
    day = datetime(2026, 3, 30, 10, tzinfo=UTC)
    for cause in (Cause.FALSE, Cause.FALSE, Cause.REAL):
        activation(
            session,
            town.a_site,
            day,
            category="fire",
            ack_s=20,
            close_s=600,
            cause=cause,
            claimed_by="Anna Operatör",
        )
    served = activation(session, town.b_site, day, ack_s=50, close_s=900, cause=Cause.REAL)
    dispatch(session, served, UnitType.GUARD, 12)
    activation(session, town.c_site, day, ack_s=5, close_s=60, cause=Cause.FALSE)


def _login(
    client: TestClient,
    session: Session,
    services: Services,
    tenant: Municipality,
    *,
    role: str = "shift_leader",
    unit: OrgUnit | None = None,
    lang: str = "sv",
) -> None:
    who = f.user(session, tenant, services.passwords, role=role, unit=unit)
    client.headers["Accept-Language"] = lang
    assert log_in(client, who.username, who.password).status_code == 303


def test_the_page_shows_every_statistic_in_swedish(
    client: TestClient, session: Session, services: Services, town: Centre
) -> None:
    _seed(session, town)
    _login(client, session, services, town.a)
    page = client.get("/centre/statistics", params=MARCH)
    assert page.status_code == 200
    html = page.text
    assert "Statistik" in html and 'aria-current="page">Statistik' in html
    assert "4 aktiveringar." in html  # A's and B's, not C's
    for kind in ("per_day", "per_month", "false_alarms", "handling", "response_times", "operators"):
        assert f'id="{kind}-chart"' in html and "data-chart=" in html
        assert f'id="{kind}-caption"' in html
    assert "Brandlarm" in html  # the category in Swedish
    assert "Väktare" in html  # the unit type in Swedish
    assert "Uppfyllt" in html and "Ej uppfyllt" in html
    assert "chart.umd.js" in html and "charts.js" in html
    assert "Öppna eskaleringar" in html
    assert town.c_site.name not in html


def test_csv_exports_have_swedish_headers_and_the_same_figures(
    client: TestClient, session: Session, services: Services, town: Centre
) -> None:
    _seed(session, town)
    _login(client, session, services, town.a)
    answer = client.get("/centre/statistics.csv", params={"kind": "false_alarms", **MARCH})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["Fastighet", "Stängda", "Falsklarm", "Andel falsklarm (%)"]
    assert rows[1:] == [[town.a_site.name, "3", "2", "66.7"], [town.b_site.name, "1", "0", "0.0"]]
    per_day = list(
        csv.reader(
            io.StringIO(
                client.get("/centre/statistics.csv", params={"kind": "per_day", **MARCH}).text
            )
        )
    )
    assert per_day[0][0] == "Dag" and per_day[0][-1] == "Totalt"
    assert ["2026-03-30", "3", "1", "4"] in per_day
    targets = list(
        csv.reader(
            io.StringIO(
                client.get("/centre/statistics.csv", params={"kind": "targets", **MARCH}).text
            )
        )
    )
    assert targets[1][0] == "30" and targets[1][-1] == "Ej uppfyllt"
    assert targets[2][-1] == "Uppfyllt"
    assert client.get("/centre/statistics.csv", params={"kind": "nonsense"}).status_code == 404


def test_english_headers_in_an_english_ui(
    client: TestClient, session: Session, services: Services, town: Centre
) -> None:
    _seed(session, town)
    _login(client, session, services, town.a, lang="en")
    client.cookies.set("lang", "en")
    text = client.get("/centre/statistics.csv", params={"kind": "operators", **MARCH}).text
    assert text.splitlines()[0] == "Operator,Claimed,Hours with claims,Per hour,Busiest hour"
    assert text.splitlines()[1] == "Anna Operatör,3,1,3.0,3"


def test_a_municipality_admin_sees_only_their_own_even_by_url(
    client: TestClient, session: Session, services: Services, town: Centre
) -> None:
    _seed(session, town)
    _login(client, session, services, town.b, role="department_admin", unit=town.b_unit)
    page = client.get("/centre/statistics", params=MARCH)
    assert page.status_code == 200
    assert "1 aktivering." in page.text
    assert town.a_site.name not in page.text
    assert 'name="municipality"' not in page.text  # nothing to choose between
    assert "Öppna eskaleringar" not in page.text  # no shift leader
    other = client.get("/centre/statistics", params={"municipality": str(town.a.id), **MARCH})
    assert other.status_code == 404
    csv_other = client.get(
        "/centre/statistics.csv", params={"kind": "per_day", "municipality": str(town.a.id)}
    )
    assert csv_other.status_code == 404
    assert client.get("/centre/escalations").status_code == 403


def test_centre_staff_filter_by_a_municipality_they_serve(
    client: TestClient, session: Session, services: Services, town: Centre
) -> None:
    _seed(session, town)
    _login(client, session, services, town.a, role="operator")
    page = client.get("/centre/statistics", params={"municipality": str(town.b.id), **MARCH})
    assert page.status_code == 200
    assert 'name="municipality"' in page.text and town.b.name in page.text
    assert "1 aktivering." in page.text
    assert town.a_site.name not in page.text


def test_a_bad_period_is_explained_on_the_page(
    client: TestClient, session: Session, services: Services, town: Centre
) -> None:
    _login(client, session, services, town.a)
    page = client.get("/centre/statistics", params={"from": "2026-04-02", "to": "2026-04-01"})
    assert page.status_code == 200
    assert "Sista dagen får inte vara före den första." in page.text
    assert 'href="#f-to"' in page.text


def test_the_escalations_page_lists_what_waits_for_the_shift_leader(
    client: TestClient, session: Session, services: Services, town: Centre
) -> None:
    now = utcnow()
    waiting = activation(session, town.b_site, now - timedelta(minutes=5), priority=2)
    activation(session, town.c_site, now - timedelta(minutes=5), priority=2)
    escalate_unclaimed(session, now)
    _login(client, session, services, town.a)
    page = client.get("/centre/escalations")
    assert page.status_code == 200
    assert f"/centre/activations/{waiting.id}" in page.text
    assert "Inte tagen i tid" in page.text and "gräns 60 s" in page.text
    assert page.text.count("/centre/activations/") == 1
