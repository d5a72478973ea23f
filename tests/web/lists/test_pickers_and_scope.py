"""The searchable pickers' endpoint (at most ``limit`` options, matched by site name too,
LIKE wildcards taken literally, unknown kind 404, missing permission 403) and scoping: a
department administrator sees only their units' rows in the lists and in the pickers;
read-only roles get no write controls."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.access.models import Door, Zone
from stadsvakt.api.deps import Services
from stadsvakt.org.models import Site
from tests import factories as f
from tests import factories_alarms as fal
from tests import factories_decisions as fd
from tests.web.conftest import City, log_in


def _items(client: TestClient, kind: str, **params: str | int) -> list[dict[str, str]]:
    response = client.get(f"/ui/pick/{kind}", params=params)
    assert response.status_code == 200, response.text[:500]
    items: list[dict[str, str]] = response.json()["items"]
    return items


@pytest.fixture
def school(session: Session, city: City) -> tuple[Site, list[Door]]:
    """Sjöbo skola with 41 like-named entrances, as the demo's door picker showed them."""
    site = f.site(session, city.tenant, unit=city.unit)
    site.name = "Sjöbo skola"
    zone = fd.zone(session, site)
    zone.name = "Entré"
    doors = []
    for _ in range(41):
        door = fd.door(session, zone)
        door.name = "Huvudentré"
        doors.append(door)
    session.flush()
    return site, doors


def test_picker_answers_at_most_limit_and_matches_site_names(
    browser: TestClient, school: tuple[Site, list[Door]]
) -> None:
    site, doors = school
    assert len(_items(browser, "doors", q="Sjöbo", limit=5)) == 5
    found = _items(browser, "doors", q="sjöbo skola", limit=50)
    assert len(found) == len(doors)
    assert all(item["detail"] == "Sjöbo skola · Entré" for item in found)
    assert found[0]["text"].startswith("Huvudentré (")
    assert len(_items(browser, "doors")) == 20  # the default limit
    zones = _items(browser, "zones", q="Sjöbo")
    assert [z["detail"] for z in zones] == ["Sjöbo skola"]
    assert browser.get("/ui/pick/doors", params={"limit": 51}).status_code == 422
    assert browser.get("/ui/pick/doors", params={"q": "x" * 101}).status_code == 422


def test_picker_takes_wildcards_literally(
    browser: TestClient, session: Session, city: City
) -> None:
    for name in ("100% Skola", "Skola_1", "Skolan 2"):
        site = f.site(session, city.tenant, unit=city.unit)
        site.name = name
    session.flush()
    assert [s["text"].split(" (")[0] for s in _items(browser, "sites", q="%")] == ["100% Skola"]
    assert [s["text"].split(" (")[0] for s in _items(browser, "sites", q="_")] == ["Skola_1"]
    assert len(_items(browser, "sites", q="Skola")) == 3


def test_picker_refuses_unknown_kinds_and_roles_without_the_permission(
    browser: TestClient, client: TestClient, session: Session, city: City, services: Services
) -> None:
    assert browser.get("/ui/pick/secrets").status_code == 404
    assert browser.get("/ui/pick/schedules").status_code == 200
    browser.cookies.clear()
    reader = f.user(session, city.tenant, services.passwords, role="read_only")
    assert log_in(client, reader.username, reader.password).status_code == 303
    assert client.get("/ui/pick/doors").status_code == 200
    assert client.get("/ui/pick/people").status_code == 403
    assert client.get("/ui/pick/transmitters").status_code == 403


@dataclass
class Split:
    """Two departments, each with a site, a zone, a door, a profile and a transmitter."""

    ours: Site
    theirs: Site
    their_door: Door
    their_zone: Zone


