"""Fixtures for the access-model tests: a city with two departments, each with a site.

Kept out of ``conftest.py`` (the decision engine's tests share this folder); test
modules import the fixtures they use.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.access.models import Zone
from stadsvakt.api.deps import Services
from stadsvakt.org.models import Municipality, OrgUnit, Site
from tests import factories as f
from tests import factories_access as fa

V1 = "/api/v1"


@dataclass
class Town:
    """Two departments (schools, elderly care), a site and a zone each, and an owner token."""

    tenant: Municipality
    schools: OrgUnit
    school: OrgUnit
    care: OrgUnit
    school_site: Site
    care_site: Site
    school_zone: Zone
    care_zone: Zone
    owner: dict[str, str]


@pytest.fixture(name="town")
def town_fixture(session: Session) -> Town:
    """The test municipality."""
    tenant = f.municipality(session)
    schools = f.unit(session, tenant, name="Grundskoleförvaltningen")
    school = f.unit(session, tenant, parent=schools, name="Rosengårdsskolan")
    care = f.unit(session, tenant, name="Vård- och omsorgsförvaltningen")
    school_site = f.site(session, tenant, unit=school)
    care_site = f.site(session, tenant, unit=care)
    return Town(
        tenant,
        schools,
        school,
        care,
        school_site,
        care_site,
        fa.zone(session, school_site),
        fa.zone(session, care_site),
        f.owner_bearer(session, tenant),
    )


@pytest.fixture(name="admin")
def admin_fixture(
    client: TestClient, session: Session, services: Services, town: Town
) -> dict[str, str]:
    """A logged-in department administrator of the schools department (CSRF header)."""
    who = f.user(
        session, town.tenant, services.passwords, role="department_admin", unit=town.schools
    )
    return f.login(client, who)
