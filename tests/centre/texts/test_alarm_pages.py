"""The alarm pages speak the operator's language: Swedish event texts from the code
tables, times in Swedish time with the zone, raw frames that wrap."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from tests import factories_alarms as fa
from tests.web.conftest import City, browser, city, owner  # noqa: F401


def test_alarm_pages_show_swedish_event_texts_and_local_times(
    browser: TestClient,  # noqa: F811
    session: Session,
    services: Services,
    city: City,  # noqa: F811
) -> None:
    row = fa.transmitter(session, services.box, city.tenant, city.city_site)
    winter = datetime(2026, 12, 5, 22, 5, tzinfo=UTC)
    [burglary] = fa.alarm(session, row, "NBA05", sequence=1, received_at=winter)
    fa.alarm(session, row, "NAT", sequence=2, received_at=winter)
    session.commit()

    listed = browser.get("/alarms")
    assert "Inbrottslarm" in listed.text and "Strömavbrott (nätfel)" in listed.text
    assert "Burglary alarm" not in listed.text and "AC trouble" not in listed.text
    assert "2026-12-05 23:05:00 CET" in listed.text and "UTC" not in listed.text

    detail = browser.get(f"/alarms/{burglary.id}")
    assert "<h1>Inbrottslarm" in detail.text
    assert "2026-12-05 23:05:00 CET" in detail.text and "(UTC)" not in detail.text
    assert detail.text.count('<pre class="raw-frame">') == 3

    # A Swedish day is filtered in Swedish time: 23:05 CET on 5 December is that day.
    day = browser.get("/alarms", params={"from": "2026-12-05", "to": "2026-12-05"})
    assert "2 larm" in day.text
    assert "0 larm" in browser.get("/alarms", params={"from": "2026-12-06"}).text

    browser.cookies.set("lang", "en")
    english = browser.get(f"/alarms/{burglary.id}")
    assert "<h1>Burglary alarm" in english.text and "Intrusion" in english.text


def test_the_stylesheet_wraps_raw_frames() -> None:
    css = (files("stadsvakt") / "web" / "static" / "stadsvakt.css").read_text("utf-8")
    rule = css.split(".raw-frame", 1)[1].split("}", 1)[0]
    assert "pre-wrap" in rule and "overflow-wrap: anywhere" in rule
