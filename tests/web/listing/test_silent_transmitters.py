"""The transmitters list's ``silent=1``: those in path failure now (the dashboard's link)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.db import utcnow
from tests import factories_alarms as fa
from tests.web.conftest import City


def test_silent_keeps_only_transmitters_in_path_failure(
    browser: TestClient, session: Session, services: Services, city: City
) -> None:
    heard = fa.transmitter(session, services.box, city.tenant, city.city_site)
    silent = fa.transmitter(session, services.box, city.tenant, city.city_site)
    silent.path_failed_at = utcnow()
    session.flush()
    everyone = browser.get("/transmitters?size=100")
    assert heard.account in everyone.text and silent.account in everyone.text
    failing = browser.get("/transmitters?silent=1&size=100")
    assert failing.status_code == 200
    assert silent.account in failing.text and heard.account not in failing.text
    assert browser.get("/transmitters?silent=yes").status_code == 422
