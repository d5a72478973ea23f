"""A city for the credential pages: a department administrator of the schools, a teacher
with a card and a job title, a person in another department, and logins by role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import Credential
from stadsvakt.api.deps import Services
from stadsvakt.audit.models import AuditEntry
from stadsvakt.directory.models import Person
from stadsvakt.org.models import Municipality, OrgUnit
from tests import factories as f
from tests import factories_access as fa
from tests import factories_decisions as fdec
from tests.web.conftest import log_in

CARD = "04A1B2C3"


@dataclass
class School:
    """The schools department and a school, a teacher with a card, care's nurse."""

    tenant: Municipality
    schools: OrgUnit
    school: OrgUnit
    care: OrgUnit
    teacher: Person
    card: Credential
    nurse: Person
    services: Services


@pytest.fixture
def school(session: Session, services: Services) -> School:
    """The test municipality."""
    tenant = f.municipality(session)
    schools = f.unit(session, tenant, name="Grundskoleförvaltningen")
    school = f.unit(session, tenant, parent=schools, name="Rosengårdsskolan")
    care = f.unit(session, tenant, name="Vård- och omsorgsförvaltningen")
    teacher = fdec.person(session, tenant, unit=school)
    teacher.given_name, teacher.family_name = "Anna", "Andersson"
    fdec.assignment(session, teacher, school, "Lärare")
    card = fa.card(session, teacher, CARD)
    nurse = fdec.person(session, tenant, unit=care)
    session.flush()
    return School(tenant, schools, school, care, teacher, card, nurse, services)


def sign_in(
    client: TestClient, session: Session, school: School, role: str, unit: OrgUnit | None = None
) -> TestClient:
    """The client logged in, in Swedish, as a new user with ``role`` (limited to ``unit``)."""
    who = f.user(session, school.tenant, school.services.passwords, role=role, unit=unit)
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, who.username, who.password).status_code == 303
    return client


@pytest.fixture
def admin(client: TestClient, session: Session, school: School) -> TestClient:
    """Logged in as the schools' department administrator."""
    return sign_in(client, session, school, "department_admin", school.schools)


def audit_actions(session: Session, object_id: object) -> list[str]:
    """The audit trail's actions on one object, oldest first."""
    stmt = select(AuditEntry.action).where(AuditEntry.object_id == str(object_id))
    return list(session.scalars(stmt.order_by(AuditEntry.seq)))
