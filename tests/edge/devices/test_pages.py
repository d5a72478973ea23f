"""The edge device pages: the list with each device's status in words and Swedish time, a
device's page with its doors, revocation through a confirmation page, and enrolment codes
(the plain code shown once)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.audit.models import AuditEntry
from stadsvakt.context import acting_as
from stadsvakt.db import utcnow
from stadsvakt.edge.devices import keys, service
from stadsvakt.edge.devices.models import DeviceState, EdgeDevice, EnrolmentCode
from tests import factories as f
from tests import factories_access as fa
from tests.edge.devices.conftest import device_key, make_code
from tests.web.conftest import City, csrf_of, log_in


def _enrolled(
    session: Session, city: City, name: str, doors: list[object] | None = None
) -> EdgeDevice:
    _, plain = make_code(session, f.system(city.tenant.id), city.city_site, doors, name=name)  # type: ignore[arg-type]
    device_id = service.enrol(session, plain, device_key()[1], "3.1.4").device_id
    found = session.get(EdgeDevice, device_id)
    assert found is not None
    return found


def _row(html: str, name: str) -> str:
    match = re.search(rf"<tr>\s*<th scope=\"row\"><a[^>]*>{name}</a>.*?</tr>", html, re.S)
    assert match, f"no row for {name}"
    return match.group(0)


def test_the_list_says_online_offline_or_never_seen_in_swedish(
    browser: TestClient, session: Session, city: City
) -> None:
    now = utcnow()
    online, offline = _enrolled(session, city, "Agent A"), _enrolled(session, city, "Agent B")
    _enrolled(session, city, "Agent C")
    for device, seen in (
        (online, now - timedelta(seconds=30)),
        (offline, now - timedelta(minutes=3)),
    ):
        service.record_status(
            session,
            device.id,
            software_version="3.2.0",
            health="degraded",
            snapshot_version=17,
            pending_events=4,
            clock_drift_ms=-120,
            seen_at=seen,
        )
    session.flush()

    html = browser.get("/edge/devices").text

    assert "Ansluten" in _row(html, "Agent A") and "Inte ansluten" in _row(html, "Agent B")
    assert "Aldrig ansluten" in _row(html, "Agent C")
    row = _row(html, "Agent A")
    assert "3.2.0" in row and "Nedsatt" in row and "-120 ms" in row and "<td>17</td>" in row
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? (CET|CEST)", row), row
    assert "3 enheter" in html


def test_a_device_page_shows_its_doors_and_revokes_after_confirming(
    browser: TestClient, session: Session, city: City
) -> None:
    door = fa.door(session, fa.zone(session, city.city_site))
    device = _enrolled(session, city, "Agent entré", [door])
    page = browser.get(f"/edge/devices/{device.id}")
    assert door.name in page.text and "Återkalla" in page.text

    confirm = browser.get(f"/edge/devices/{device.id}/revoke")
    assert confirm.status_code == 200 and "Ja, återkalla enheten" in confirm.text
    assert session.get(EdgeDevice, device.id).state is DeviceState.ACTIVE  # type: ignore[union-attr]
    done = browser.post(
        f"/edge/devices/{device.id}/revoke",
        data={"csrf_token": csrf_of(confirm.text), "version": str(device.version)},
        follow_redirects=False,
    )

    assert done.status_code == 303
    after = browser.get(done.headers["location"]).text
    assert "Enheten återkallades." in after and door.name not in after
    assert service.public_key_of(session, device.id) is None
    again = browser.get(f"/edge/devices/{device.id}/revoke")
    assert again.status_code == 409 and "Enheten är redan återkallad." in again.text


def test_a_stale_confirmation_does_not_revoke(
    browser: TestClient, session: Session, city: City
) -> None:
    device = _enrolled(session, city, "Agent gammal")
    confirm = browser.get(f"/edge/devices/{device.id}/revoke")
    response = browser.post(
        f"/edge/devices/{device.id}/revoke",
        data={"csrf_token": csrf_of(confirm.text), "version": str(device.version + 1)},
    )
    assert response.status_code == 409
    assert service.public_key_of(session, device.id) is not None


def test_an_enrolment_code_is_made_and_shown_once(
    browser: TestClient, session: Session, city: City
) -> None:
    door = fa.door(session, fa.zone(session, city.city_site))
    form = browser.get("/edge/enrolment-codes")
    assert "Inga oanvända koder." in form.text

    made = browser.post(
        "/edge/enrolment-codes",
        data={
            "csrf_token": csrf_of(form.text),
            "name": "Låsnav källaren",
            "kind": "lock_hub",
            "site_id": str(city.city_site.id),
            "door_ids": str(door.id),
        },
    )

    assert made.status_code == 200, made.text
    code = re.search(r'<code id="enrolment-code">([A-Z0-9-]+)</code>', made.text)
    assert code, made.text
    row = session.scalars(select(EnrolmentCode)).one()
    assert row.code_hash == keys.code_hash(code.group(1)) and row.door_ids == [str(door.id)]
    later = browser.get("/edge/enrolment-codes").text
    assert "Låsnav källaren" in later and code.group(1) not in later
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d (CET|CEST)", later)


def test_a_code_without_a_site_is_refused_on_the_form(
    browser: TestClient, session: Session, city: City
) -> None:
    form = browser.get("/edge/enrolment-codes")
    refused = browser.post(
        "/edge/enrolment-codes",
        data={"csrf_token": csrf_of(form.text), "name": "", "kind": "edge_agent", "site_id": ""},
    )
    assert refused.status_code == 422
    assert "error-summary" in refused.text and 'href="#f-site_id"' in refused.text
    assert session.scalars(select(EnrolmentCode)).all() == []


def test_a_department_admin_sees_only_their_units_devices(
    client: TestClient, session: Session, city: City, services: Services
) -> None:
    mine = _enrolled(session, city, "Agent öst")
    other_unit = f.unit(session, city.tenant, name="Väst")
    other_site = f.site(session, city.tenant, unit=other_unit)
    _, plain = make_code(session, f.system(city.tenant.id), other_site, name="Agent väst")
    theirs = service.enrol(session, plain, device_key()[1], "1").device_id
    admin = f.user(
        session, city.tenant, services.passwords, role="department_admin", unit=city.unit
    )
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, admin.username, admin.password).status_code == 303

    html = client.get("/edge/devices").text

    assert mine.name in html and "Agent väst" not in html
    assert client.get(f"/edge/devices/{theirs}").status_code == 404


def test_the_audit_trail_names_enrolment_and_revocation_in_swedish(
    browser: TestClient, session: Session, city: City
) -> None:
    device = _enrolled(session, city, "Agent revisionen")
    actor = f.system(city.tenant.id)
    with acting_as(actor):
        service.revoke(session, actor, device.id)
    session.flush()

    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", browser.get("/audit").text))

    assert "Registrerad Lokal enhet: Agent revisionen" in text
    assert "Återkallad Lokal enhet: Agent revisionen" in text
    assert "Skapad Registreringskod: Agent revisionen" in text
    revoked = session.scalars(
        select(AuditEntry.seq).where(AuditEntry.action == "edge_device.revoke")
    ).one()
    assert f'href="/edge/devices/{device.id}"' in browser.get(f"/audit/{revoked}").text
