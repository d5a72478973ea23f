"""Each statistic on handmade activations: the same figures on SQLite and PostgreSQL,
counted in Swedish days, and only what the reader sees."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from stadsvakt.centre.models import Activation, Cause
from stadsvakt.centre.service_levels import Target, assess, percentile
from stadsvakt.centre.stats import (
    Period,
    Scope,
    choose_period,
    false_alarms,
    handling_times,
    municipalities,
    operators,
    per_category,
    response_times,
    scope_of,
)
from stadsvakt.centre.units.models import Dispatch, UnitType
from stadsvakt.errors import Forbidden, InvalidInput, NotFound
from tests.centre.stats.helpers import Centre, activation, admin, centre, staff

# The clock went forward in Sweden on 29 March 2026 (CET to CEST).
MARCH = Period(date(2026, 3, 28), date(2026, 4, 1))


def _at(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=UTC)


@pytest.fixture
def town(session: Session) -> Centre:
    return centre(session)


def _seed_categories(session: Session, town: Centre) -> None:
    # 22:30 UTC on the 27th is 23:30 Swedish time: the day before the period.
    activation(session, town.a_site, _at("2026-03-27T22:30:00"), category="fire")
    # 23:30 UTC on the 27th is 00:30 on the 28th in Sweden: inside.
    activation(session, town.a_site, _at("2026-03-27T23:30:00"), category="fire")
    # 23:30 UTC on the 28th is 00:30 on the 29th.
    activation(session, town.a_site, _at("2026-03-28T23:30:00"))
    activation(session, town.a_other_site, _at("2026-03-29T12:00:00"))
    activation(session, town.b_site, _at("2026-03-30T08:00:00"), category="fire")
    activation(session, town.b_site, _at("2026-04-01T21:30:00"), category="fire")
    # 22:30 UTC on 1 April is 00:30 on the 2nd in summer time: after the period.
    activation(session, town.b_site, _at("2026-04-01T22:30:00"), category="fire")
    activation(session, town.c_site, _at("2026-03-29T08:00:00"), category="fire")


def test_activations_per_category_per_swedish_day_and_month(session: Session, town: Centre) -> None:
    _seed_categories(session, town)
    scope = Scope(staff(town.a))
    days = per_category(session, scope, MARCH, by="day")
    assert days.keys == ["2026-03-28", "2026-03-29", "2026-03-30", "2026-03-31", "2026-04-01"]
    assert days.categories == ["fire", "intrusion"]
    assert days.counts == {
        ("2026-03-28", "fire"): 1,
        ("2026-03-29", "intrusion"): 2,
        ("2026-03-30", "fire"): 1,
        ("2026-04-01", "fire"): 1,
    }
    assert days.total("2026-03-29") == 2 and days.total("2026-03-31") == 0
    months = per_category(session, scope, MARCH, by="month")
    assert months.keys == ["2026-03", "2026-04"]
    assert months.counts == {
        ("2026-03", "fire"): 2,
        ("2026-03", "intrusion"): 2,
        ("2026-04", "fire"): 1,
    }


def test_a_municipality_admin_counts_only_their_own_even_when_asking_for_another(
    session: Session, town: Centre
) -> None:
    _seed_categories(session, town)
    own = per_category(session, Scope(admin(town.b)), MARCH)
    assert own.counts == {("2026-03-30", "fire"): 1, ("2026-04-01", "fire"): 1}
    # The centre's served municipality is not theirs to ask for: not found.
    with pytest.raises(NotFound):
        scope_of(session, admin(town.b), town.a.id)
    assert [name for _, name in municipalities(session, admin(town.b))] == [town.b.name]
    # A unit-scoped admin of A counts only their unit's sites.
    scoped = per_category(session, Scope(admin(town.a, town.a_unit)), MARCH)
    assert scoped.counts == {("2026-03-28", "fire"): 1, ("2026-03-29", "intrusion"): 1}
    # Centre staff filter by a municipality they serve.
    served = per_category(session, scope_of(session, staff(town.a), town.b.id), MARCH)
    assert sum(served.counts.values()) == 2
    with pytest.raises(NotFound):
        scope_of(session, staff(town.a), town.c.id)
    assert {name for _, name in municipalities(session, staff(town.a))} == {
        town.a.name,
        town.b.name,
    }


def test_statistics_need_centre_read(session: Session, town: Centre) -> None:
    nobody = admin(town.a)
    object.__setattr__(nobody, "grants", {})
    with pytest.raises(Forbidden):
        per_category(session, Scope(nobody), MARCH)
    with pytest.raises(Forbidden):
        scope_of(session, nobody, None)


def test_false_alarm_ratio_per_site(session: Session, town: Centre) -> None:
    day = _at("2026-03-30T10:00:00")
    for cause in (Cause.FALSE, Cause.FALSE, Cause.FALSE, Cause.REAL):
        activation(session, town.a_site, day, ack_s=10, close_s=300, cause=cause)
    for cause in (Cause.TECHNICAL, Cause.REAL):
        activation(session, town.b_site, day, ack_s=10, close_s=300, cause=cause)
    activation(session, town.a_other_site, day, ack_s=10)  # still being handled
    activation(session, town.c_site, day, ack_s=10, close_s=60, cause=Cause.FALSE)
    found = false_alarms(session, Scope(staff(town.a)), MARCH)
    assert [(s.site_id, s.closed, s.false) for s in found] == [
        (town.a_site.id, 4, 3),
        (town.b_site.id, 2, 0),
    ]
    assert found[0].ratio == 0.75 and found[0].site_name == town.a_site.name
    assert false_alarms(session, Scope(admin(town.c)), MARCH)[0].false == 1


def test_percentile_interpolates_between_ranks() -> None:
    values = [10.0, 20.0, 25.0, 40.0, 70.0]
    assert percentile(values, 50) == 25
    assert percentile(values, 90) == pytest.approx(58)
    assert percentile(values, 99) == pytest.approx(68.8)
    assert percentile([], 50) is None
    assert percentile([7.0], 99) == 7


def test_targets_met_and_not_met() -> None:
    targets = [Target(timedelta(seconds=30), 80), Target(timedelta(seconds=60), 98.5)]
    late = assess([10, 20, 25, 40, 70], targets)
    assert [(o.within, o.total, o.met) for o in late] == [(3, 5, False), (4, 5, False)]
    on_time = assess([5, 10, 20, 29, 30], targets)
    assert [o.met for o in on_time] == [True, True]
    # 197 of 200 is exactly 98.5 %: met.
    assert assess([10.0] * 197 + [90.0] * 3, targets)[1].met is True
    assert assess([], targets)[0].met is None


def test_handling_time_percentiles_against_the_targets(session: Session, town: Centre) -> None:
    base = _at("2026-03-30T10:00:00")
    for n, ack in enumerate((10, 20, 25, 40)):
        activation(session, town.a_site, base + timedelta(minutes=n), ack_s=ack, close_s=ack + 600)
    # Opened 70 s before "now" and still waiting: it counts, as 70 s so far.
    now = base + timedelta(hours=1)
    activation(session, town.b_site, now - timedelta(seconds=70))
    # Closed without being claimed (nobody had to answer): not counted.
    activation(session, town.a_site, base, close_s=5, cause=Cause.CANCELLED)
    activation(session, town.c_site, base, ack_s=1)  # another centre's
    times = handling_times(session, Scope(staff(town.a)), MARCH, now=now)
    assert (times.acknowledged, times.waiting, times.measured, times.closed) == (4, 1, 5, 5)
    assert times.ack_percentiles[50] == 25
    assert times.ack_percentiles[90] == pytest.approx(58)
    assert times.ack_percentiles[99] == pytest.approx(68.8)
    assert times.close_percentiles[50] == 620
    assert [(o.target.seconds, o.within, o.total, o.met) for o in times.outcomes] == [
        (30, 3, 5, False),
        (60, 4, 5, False),
    ]
    assert not times.truncated


def test_handling_times_meet_the_targets(session: Session, town: Centre) -> None:
    base = _at("2026-03-30T10:00:00")
    for n in range(10):
        activation(session, town.a_site, base + timedelta(minutes=n), ack_s=3 + n)
    times = handling_times(session, Scope(staff(town.a)), MARCH, now=base + timedelta(hours=1))
    assert [o.met for o in times.outcomes] == [True, True]
    assert times.ack_percentiles[50] == 7.5
    assert times.close_percentiles[50] is None


def test_operators_per_hour_and_the_share_of_time_in_flood(session: Session, town: Centre) -> None:
    ten, eleven, noon = (_at(f"2026-03-30T{h}:05:00") for h in ("10", "11", "12"))
    for n, who in enumerate(("Anna", "Anna", "Anna", "Bo", "Bo")):
        activation(session, town.a_site, ten + timedelta(minutes=n), ack_s=20, claimed_by=who)
    for n in range(2):
        activation(session, town.b_site, eleven + timedelta(minutes=n))
    activation(session, town.a_site, eleven, ack_s=600, claimed_by="Anna")  # opened 11, claimed 11
    for n in range(3):
        activation(session, town.a_site, noon + timedelta(minutes=n))  # nobody claims
    activation(session, town.c_site, ten, ack_s=5, claimed_by="Cilla")  # another centre's
    day = Period(date(2026, 3, 30), date(2026, 3, 30))
    load = operators(session, Scope(staff(town.a)), day, rate=2)
    assert [(o.name, o.claimed, o.hours, o.peak, o.per_hour) for o in load.operators] == [
        ("Anna", 4, 2, 3, 2.0),
        ("Bo", 2, 1, 2, 2.0),
    ]
    # 10: 5 opened / 2 operators = 2.5 > 2; 11: 3 opened / 1 = 3 > 2; 12: 3 / none > 2.
    assert [(h.hour.hour, h.opened, h.operators) for h in load.flood_hours] == [
        (12, 5, 2),
        (13, 3, 1),
        (14, 3, 0),
    ]
    assert load.hours == 24 and load.flood_share == pytest.approx(3 / 24)
    relaxed = operators(session, Scope(staff(town.a)), day, rate=3)
    assert relaxed.flood_hours == []  # 3 per operator is not more than 3


def test_a_period_counts_the_hours_of_its_swedish_days() -> None:
    assert Period(date(2026, 3, 29), date(2026, 3, 29)).hours() == 23
    assert Period(date(2026, 10, 25), date(2026, 10, 25)).hours() == 25
    assert MARCH.start == _at("2026-03-27T23:00:00")
    assert MARCH.end == _at("2026-04-01T22:00:00")


def test_choosing_a_period() -> None:
    now = _at("2026-04-10T23:30:00")  # already the 11th in Sweden
    assert choose_period(None, None, now) == Period(date(2026, 3, 13), date(2026, 4, 11))
    assert choose_period("2026-04-01", None, now) == Period(date(2026, 4, 1), date(2026, 4, 11))
    assert choose_period(None, "2026-02-28", now) == Period(date(2026, 1, 30), date(2026, 2, 28))
    with pytest.raises(InvalidInput) as refused:
        choose_period("2026-04-02", "2026-04-01", now)
    assert refused.value.extra["errors"][0] == {
        "field": "to",
        "rule": "after_from",
        "message": "to must not be before from",
    }
    with pytest.raises(InvalidInput) as bad:
        choose_period("1 april", None, now)
    assert bad.value.extra["errors"][0]["field"] == "from"
    with pytest.raises(InvalidInput) as long:
        choose_period("2024-01-01", "2026-01-01", now)
    assert long.value.extra["errors"][0]["rule"] == "max_days"


def test_response_times_per_unit_type(session: Session, town: Centre) -> None:
    sent = _at("2026-03-30T10:00:00")
    to_a = activation(session, town.a_site, sent)
    to_b = activation(session, town.b_site, sent)
    to_c = activation(session, town.c_site, sent)

    def dispatch(to: Activation, kind: UnitType, minutes: float | None) -> None:
        arrived = None if minutes is None else sent + timedelta(minutes=minutes)
        session.add(
            Dispatch(
                tenant_id=to.tenant_id,
                activation_id=to.id,
                unit_type=kind,
                unit_name="Väktare 1",
                dispatched_at=sent,
                arrived_at=arrived,
            )
        )

    for minutes in (6, 8, 10, 20):
        dispatch(to_a, UnitType.GUARD, minutes)
    dispatch(to_b, UnitType.GUARD, None)  # never arrived
    dispatch(to_b, UnitType.HOME_CARE, 30)
    dispatch(to_c, UnitType.GUARD, 1)  # another centre's
    session.flush()
    found = response_times(session, Scope(staff(town.a)), MARCH)
    assert [(t.unit_type, t.dispatched, t.arrived) for t in found.by_type] == [
        ("guard", 5, 4),
        ("home_care", 1, 1),
    ]
    assert found.by_type[0].percentiles[50] == 9 * 60
    assert found.by_type[0].percentiles[90] == pytest.approx(17 * 60)
    assert found.by_type[1].percentiles[99] == 30 * 60
    own = response_times(session, Scope(admin(town.b)), MARCH)
    assert [(t.unit_type, t.dispatched) for t in own.by_type] == [("guard", 1), ("home_care", 1)]
    # A unit-scoped admin sees the dispatches to activations of their units only.
    scoped = response_times(session, Scope(admin(town.a, town.a_unit)), MARCH)
    assert [(t.unit_type, t.dispatched) for t in scoped.by_type] == [("guard", 4)]
    assert response_times(session, Scope(admin(town.a, town.a_other_unit)), MARCH).by_type == []
    april = Period(date(2026, 4, 2), date(2026, 4, 3))
    assert response_times(session, Scope(staff(town.a)), april).by_type == []
