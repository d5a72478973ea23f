"""The camera pages: the register, the activation page's panel (which never waits for a
camera), fetching by form, pictures whose every view is logged, the evidence list."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.centre.cameras.models import Camera, SnapshotView
from tests.centre.cameras.conftest import World, camera
from tests.web.conftest import csrf_of, log_in


def _as(client: TestClient, world: World, who: str = "operator") -> TestClient:
    person = getattr(world, who)
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, person.user.username, person.user.password).status_code == 303
    return client


def test_an_admin_registers_a_camera_in_the_form(
    client: TestClient, session: Session, world: World, sim: str
) -> None:
    browser = _as(client, world, "admin")
    form = browser.get("/centre/cameras/new")
    assert form.status_code == 200 and "Registrera kamera" in form.text
    data = {
        "csrf_token": csrf_of(form.text),
        "name": "Entré",
        "site_id": str(world.site.id),
        "latitude": "55,6001",
        "longitude": "13.0",
        "snapshot_url": "inte en adress",
        "auth": "digest",
        "username": "",
        "password": "hemligt",
    }
    refused = browser.post("/centre/cameras/new", data=data)
    assert refused.status_code == 422
    assert 'id="snapshot_url-error"' in refused.text or "snapshot_url" in refused.text
    assert "hemligt" not in refused.text
    data["snapshot_url"] = f"{sim}/cameras/entre/snapshot.png"
    data["auth"] = "none"
    saved = browser.post("/centre/cameras/new", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    listed = browser.get("/centre/cameras")
    assert "Entré" in listed.text and "1 kamera" in listed.text
    row = session.scalars(select(Camera).where(Camera.name == "Entré")).one()
    assert abs(row.latitude - 55.6001) < 1e-9


def test_the_panel_renders_without_asking_any_camera_then_the_form_fetches(
    client: TestClient, session: Session, world: World, sim: str, quick: Services
) -> None:
    camera(
        session, world.tenant, f"{sim}/cameras/entre/snapshot.png", name="Entré", site=world.site
    )
    camera(session, world.tenant, f"{sim}/cameras/hang/hang", name="Hänger", north_m=100)
    browser = _as(client, world)
    url = f"/centre/activations/{world.activation.id}"

    started = time.monotonic()
    page = browser.get(url)
    assert time.monotonic() - started < 5  # the page asks no camera (the hang is 2 min)
    assert page.status_code == 200
    assert 'id="cameras-title"' in page.text and "data-autofetch" in page.text
    assert "Ingen bild hämtad än" in page.text and "100 m bort" in page.text

    fetched = browser.post(
        f"{url}/snapshots/fetch",
        data={"csrf_token": csrf_of(page.text.split('id="cameras"', 1)[1]), "next": url},
        follow_redirects=False,
    )
    assert fetched.status_code == 303 and fetched.headers["location"] == url

    again = browser.get(url)
    assert "data-autofetch" not in again.text
    assert "Kameran svarade inte i tid" in again.text
    [src] = re.findall(rf'src="({url}/snapshots/[0-9a-f-]+)"', again.text)
    assert 'alt="Bild från Entré,' in again.text
    assert session.scalars(select(SnapshotView)).all() == []  # drawing the page is no view

    picture = browser.get(src)
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    evidence = browser.get(f"{url}/evidence")
    assert evidence.status_code == 200
    assert world.operator.actor.name in evidence.text
    assert "Kameran svarade inte i tid" in evidence.text


def test_the_script_gets_the_panel_alone(
    client: TestClient, session: Session, world: World, sim: str
) -> None:
    camera(
        session, world.tenant, f"{sim}/cameras/entre/snapshot.png", name="Entré", site=world.site
    )
    browser = _as(client, world)
    url = f"/centre/activations/{world.activation.id}"
    page = browser.get(url)
    panel = browser.post(
        f"{url}/snapshots/fetch",
        data={"csrf_token": csrf_of(page.text.split('id="cameras"', 1)[1]), "next": url},
        headers={"X-Stadsvakt-Fragment": "panel"},
    )
    assert panel.status_code == 200
    assert "<html" not in panel.text and 'id="cameras-title"' in panel.text
    assert "Bevis: 1 bild sparad" in panel.text


def test_another_municipalitys_panel_pictures_and_evidence_are_not_found(
    client: TestClient, session: Session, world: World, sim: str
) -> None:
    camera(
        session, world.other, f"{sim}/cameras/t/snapshot.png", name="Deras", site=world.other_site
    )
    browser = _as(client, world, "admin")
    theirs = f"/centre/activations/{world.other_activation.id}"
    assert browser.get(f"{theirs}/evidence").status_code == 404
    page = browser.get("/centre/cameras")
    assert "Deras" not in page.text
    token = csrf_of(page.text) if 'name="csrf_token"' in page.text else ""
    refused = browser.post(f"{theirs}/snapshots/fetch", data={"csrf_token": token})
    assert refused.status_code in (403, 404)
