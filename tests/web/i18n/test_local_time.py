"""Times on pages in Swedish time with the zone: a known UTC instant reads as its
Stockholm wall-clock time (CET in winter, CEST in summer), never as UTC."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.errors import InvalidInput
from stadsvakt.web.localtime import input_value, parse_local_datetime
from tests import factories_alarms as fa
from tests.web.conftest import City

WINTER = datetime(2026, 12, 5, 22, 5, 7, tzinfo=UTC)
SUMMER = datetime(2026, 7, 1, 10, 0, 0, tzinfo=UTC)
_UTC_SHOWN = re.compile(r"\+00:00|\bUTC\b|\b22:05:07\b|\b10:00:00\b")


def _main(page: str) -> str:
    """The page's visible main content (scripts and attributes left out)."""
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", " ", main))


def test_alarm_and_transmitter_pages_show_stockholm_time(
    browser: TestClient, session: Session, city: City, services: Services
) -> None:
    row = fa.transmitter(session, services.box, city.tenant, city.city_site)
    alarm = fa.alarm(session, row, "Nri1/FA01", received_at=WINTER)[0]
    row.last_seen_at, row.path_failed_at = SUMMER, WINTER
    session.flush()

    alarm_page = _main(browser.get(f"/alarms/{alarm.id}").text)
    assert "2026-12-05 23:05:07 CET" in alarm_page
    assert not _UTC_SHOWN.search(alarm_page), _UTC_SHOWN.search(alarm_page)

    detail = _main(browser.get(f"/transmitters/{row.id}").text)
    assert "2026-07-01 12:00:00 CEST" in detail
    assert "sedan 2026-12-05 23:05:07 CET" in detail
    assert not _UTC_SHOWN.search(detail), _UTC_SHOWN.search(detail)


@pytest.mark.parametrize(
    ("typed", "utc"),
    [
        ("2026-12-06 14:30", datetime(2026, 12, 6, 13, 30, tzinfo=UTC)),
        ("2026-12-06T14:30", datetime(2026, 12, 6, 13, 30, tzinfo=UTC)),
        ("2026-07-06 14:30", datetime(2026, 7, 6, 12, 30, tzinfo=UTC)),
    ],
)
def test_swedish_input_is_read_and_shown_in_stockholm_time(typed: str, utc: datetime) -> None:
    moment = parse_local_datetime(typed, "valid_from")
    assert moment.astimezone(UTC) == utc
    assert input_value(utc) == typed.replace("T", " ")


@pytest.mark.parametrize("typed", ["06/12/2026 14:30", "2026-13-06 14:30", "14:30", ""])
def test_other_input_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_local_datetime(typed, "valid_from")
    assert refused.value.extra["errors"][0]["field"] == "valid_from"
    assert refused.value.extra["errors"][0]["rule"] == "datetime"
