"""A transmitter in path failure shows it: the API's ``path_failed`` and the pages' badge."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.db import utcnow
from tests import factories_alarms as fa
from tests.web.conftest import City, browser, city, owner  # noqa: F401


def test_a_failed_transmitter_is_marked_on_the_list_and_detail_pages(
    browser: TestClient,  # noqa: F811
    session: Session,
    services: Services,
    city: City,  # noqa: F811
) -> None:
    failed = fa.transmitter(session, services.box, city.tenant, city.city_site, interval_s=60)
    fine = fa.transmitter(session, services.box, city.tenant, city.city_site, interval_s=60)
    failed.path_failed_at = utcnow()
    session.commit()
    listing = browser.get("/transmitters")
    assert listing.text.count("Överföringsfel") == 1
    detail = browser.get(f"/transmitters/{failed.id}")
    assert "Överföringsövervakning" in detail.text
    assert "Överföringsfel</strong> sedan" in detail.text
    assert "Överföringsfel" not in browser.get(f"/transmitters/{fine.id}").text
    browser.cookies.set("lang", "en")
    assert "Path failure</strong> since" in browser.get(f"/transmitters/{failed.id}").text
