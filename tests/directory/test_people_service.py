"""Directory services: people, scope, uniqueness, versions, audit and the change feed."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessChange
from stadsvakt.audit.models import AuditEntry
from stadsvakt.context import Actor, acting_as
from stadsvakt.directory import service
from stadsvakt.directory.models import PersonKind
from stadsvakt.directory.schemas import AssignmentIn, PersonCreate, PersonUpdate
from stadsvakt.errors import Conflict, Forbidden, InvalidInput, NotFound
from stadsvakt.org.models import Municipality, OrgUnit
from tests import factories as f
from tests import factories_directory as fd


def _dept_admin(tenant: Municipality, unit: OrgUnit) -> Actor:
    perms = ("person.read", "person.write", "training.read")
    return Actor(
        kind="user",
        id=None,
        name="da",
        tenant_id=tenant.id,
        grants={p: frozenset({unit.id}) for p in perms},
    )


def _count(session: Session, model: type, **where: object) -> int:
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return session.scalar(stmt) or 0


def test_create_person_is_audited_and_fed_to_the_change_feed(session: Session) -> None:
    tenant = f.municipality(session)
    unit = f.unit(session, tenant)
    person = fd.person(session, tenant, unit=unit, email="anna@example.se")
    assert person.version == 1
    assert person.email == "anna@example.se"
    assert _count(session, AuditEntry, action="person.create", object_id=str(person.id)) == 1
    assert _count(session, AccessChange, entity="person", entity_id=str(person.id)) == 1


def test_employee_number_is_unique_per_municipality(session: Session) -> None:
    tenant = f.municipality(session)
    other = f.municipality(session)
    fd.person(session, tenant, employee_number="E1")
    fd.person(session, other, employee_number="E1")
    with pytest.raises(Conflict, match="employee number 'E1'"):
        fd.person(session, tenant, employee_number="E1")


def test_update_bumps_version_and_refuses_emptying_names(session: Session) -> None:
    tenant = f.municipality(session)
    person = fd.person(session, tenant)
    actor = f.system(tenant.id)
    with acting_as(actor):
        updated = service.update_person(session, actor, person.id, PersonUpdate(given_name="Bo"))
        assert (updated.given_name, updated.version) == ("Bo", 2)
        same = service.update_person(session, actor, person.id, PersonUpdate(given_name="Bo"))
        assert same.version == 2, "a change that changes nothing is no new version"
        # The schema refuses the null (rule not_null); the service still refuses a model
        # built without validation.
        with pytest.raises(ValidationError, match="not_null"):
            PersonUpdate(family_name=None)
        emptied = PersonUpdate.model_construct(family_name=None)
        with pytest.raises(InvalidInput, match="family_name"):
            service.update_person(session, actor, person.id, emptied)


def test_department_admin_sees_and_changes_only_own_people(session: Session) -> None:
    tenant = f.municipality(session)
    mine, theirs = f.unit(session, tenant), f.unit(session, tenant)
    child = f.unit(session, tenant, parent=mine)
    own = fd.person(session, tenant, unit=child)
    foreign = fd.person(session, tenant, unit=theirs)
    da = _dept_admin(tenant, mine)
    with acting_as(da):
        people, total = service.list_people(session, da, limit=50, offset=0)
        assert [p.id for p in people] == [own.id] and total == 1
        with pytest.raises(NotFound):
            service.get_person(session, da, foreign.id)
        with pytest.raises(NotFound):
            service.update_person(session, da, foreign.id, PersonUpdate(given_name="X"))
        with pytest.raises(NotFound):
            service.deactivate_person(session, da, foreign.id, reason="test")
        with pytest.raises(NotFound):
            service.update_person(session, da, own.id, PersonUpdate(org_unit_id=theirs.id))


def test_department_admin_creates_guests_in_own_units_only(session: Session) -> None:
    tenant = f.municipality(session)
    mine, theirs = f.unit(session, tenant), f.unit(session, tenant)
    da = _dept_admin(tenant, mine)
    guest = PersonCreate(
        given_name="Gäst", family_name="Gästsson", kind=PersonKind.GUEST, org_unit_id=mine.id
    )
    with acting_as(da):
        created = service.create_person(session, da, guest)
        assert created.org_unit_id == mine.id
        with pytest.raises(Forbidden, match="guests and contractors"):
            service.create_person(
                session, da, guest.model_copy(update={"kind": PersonKind.EMPLOYEE})
            )
        with pytest.raises(NotFound):
            service.create_person(session, da, guest.model_copy(update={"org_unit_id": theirs.id}))
        with pytest.raises(Forbidden):
            service.create_person(session, da, guest.model_copy(update={"org_unit_id": None}))


def test_list_filters_by_text_activity_and_unit_subtree(session: Session) -> None:
    tenant = f.municipality(session)
    dept = f.unit(session, tenant)
    school = f.unit(session, tenant, parent=dept)
    elsewhere = f.unit(session, tenant)
    karin = fd.person(session, tenant, unit=school, given_name="Karin", family_name="Lund")
    fd.person(session, tenant, unit=elsewhere, given_name="Per", family_name="Holm")
    actor = f.system(tenant.id)
    assert [
        p.id for p in service.list_people(session, actor, limit=9, offset=0, q="karin lu")[0]
    ] == [karin.id]
    assert service.list_people(session, actor, limit=9, offset=0, unit_id=dept.id)[1] == 1
    with acting_as(actor):
        service.deactivate_person(session, actor, karin.id, reason="slutat")
    assert service.list_people(session, actor, limit=9, offset=0, active=True)[1] == 1
    assert service.list_people(session, actor, limit=9, offset=0, active=False)[0][0].id == karin.id


def test_find_person_by_natural_keys(session: Session) -> None:
    tenant = f.municipality(session)
    actor = f.system(tenant.id)
    data = PersonCreate(
        given_name="Sara",
        family_name="Ek",
        employee_number="E77",
        external_id="x-1",
        user_name="sara.ek",
    )
    with acting_as(actor):
        person = service.create_person(session, actor, data)
    assert service.find_person_by(session, tenant.id, external_id="x-1") is person
    assert service.find_person_by(session, tenant.id, user_name="sara.ek") is person
    assert service.find_person_by(session, tenant.id, employee_number="E77") is person
    assert service.find_person_by(session, tenant.id, employee_number="E78") is None
    with pytest.raises(InvalidInput):
        service.find_person_by(session, tenant.id)


def test_set_assignments_keeps_history_and_moves_home_unit(session: Session) -> None:
    tenant = f.municipality(session)
    first, second = f.unit(session, tenant), f.unit(session, tenant)
    person = fd.person(session, tenant, unit=first, position="lärare")
    actor = f.system(tenant.id)
    with acting_as(actor):
        current = service.set_assignments(
            session,
            actor,
            person,
            [AssignmentIn(org_unit_id=second.id, position="rektor", start=date(2024, 8, 1))],
            source="csv",
        )
    assert [(a.org_unit_id, a.position, a.source) for a in current] == [
        (second.id, "rektor", "csv")
    ]
    history = service.list_assignments(session, actor, person.id)
    ended = [a for a in history if a.position == "lärare"]
    assert len(history) == 2 and ended[0].end is not None
    assert person.org_unit_id == second.id
    assert _count(session, AuditEntry, action="assignment.end") == 1
