"""Deactivating or removing a person revokes every right in the same transaction."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessChange, Credential, CredentialState, Grant
from stadsvakt.audit.models import AuditEntry
from stadsvakt.context import acting_as
from stadsvakt.db import utcnow
from stadsvakt.directory import service
from stadsvakt.directory.models import Assignment, GroupMember, Person
from stadsvakt.directory.schemas import AssignmentIn, PersonUpdate
from stadsvakt.directory.service.revoke import revoke_everything
from tests import factories as f
from tests import factories_directory as fd


def _leaver(session: Session):  # type: ignore[no-untyped-def]
    tenant = f.municipality(session)
    unit = f.unit(session, tenant)
    person = fd.person(session, tenant, unit=unit, position="lärare")
    actor = f.system(tenant.id)
    future = date.today() + timedelta(days=30)
    with acting_as(actor):
        service.set_assignments(
            session,
            actor,
            person,
            [
                AssignmentIn(org_unit_id=unit.id, position="lärare", start=date(2020, 1, 1)),
                AssignmentIn(org_unit_id=unit.id, position="mentor", start=future),
            ],
        )
    prof = fd.profile(session, tenant)
    grants = [
        fd.direct_grant(session, person, prof),
        fd.direct_grant(session, person, prof, starts_in=timedelta(days=9)),
    ]
    creds = [
        fd.credential(session, person),
        fd.credential(session, person, state=CredentialState.SUSPENDED),
        fd.credential(session, person, state=CredentialState.LOST),
    ]
    team = fd.group(session, tenant, unit=unit, members=[person])
    return tenant, actor, person, grants, creds, team


def _no_right_survives(session: Session, person: Person) -> None:
    session.expire_all()
    now = utcnow()
    assert session.get(Person, person.id).active is False  # type: ignore[union-attr]
    open_assignments = session.scalars(
        select(Assignment).where(Assignment.person_id == person.id)
    ).all()
    assert all(
        a.end is not None and a.end <= date.today() + timedelta(days=1) for a in open_assignments
    )
    assert all(a.start <= date.today() for a in open_assignments), "future assignment kept"
    for grant in session.scalars(select(Grant).where(Grant.person_id == person.id)):
        assert grant.valid_to is not None
        assert grant.valid_to <= max(now, grant.valid_from)
    states = set(session.scalars(select(Credential.state).where(Credential.person_id == person.id)))
    assert states <= {CredentialState.REVOKED, CredentialState.LOST}


def test_deactivation_revokes_every_right(session: Session) -> None:
    tenant, actor, person, grants, creds, team = _leaver(session)
    with acting_as(actor):
        service.deactivate_person(session, actor, person.id, reason="slutat")
    _no_right_survives(session, person)
    lost = session.get(Credential, creds[2].id)
    assert lost is not None and lost.state is CredentialState.LOST, "lost stays lost"
    assert session.get(GroupMember, (team.id, person.id)) is not None, "membership kept"
    actions = list(
        session.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == tenant.id))
    )
    for action, times in {
        "person.deactivate": 1,
        "assignment.end": 1,
        "assignment.delete": 1,
        "grant.end": 2,
        "credential.revoke": 2,
    }.items():
        assert actions.count(action) == times, action
    fed = set(
        session.scalars(select(AccessChange.entity_id).where(AccessChange.tenant_id == tenant.id))
    )
    assert {str(g.id) for g in grants} <= fed and {str(c.id) for c in creds[:2]} <= fed


def test_setting_active_false_is_a_deactivation(session: Session) -> None:
    _, actor, person, _, _, _ = _leaver(session)
    with acting_as(actor):
        updated = service.update_person(session, actor, person.id, PersonUpdate(active=False))
    assert updated.active is False
    _no_right_survives(session, person)


def test_deactivation_is_all_or_nothing(session: Session) -> None:
    _, _, person, _, creds, _ = _leaver(session)
    savepoint = session.begin_nested()
    revoke_everything(session, person, reason="test", now=utcnow())
    savepoint.rollback()
    session.expire_all()
    assert session.get(Person, person.id).active is True  # type: ignore[union-attr]
    assert session.get(Credential, creds[0].id).state is CredentialState.ACTIVE  # type: ignore[union-attr]


def test_delete_revokes_then_removes(session: Session) -> None:
    tenant, actor, person, grants, creds, team = _leaver(session)
    gone = {str(person.id), *(str(c.id) for c in creds), *(str(g.id) for g in grants)}
    with acting_as(actor):
        service.delete_person(session, actor, person.id)
    session.expire_all()
    assert session.get(Person, person.id) is None
    assert (
        session.scalar(
            select(func.count()).select_from(Credential).where(Credential.person_id == person.id)
        )
        == 0
    )
    assert (
        session.scalar(select(func.count()).select_from(Grant).where(Grant.person_id == person.id))
        == 0
    )
    assert service.member_ids(session, team.id) == []
    deletes = set(
        session.scalars(select(AccessChange.entity_id).where(AccessChange.op == "delete"))
    )
    assert gone <= deletes
    audit = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == str(person.id))
    ).all()
    assert "person.deactivate" in audit and "person.delete" in audit
