"""Fixtures of the grant pages' tests: the two-department town, people to grant to, and
logged-in browsers (TestClient) for a system owner, a department admin and an auditor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessProfile
from stadsvakt.api.deps import Services
from stadsvakt.directory.models import Person, PersonKind
from stadsvakt.org.models import OrgUnit
from tests import factories as f
from tests import factories_access as fa
from tests import factories_directory as fd
from tests.access.town import Town, town_fixture  # noqa: F401
from tests.web.conftest import log_in

Login = Callable[..., TestClient]


@dataclass
class Cast:
    """The school's profile and people, and the care department's for scope checks."""

    profile: AccessProfile
    host: Person  # an employee of the school
    guest: Person
    contractor: Person
    care_profile: AccessProfile
    care_host: Person
    care_guest: Person


@pytest.fixture
def cast(session: Session, town: Town) -> Cast:
    """People and profiles on both sides of the departments' border."""
    school, care = town.school, town.care
    return Cast(
        fa.profile(session, town.tenant, [town.school_zone], unit=school),
        fd.person(session, town.tenant, unit=school, given_name="Hanna", family_name="Värdsson"),
        fd.person(session, town.tenant, unit=school, kind=PersonKind.GUEST, family_name="Gästsson"),
        fd.person(
            session, town.tenant, unit=school, kind=PersonKind.CONTRACTOR, family_name="Fixare"
        ),
        fa.profile(session, town.tenant, [town.care_zone], unit=care),
        fd.person(session, town.tenant, unit=care, family_name="Omsorgsvärd"),
        fd.person(
            session, town.tenant, unit=care, kind=PersonKind.GUEST, family_name="Omsorgsgäst"
        ),
    )


@pytest.fixture
def login(client: TestClient, session: Session, services: Services, town: Town) -> Login:
    """Log the client in as a new user with the given role (Swedish pages)."""

    def as_role(role: str = "system_owner", unit: OrgUnit | None = None) -> TestClient:
        who = f.user(session, town.tenant, services.passwords, role=role, unit=unit)
        client.cookies.clear()  # a fresh login, also when the test switches users
        client.headers["Accept-Language"] = "sv"
        assert log_in(client, who.username, who.password).status_code == 303
        return client

    return as_role
