"""The alarm and transmitter pages: lists with filters, details, the registration form (sv/en)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Transmitter
from stadsvakt.api.deps import Services
from tests import factories_alarms as fa
from tests.web.conftest import City, browser, city, csrf_of, owner  # noqa: F401


def test_alarm_list_filters_and_links_to_the_raw_frame(
    browser: TestClient,  # noqa: F811
    session: Session,
    services: Services,
    city: City,  # noqa: F811
) -> None:
    row = fa.transmitter(session, services.box, city.tenant, city.city_site)
    [fire] = fa.alarm(session, row, "NFA02", sequence=1)
    fa.alarm(session, row, "NBA05", sequence=2)
    session.commit()
    page = browser.get("/alarms")
    assert page.status_code == 200
    assert "<h1>Larm</h1>" in page.text and "Brand" in page.text and "Inbrott" in page.text
    assert "2 larm" in page.text
    filtered = browser.get("/alarms", params={"category": "fire", "site": str(city.city_site.id)})
    assert "Brand" in filtered.text and "Inbrott</td>" not in filtered.text
    assert "1 larm" in filtered.text
    detail = browser.get(f"/alarms/{fire.id}")
    assert detail.status_code == 200
    assert fire.raw.hex().upper() in detail.text and "&lt;0A&gt;" in detail.text
    browser.cookies.set("lang", "en")
    assert "Fire" in browser.get(f"/alarms/{fire.id}").text


def test_register_a_transmitter_in_the_form(
    browser: TestClient,  # noqa: F811
    session: Session,
    city: City,  # noqa: F811
) -> None:
    form = browser.get("/transmitters/new")
    assert form.status_code == 200
    data = {
        "csrf_token": csrf_of(form.text),
        "site_id": str(city.city_site.id),
        "account": "beef01",
        "receiver": "",
        "line": "",
        "protocol": "dc09-sia",
        "bearer": "2G",
        "interval_s": "300",
        "key": "nyckel-som-ar-16",
        "key_format": "ascii",
        "encrypted_only": "true",
    }
    done = browser.post("/transmitters/new", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    page = browser.get(done.headers["location"])
    assert "BEEF01" in page.text and "AES-128" in page.text and "nyckel-som-ar-16" not in page.text
    row = session.scalars(select(Transmitter).where(Transmitter.account == "BEEF01")).one()
    assert row.bearer is not None and row.bearer.value == "2G"
    listed = browser.get("/transmitters", params={"bearer": "2G"})
    assert "BEEF01" in listed.text and "1 sändare" in listed.text


def test_form_errors_are_shown_by_their_fields_and_the_key_is_not_echoed(
    browser: TestClient,  # noqa: F811
    city: City,  # noqa: F811
) -> None:
    form = browser.get("/transmitters/new")
    data = {
        "csrf_token": csrf_of(form.text),
        "site_id": str(city.city_site.id),
        "account": "12",
        "protocol": "dc09-sia",
        "key": "hemlig",
        "key_format": "hex",
        "encrypted_only": "false",
    }
    bad = browser.post("/transmitters/new", data=data)
    assert bad.status_code == 422
    assert 'id="f-account-error"' in bad.text and "hemlig" not in bad.text
    data["account"] = "1234"
    bad_key = browser.post("/transmitters/new", data=data)
    assert bad_key.status_code == 422
    assert "En hexnyckel har 32, 48 eller 64 hexsiffror." in bad_key.text
    assert 'id="f-key-error"' in bad_key.text
