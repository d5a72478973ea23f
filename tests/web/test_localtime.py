"""Times in the web UI are Swedish time with the zone shown."""

from __future__ import annotations

from datetime import UTC, date, datetime

from stadsvakt.web.localtime import local_clock, local_date, local_time


def test_a_winter_time_is_shown_in_cet_and_a_summer_time_in_cest() -> None:
    assert local_time(datetime(2026, 12, 5, 22, 5, tzinfo=UTC)) == "2026-12-05 23:05:00 CET"
    assert local_time(datetime(2026, 7, 1, 22, 5, tzinfo=UTC)) == "2026-07-02 00:05:00 CEST"


def test_a_naive_time_from_the_database_is_taken_as_utc() -> None:
    assert local_time(datetime(2026, 12, 5, 22, 5), seconds=False) == "2026-12-05 23:05 CET"
    assert local_clock(datetime(2026, 12, 5, 22, 5, 9)) == "23:05:09"


def test_the_date_is_the_swedish_date_of_the_moment() -> None:
    assert local_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "2027-01-01"
    assert local_date(date(2026, 1, 2)) == "2026-01-02"
    assert local_time(None) == "" and local_date(None) == ""
