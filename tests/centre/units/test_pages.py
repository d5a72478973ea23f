"""The pages: the register, the map's policy, and the dispatch panel's refusal in Swedish."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.centre.units.models import UnitStatus
from tests import factories as f
from tests.centre.units.conftest import SITE, Town, unit
from tests.web.conftest import csrf_of, log_in


def _owner(client: TestClient, session: Session, services: Services, town: Town) -> None:
    owner = f.user(session, town.tenant, services.passwords)
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, owner.username, owner.password).status_code == 303


def test_an_admin_registers_a_unit_and_sees_it_listed(
    client: TestClient, session: Session, services: Services, here: Town
) -> None:
    _owner(client, session, services, here)
    form = client.get("/centre/units/new")
    assert form.status_code == 200
    assert "Anropssignal" in form.text
    token = csrf_of(form.text)
    empty = client.post("/centre/units/new", data={"csrf_token": token, "status": "off_duty"})
    assert empty.status_code == 422
    assert "Fältet måste fyllas i." in empty.text
    saved = client.post(
        "/centre/units/new",
        data={
            "csrf_token": token,
            "call_sign": "Väktare 3",
            "name": "Bil 3",
            "unit_type": "guard",
            "status": "available",
            "company": "Vaktbolaget AB",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    listed = client.get("/centre/units")
    assert "Väktare 3" in listed.text and "Tillgänglig" in listed.text and "Väktare" in listed.text


def test_the_map_page_allows_the_tile_host_only_there(
    client: TestClient, session: Session, services: Services, here: Town
) -> None:
    unit(session, here.tenant, "V1", at=SITE)
    _owner(client, session, services, here)
    page = client.get("/centre/map")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in policy
    assert "script-src 'self';" in policy
    assert "V1" in page.text and here.site.name in page.text
    elsewhere = client.get("/centre/units").headers["content-security-policy"]
    assert "openstreetmap" not in elsewhere


def test_dispatching_an_off_duty_unit_is_refused_in_swedish(
    client: TestClient, session: Session, services: Services, here: Town
) -> None:
    resting = unit(session, here.tenant, "V9", status=UnitStatus.OFF_DUTY, at=SITE)
    _owner(client, session, services, here)
    units_page = client.get("/centre/units")
    answer = client.post(
        "/centre/dispatches",
        data={
            "csrf_token": csrf_of(units_page.text),
            "activation_id": str(here.activation.id),
            "unit_id": str(resting.id),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    target = urlsplit(answer.headers["location"])
    assert target.path == f"/centre/activations/{here.activation.id}"
    refusal = parse_qs(target.query)["refusal"][0]
    assert refusal == "Enheten är ledig och kan inte larmas ut."
    unit(session, here.tenant, "V2", at=SITE)
    shown = client.get(answer.headers["location"])
    assert shown.status_code == 200, shown.text[-2000:]
    assert refusal in shown.text
    assert "Föreslagna enheter" in shown.text and "V2" in shown.text
