"""A holiday calendar's recurring days added and removed one at a time (the admin UI's
service): audited as the calendar's update, on the change feed, refused for a department
administrator, a span the calendar already has refused on its field, and a door's
optimistic version."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessChange, HolidayCalendar
from stadsvakt.access.schemas.places import DoorUpdate
from stadsvakt.access.schemas.schedules import RecurringDay
from stadsvakt.access.services import calendar_days, places
from stadsvakt.api.deps import Services
from stadsvakt.audit.models import AuditEntry
from stadsvakt.auth.models import User
from stadsvakt.auth.service import actor_for_user
from stadsvakt.context import acting_as
from stadsvakt.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from tests import factories as f
from tests import factories_access as fa


def _audits(session: Session, calendar: HolidayCalendar) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(
        AuditEntry.object_id == str(calendar.id), AuditEntry.action == "holiday_calendar.update"
    )
    return list(session.scalars(stmt))


def _feed(session: Session, calendar: HolidayCalendar) -> int:
    stmt = select(AccessChange).where(AccessChange.entity_id == str(calendar.id))
    return len(list(session.scalars(stmt)))


def test_a_recurring_day_is_added_and_removed_audited_and_on_the_feed(session: Session) -> None:
    tenant = f.municipality(session)
    calendar = fa.calendar(session, tenant)
    actor = f.system(tenant.id)
    fed = _feed(session, calendar)
    with acting_as(actor):
        jullov = RecurringDay(name="Jullov", start="12-23", end="01-06")
        calendar_days.add_recurring_day(session, actor, calendar.id, jullov)
        calendar_days.add_recurring_day(
            session, actor, calendar.id, RecurringDay(name="Höstlov", week=44)
        )
    assert calendar.recurring_days == [
        {"start": "12-23", "end": "01-06", "name": "Jullov"},
        {"week": "44", "name": "Höstlov"},
    ]
    assert _feed(session, calendar) == fed + 2
    with acting_as(actor):
        removed = calendar_days.remove_recurring_day(session, actor, calendar.id, "12-23_01-06")
    assert removed["name"] == "Jullov"
    assert calendar.recurring_days == [{"week": "44", "name": "Höstlov"}]
    audits = _audits(session, calendar)
    assert len(audits) == 3
    before, after = (json.loads(audits[-1].before or "{}"), json.loads(audits[-1].after or "{}"))
    assert len(before["recurring_days"]) == 2 and len(after["recurring_days"]) == 1
    with acting_as(actor), pytest.raises(NotFound):
        calendar_days.remove_recurring_day(session, actor, calendar.id, "12-23_01-06")


def test_the_same_span_twice_is_refused_on_its_field(session: Session) -> None:
    tenant = f.municipality(session)
    calendar = fa.calendar(session, tenant)
    actor = f.system(tenant.id)
    with acting_as(actor):
        calendar_days.add_recurring_day(session, actor, calendar.id, RecurringDay(name="A", week=7))
        with pytest.raises(InvalidInput) as week:
            calendar_days.add_recurring_day(
                session, actor, calendar.id, RecurringDay(name="B", week=7)
            )
        range_ = RecurringDay(name="C", start="02-01", end="02-03")
        calendar_days.add_recurring_day(session, actor, calendar.id, range_)
        with pytest.raises(InvalidInput) as span:
            calendar_days.add_recurring_day(session, actor, calendar.id, range_)
    assert week.value.extra["errors"][0]["field"] == "week"
    assert span.value.extra["errors"][0]["field"] == "start"
    assert len(calendar.recurring_days) == 2


def test_a_department_administrator_may_not_change_a_calendar(
    session: Session, services: Services
) -> None:
    tenant = f.municipality(session)
    unit = f.unit(session, tenant)
    calendar = fa.calendar(session, tenant)
    made = f.user(session, tenant, services.passwords, role="department_admin", unit=unit)
    admin = actor_for_user(session.get_one(User, made.id))
    day = RecurringDay(name="Sportlov", week=8)
    with acting_as(admin), pytest.raises(Forbidden):
        calendar_days.add_recurring_day(session, admin, calendar.id, day)
    assert calendar.recurring_days == []


def test_a_door_changed_meanwhile_is_refused_as_stale(session: Session) -> None:
    tenant = f.municipality(session)
    door = fa.door(session, fa.zone(session, f.site(session, tenant)))
    actor = f.system(tenant.id)
    seen = places.door_version(door)
    with acting_as(actor):
        places.update_door(session, actor, door.id, DoorUpdate(name="Ny"), expected=seen)
        with pytest.raises(Conflict) as stale:
            places.update_door(session, actor, door.id, DoorUpdate(name="Gammal"), expected=seen)
    assert stale.value.extra["rule"] == "stale"
    assert door.name == "Ny"
    assert isinstance(stale.value, DomainError)