@pytest.fixture
def split(session: Session, city: City, services: Services) -> Split:
    other = f.unit(session, city.tenant, name="Kulturförvaltningen")
    theirs = f.site(session, city.tenant, unit=other)
    theirs.name = "Stadsbiblioteket"
    their_zone = fd.zone(session, theirs)
    their_zone.name = "Magasin"
    their_door = fd.door(session, their_zone)
    their_door.name = "Magasinsdörr"
    ours_zone = fd.zone(session, city.city_site)
    fd.door(session, ours_zone).name = "Vår dörr"
    schedule = fd.schedule(session, city.tenant)
    mine = fd.profile(session, city.tenant, [ours_zone], schedule)
    mine.name, mine.org_unit_id = "Vår profil", city.unit.id
    theirs_profile = fd.profile(session, city.tenant, [their_zone], schedule)
    theirs_profile.name, theirs_profile.org_unit_id = "Bibliotekets profil", other.id
    fal.transmitter(session, services.box, city.tenant, theirs, account="B1B1")
    session.flush()
    return Split(city.city_site, theirs, their_door, their_zone)


@pytest.fixture
def department_admin(
    client: TestClient, session: Session, city: City, services: Services
) -> TestClient:
    admin = f.user(
        session, city.tenant, services.passwords, role="department_admin", unit=city.department
    )
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, admin.username, admin.password).status_code == 303
    return client


def test_department_admin_sees_only_their_rows_in_lists_and_pickers(
    department_admin: TestClient, split: Split
) -> None:
    client = department_admin
    sites = client.get("/sites").text
    assert split.ours.name in sites and "Stadsbiblioteket" not in sites
    doors = client.get("/access/places", params={"size": "100"}).text
    assert "Vår dörr" in doors and "Magasinsdörr" not in doors
    assert client.get("/access/places", params={"site": str(split.theirs.id)}).status_code == 404
    assert "Magasinsdörr" not in client.get("/access/places", params={"q": "Magasin"}).text
    profiles = client.get("/access/profiles").text
    assert "Vår profil" in profiles and "Bibliotekets profil" not in profiles
    units = client.get("/org-units", params={"q": "förvaltningen"}).text
    assert "Stadsfastighetsförvaltningen" in units and "Kulturförvaltningen" not in units

    assert _items(client, "doors", q="Stadsbiblioteket") == []
    assert _items(client, "doors", q="Magasin") == []
    assert [d["text"].split(" (")[0] for d in _items(client, "doors", q="Vår")] == ["Vår dörr"]
    assert _items(client, "zones", q="Magasin") == []
    assert _items(client, "sites", q="Stadsbiblioteket") == []
    assert _items(client, "units", q="Kultur") == []
    assert [p["text"].split(" (")[0] for p in _items(client, "profiles", q="profil")] == [
        "Vår profil"
    ]
    # A department admin handles no alarms: the transmitter picker is not theirs.
    assert client.get("/ui/pick/transmitters").status_code == 403


def test_alarm_lists_are_scoped_for_an_operator_too(browser: TestClient, split: Split) -> None:
    listed = browser.get("/transmitters").text
    assert "B1B1" in listed
    assert [t["text"] for t in _items(browser, "transmitters", q="Stadsbibl")] == ["B1B1"]


def test_read_only_roles_get_no_write_controls(
    client: TestClient, session: Session, city: City, services: Services, split: Split
) -> None:
    reader = f.user(session, city.tenant, services.passwords, role="auditor")
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, reader.username, reader.password).status_code == 303
    for path, control in (
        ("/sites", 'href="/sites/new"'),
        ("/org-units", 'method="post"'),
        ("/access/profiles", 'method="post"'),
        ("/access/schedules", 'method="post"'),
        (f"/access/places?site={split.ours.id}", 'method="post"'),
        ("/transmitters", 'href="/transmitters/new"'),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        # The header's language form posts too: only the page's own content counts.
        assert control not in response.text.split('id="main"', 1)[1], path
    for path in (f"/org-units/{city.unit.id}", f"/sites/{split.ours.id}"):
        assert 'method="post"' not in client.get(path).text.split('id="main"', 1)[1], path
