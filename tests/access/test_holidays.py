"""Holidays: the dates decisions use are the dates the API lists, in every year, from one source."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from stadsvakt.access.decide import DecisionRequest, Reason, decide
from stadsvakt.access.holidays import calendar_days, resolve
from stadsvakt.access.index.follower import AccessIndex
from stadsvakt.access.models import HolidayMode, Zone
from stadsvakt.access.timerules import STOCKHOLM
from tests import factories as f
from tests import factories_decisions as fd
from tests.access.town import V1, Town, town_fixture  # noqa: F401

LOCAL = [{"date": "2088-06-04", "name": "Studiedag"}, {"date": "2031-02-14", "name": "Lov"}]


@settings(max_examples=400, deadline=None)  # a year's first lookup builds its holidays
@given(st.dates(min_value=date(1953, 1, 1), max_value=date(2100, 12, 31)), st.booleans())
def test_a_date_is_a_holiday_for_decisions_exactly_when_the_api_lists_it(
    day: date, include_public: bool
) -> None:
    listed = {h.date for h in resolve(include_public, LOCAL, day.year)}
    assert (day in calendar_days(include_public, LOCAL)) == (day in listed)


def test_christmas_in_2090_is_a_holiday_for_both(client: TestClient, session: Session) -> None:
    # Years after 2075 used to be missing from the decisions' calendar (a compiled range),
    # while the API listed them.
    tenant = f.municipality(session)
    unit = f.unit(session, tenant)
    door = fd.door(session, fd.zone(session, f.site(session, tenant, unit=unit)))
    calendar = fd.calendar(session, tenant)
    weekdays = [{"day": d, "start": "07:00", "end": "18:00"} for d in range(5)]
    office = fd.schedule(
        session, tenant, weekdays, holiday_mode=HolidayMode.CLOSED, holiday_calendar=calendar
    )
    profile = fd.profile(session, tenant, [session.get_one(Zone, door.zone_id)], office)
    fd.position_profile(session, unit, "vaktmästare", profile)
    person = fd.person(session, tenant, unit=unit)
    fd.assignment(session, person, unit, "vaktmästare")
    card = fd.credential(session, person)
    listed = client.get(
        f"{V1}/holiday-calendars/{calendar.id}/days",
        headers=f.owner_bearer(session, tenant),
        params={"year": 2090},
    ).json()
    assert {"date": "2090-12-25", "name": "Juldagen", "source": "public"} in listed["days"]
    state = AccessIndex().ensure(session)
    request = DecisionRequest(tenant.id, door.id, card.identifier)
    christmas = datetime.combine(date(2090, 12, 25), time(10), STOCKHOLM)  # a Monday
    assert decide(request, state, christmas).reason is Reason.HOLIDAY
    assert decide(request, state, christmas + timedelta(days=1)).reason is Reason.HOLIDAY
    ordinary = datetime.combine(date(2090, 12, 27), time(10), STOCKHOLM)
    assert decide(request, state, ordinary).reason is Reason.GRANTED_BY_POSITION


def test_calendar_years_outside_the_bounds_are_refused(
    client: TestClient, session: Session, town: Town
) -> None:
    calendar = fd.calendar(session, town.tenant)
    for year in (1899, 2101, 99999):
        refused = client.get(
            f"{V1}/holiday-calendars/{calendar.id}/days", headers=town.owner, params={"year": year}
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "year"
