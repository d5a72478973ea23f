"""The demo city's access model: thousands of people with cards, doors, schedules, reports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Container
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.access.decide import DecisionRequest, Reason, decide
from stadsvakt.access.index.follower import AccessIndex
from stadsvakt.access.index.loader import calendar_days
from stadsvakt.access.models import (
    Credential,
    CredentialKind,
    CredentialState,
    Door,
    HolidayCalendar,
)
from stadsvakt.access.reports.orphans import orphan_credentials
from stadsvakt.access.services.catalogue import shortfall
from stadsvakt.access.timerules import STOCKHOLM
from stadsvakt.api.deps import Services
from stadsvakt.context import system_actor
from stadsvakt.demo.data import load_city, scale_city
from stadsvakt.demo.seed import SeedResult, seed_demo
from stadsvakt.demo.staff import EMAIL_DOMAIN, PEOPLE_PER_SCALE, Fate, plan_staff
from stadsvakt.directory.models import Assignment, Person

#: The day the tests seed on (a Wednesday); decisions are asked in the weeks after.
NOW = datetime(2026, 9, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def city(session: Session, services: Services) -> SeedResult:
    return seed_demo(session, services.passwords, load_city(), people=300, now=NOW)


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _next(day: date, closed: Container[date], *, sunday: bool) -> date:
    """The first day after ``day`` that is a weekday (or a Sunday) and no holiday."""
    day += timedelta(days=1)
    while (day.weekday() == 6) != sunday or day.weekday() == 5 or day in closed:
        day += timedelta(days=1)
    return day


def test_the_demo_city_has_thousands_of_people_doors_and_credentials(
    session: Session, services: Services
) -> None:
    city = seed_demo(session, services.passwords, load_city(), now=NOW)
    people = list(session.scalars(select(Person)))
    assert len(people) >= PEOPLE_PER_SCALE >= 2000
    employees = [p for p in people if p.employee_number]
    assert len({p.employee_number for p in employees}) == len(employees) == PEOPLE_PER_SCALE
    assert all(p.email and p.email.endswith("@" + EMAIL_DOMAIN) for p in employees)
    assert {p.kind.value for p in people} == {"employee", "guest", "contractor"}
    assert _count(session, Door) == 5 * 40 == city.access.doors
    cards = session.scalars(select(Credential).where(Credential.kind == CredentialKind.CARD))
    uids = [c.identifier for c in cards]
    assert len(uids) > 0.9 * PEOPLE_PER_SCALE
    assert all(len(uid) == 14 and int(uid, 16) >= 0 for uid in uids)
    states = Counter(session.scalars(select(Credential.state)))
    assert {CredentialState.LOST, CredentialState.SUSPENDED, CredentialState.REVOKED} <= set(states)
    positions = set(session.scalars(select(Assignment.position)))
    assert {"lärare", "rektor", "förskollärare", "undersköterska", "bibliotekarie"} <= positions
    ended = session.scalar(select(func.count()).where(Assignment.end.is_not(None)))
    assert (ended or 0) + city.people.inactive >= 100


def test_the_orphan_report_and_the_shortfall_report_have_findings(
    session: Session, city: SeedResult
) -> None:
    actor = system_actor("test", city.municipality.id)
    orphans = orphan_credentials(session, actor, at=NOW)
    reasons = Counter(row.reason for row in orphans)
    assert reasons["person_inactive"] >= 3
    assert reasons["no_current_assignment"] >= 20
    short, total = shortfall(session, actor, limit=100, offset=0)
    assert 0 < total == city.access.short_sites < city.sites
    assert all(view.missing for view in short)


def test_the_example_card_opens_at_any_hour_and_a_teachers_only_on_school_days(
    session: Session, city: SeedResult
) -> None:
    example = city.example
    assert example is not None
    calendar = session.scalars(select(HolidayCalendar).where(HolidayCalendar.code == "skola")).one()
    closed = calendar_days(True, calendar.local_days)
    today = NOW.astimezone(STOCKHOLM).date()
    weekday = datetime.combine(_next(today, closed, sunday=False), time(8), STOCKHOLM)
    sunday = datetime.combine(_next(today, closed, sunday=True), time(3), STOCKHOLM)
    state = AccessIndex().ensure(session)
    # The example the demo prints (and the README shows): granted day and night.
    request = DecisionRequest(city.municipality.id, example.door_id, example.card_uid)
    for moment in (weekday, sunday, weekday.replace(hour=23)):
        granted = decide(request, state, moment)
        assert granted.granted, (moment, granted)
        assert granted.person_id == example.person_id
    # A teacher's card opens her school on a weekday morning, not on a Sunday night.
    school = next(
        (unit, holder)
        for (unit, position), holder in city.people.cardholders.items()
        if position == "lärare"
    )
    unit, (person_id, uid) = school
    site = next(s for s in load_city().sites if s.unit == unit)
    door = city.access.sites[site.code].doors[0]
    teacher = DecisionRequest(city.municipality.id, door.id, uid)
    opened = decide(teacher, state, weekday)
    assert opened.granted and opened.person_id == person_id, opened
    denied = decide(teacher, state, sunday)
    assert not denied.granted
    assert denied.reason is Reason.OUTSIDE_SCHEDULE


def test_scale_two_about_doubles_the_people() -> None:
    base = load_city()
    today = NOW.date()
    one = plan_staff(base, PEOPLE_PER_SCALE, today)
    two = plan_staff(scale_city(base, 2), 2 * PEOPLE_PER_SCALE, today)
    assert len(two) == 2 * len(one)
    assert {p.unit for p in two} > {p.unit for p in one}
    assert plan_staff(base, 300, today) == plan_staff(base, 300, today)
    fates = Counter(p.fate for p in one)
    assert fates[Fate.LEFT] > 50 and fates[Fate.INACTIVE] > 10 and fates[Fate.DEACTIVATED] > 10
    assert len({p.card for p in two if p.card}) == sum(1 for p in two if p.card)
