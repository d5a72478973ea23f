"""Planned visits (nattillsyn): due at their Swedish local time, made exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.centre import feed
from stadsvakt.centre.models import Activation, ActivationKind
from stadsvakt.centre.tasks import (
    ScheduleIn,
    TaskVisit,
    create_schedule,
    due_tasks,
    pending,
    run_once,
    visits_between,
)
from stadsvakt.db import (
    create_db_engine,
    create_session_factory,
    read_only_session,
    unit_of_work,
    utcnow,
)
from stadsvakt.errors import InvalidInput
from stadsvakt.migrate import upgrade
from stadsvakt.settings import Settings
from stadsvakt.web.localtime import to_local
from tests import factories as f
from tests.centre.incidents.conftest import Centre, actor

EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]


def _utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_visits_are_at_swedish_wall_clock_time_in_winter_and_summer() -> None:
    winter = visits_between(["23:00"], EVERY_DAY, date(2026, 1, 1), None,
                            _utc(2026, 12, 5, 12), _utc(2026, 12, 6, 12))  # fmt: skip
    assert [v.due_at for v in winter] == [_utc(2026, 12, 5, 22)]
    summer = visits_between(["23:00"], EVERY_DAY, date(2026, 1, 1), None,
                            _utc(2026, 7, 5, 12), _utc(2026, 7, 6, 12))  # fmt: skip
    assert [v.due_at for v in summer] == [_utc(2026, 7, 5, 21)]
    assert summer[0].key == "2026-07-05T23:00"


def test_spring_forward_moves_a_visit_in_the_missing_hour_one_hour_on() -> None:
    # 2027-03-28: clocks go from 02:00 CET to 03:00 CEST; 02:30 does not exist.
    [visit] = visits_between(["02:30"], EVERY_DAY, date(2027, 1, 1), None,
                             _utc(2027, 3, 27, 12), _utc(2027, 3, 28, 12))  # fmt: skip
    assert visit.key == "2027-03-28T02:30"
    assert visit.due_at == _utc(2027, 3, 28, 1, 30)  # 03:30 CEST


def test_fall_back_makes_a_visit_in_the_repeated_hour_once() -> None:
    # 2027-10-31: 02:00-03:00 happens twice; the visit is made at the first 02:30 (CEST).
    visits = visits_between(["02:30"], EVERY_DAY, date(2027, 1, 1), None,
                            _utc(2027, 10, 30, 12), _utc(2027, 10, 31, 12))  # fmt: skip
    assert [v.due_at for v in visits] == [_utc(2027, 10, 31, 0, 30)]


def test_weekdays_and_validity_limit_visits() -> None:
    # 2026-12-07 is a Monday.
    visits = visits_between(["05:00"], [1], date(2026, 12, 1), date(2026, 12, 14),
                            _utc(2026, 11, 30), _utc(2026, 12, 31))  # fmt: skip
    assert [v.key for v in visits] == ["2026-12-07T05:00", "2026-12-14T05:00"]


def _schedule(session: Session, centre: Centre, **extra: object) -> None:
    data = ScheduleIn.model_validate(
        {
            "reference": "NT-7",
            "site_id": str(centre.home_site.id),
            "cameras": "Kamera sovrum",
            "times": ["23:00", "02:00"],
            "weekdays": EVERY_DAY,
            "valid_from": "2026-01-01",
            **extra,
        }
    )
    create_schedule(session, centre.admin, data)


def test_a_due_visit_opens_a_task_activation_once(session: Session, centre: Centre) -> None:
    _schedule(session, centre)
    before = feed.head(session)
    now = _utc(2026, 12, 5, 22, 0, 30)  # 23:00:30 CET
    [opened] = due_tasks(session, now)
    assert opened.kind is ActivationKind.TASK
    assert opened.group_key.endswith("|2026-12-05T23:00")
    assert opened.opened_at == _utc(2026, 12, 5, 22) and opened.title == "NT-7 23:00"
    assert [c.kind for c in feed.changes_since(session, before)] == ["new"]
    # Again, from this or another process: nothing more.
    assert due_tasks(session, now + timedelta(minutes=1)) == []
    count = session.scalar(
        select(func.count()).select_from(Activation).where(Activation.kind == ActivationKind.TASK)
    )
    assert count == 1
    visit = session.scalars(select(TaskVisit)).one()
    assert visit.activation_id == opened.id


def test_visits_older_than_the_catch_up_are_skipped(session: Session, centre: Centre) -> None:
    _schedule(session, centre)
    # 03:00 CET: 02:00 is an hour old; 23:00 four hours.
    opened = due_tasks(session, _utc(2026, 12, 6, 2), catch_up=timedelta(minutes=90))
    assert [a.title for a in opened] == ["NT-7 02:00"]


def test_a_paused_schedule_makes_no_visits(session: Session, centre: Centre) -> None:
    _schedule(session, centre, active=False)
    assert due_tasks(session, _utc(2026, 12, 5, 22, 1)) == []


def test_a_schedule_needs_a_place_and_an_order_of_dates(session: Session, centre: Centre) -> None:
    with pytest.raises(InvalidInput, match="valid_to"):
        _schedule(session, centre, valid_from="2026-12-10", valid_to="2026-12-01")
    with pytest.raises(InvalidInput, match="address"):
        _schedule(session, centre, site_id=None)


def test_the_loop_makes_a_due_visit_once_in_its_own_transactions(fresh_database_url: str) -> None:
    settings = Settings(database_url=fresh_database_url, _env_file=None)
    engine = create_db_engine(settings)
    try:
        upgrade(settings, engine)
        factory = create_session_factory(engine)
        now = utcnow()
        due = to_local(now - timedelta(minutes=5)).strftime("%H:%M")
        with unit_of_work(factory) as session:
            tenant = f.municipality(session)
            admin = actor(tenant, "centre.read", "centre.admin")
            data = ScheduleIn.model_validate(
                {"reference": "NT-1", "address": "Vägen 1", "times": [due],
                 "weekdays": EVERY_DAY, "valid_from": "2026-01-01"}
            )  # fmt: skip
            create_schedule(session, admin, data)
        with read_only_session(factory) as reader:
            assert pending(reader, now) == 1
        assert run_once(factory, settings.centre) == 1
        assert run_once(factory, settings.centre) == 0  # another process, or the next round
    finally:
        engine.dispose()
