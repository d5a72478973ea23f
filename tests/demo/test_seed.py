"""Seeding the demo city through the services, on every test backend."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.access.models import Credential
from stadsvakt.api.deps import Services
from stadsvakt.audit.models import AuditEntry
from stadsvakt.audit.service import verify
from stadsvakt.auth.login import LocalPasswordProvider
from stadsvakt.auth.models import User
from stadsvakt.auth.service import actor_for_user
from stadsvakt.context import system_actor
from stadsvakt.demo.data import load_city, scale_city
from stadsvakt.demo.seed import SeedResult, seed_demo
from stadsvakt.directory.models import Person
from stadsvakt.org.models import OrgUnit, OwnerKind, Site, UnitKind
from stadsvakt.org.service import list_sites, list_units
from tests.demo.test_data import MALMO_DEPARTMENTS


@pytest.fixture
def seeded(session: Session, services: Services) -> SeedResult:
    return seed_demo(session, services.passwords, load_city(), people=40)


def _sites(session: Session) -> list[Site]:
    return list(session.scalars(select(Site)))


def test_the_city_has_malmos_departments_and_about_forty_sites(
    session: Session, seeded: SeedResult
) -> None:
    departments = session.scalars(select(OrgUnit).where(OrgUnit.kind == UnitKind.DEPARTMENT))
    assert {d.name for d in departments} == MALMO_DEPARTMENTS
    sites = _sites(session)
    assert len(sites) == seeded.sites == 40
    assert all(s.tenant_id == seeded.municipality.id for s in sites)


def test_every_site_is_used_by_a_unit_inside_the_city_area(
    session: Session, seeded: SeedResult
) -> None:
    units = {u.id: u for u in session.scalars(select(OrgUnit))}
    for site in _sites(session):
        assert site.org_unit_id is not None
        unit = units[site.org_unit_id]
        assert unit.kind is UnitKind.UNIT and unit.parent_id in units
        assert 55.5 <= site.latitude <= 55.7 and 12.9 <= site.longitude <= 13.1
        assert site.city == "Sundby"


def test_some_sites_are_externally_owned_with_contact_details(
    session: Session, seeded: SeedResult
) -> None:
    external = [s for s in _sites(session) if s.owner_kind is OwnerKind.EXTERNAL]
    assert 10 <= len(external) == seeded.external_sites < seeded.sites
    for site in external:
        assert site.owner_name and site.owner_contact and site.owner_email and site.owner_phone
        assert "kommun" not in site.owner_name
    city_owned = [s for s in _sites(session) if s.owner_kind is OwnerKind.CITY]
    assert {s.owner_name for s in city_owned} == {"Sundby kommun, Serviceförvaltningen"}


def test_every_demo_user_logs_in_with_the_printed_password(
    session: Session, services: Services, seeded: SeedResult
) -> None:
    provider = LocalPasswordProvider(services.passwords, services.settings.security)
    assert len({c.password for c in seeded.credentials}) == len(seeded.credentials) == 8
    for credential in seeded.credentials:
        user = provider.authenticate(session, credential.username, credential.password, "test")
        assert [a.role.name for a in user.assignments] == [credential.role]
    assert seeded.admin.username == "admin"


def test_the_department_admin_sees_only_grundskoleforvaltningens_sites(
    session: Session, seeded: SeedResult
) -> None:
    user = session.scalars(select(User).where(User.username == "grundskola")).one()
    actor = actor_for_user(user)
    sites, total = list_sites(session, actor, limit=500, offset=0)
    units, _ = list_units(session, actor, limit=500, offset=0)
    assert {u.name for u in units if u.kind is UnitKind.DEPARTMENT} == {"Grundskoleförvaltningen"}
    assert 0 < total == len(sites) < seeded.sites
    assert {s.org_unit_id for s in sites} <= {u.id for u in units}
    admin = session.scalars(select(User).where(User.username == "admin")).one()
    _, everything = list_sites(session, actor_for_user(admin), limit=1, offset=0)
    assert everything == seeded.sites


def test_seeding_is_audited_by_the_demo_actor_and_the_chain_verifies(
    session: Session, seeded: SeedResult
) -> None:
    count, broken = verify(session)
    assert broken is None
    actions = Counter(session.scalars(select(AuditEntry.action)))
    # One row per municipality, unit, site and user ...
    assert actions["municipality.create"] == 1
    assert actions["org_unit.create"] + actions["unit.create"] == 11 + seeded.units
    assert actions["site.create"] == seeded.sites
    assert actions["user.create"] == len(seeded.credentials)
    # ... and per person, door, credential and grant of the access model.
    assert actions["person.create"] == len(session.scalars(select(Person.id)).all())
    assert actions["door.create"] == seeded.access.doors
    assert actions["credential.create"] == len(session.scalars(select(Credential.id)).all())
    assert actions["grant.create"] == seeded.visitors.grants
    assert count == sum(actions.values())
    names = set(session.scalars(select(AuditEntry.actor_name).distinct()))
    assert names == {"demo"}


def test_scale_two_gives_twice_the_sites_with_unique_codes(
    session: Session, services: Services
) -> None:
    result = seed_demo(session, services.passwords, scale_city(load_city(), 2), people=40)
    assert result.sites == 80
    codes = list(session.scalars(select(Site.code)))
    assert len(codes) == len(set(codes)) == 80
    actor = system_actor("test", result.municipality.id)
    _, total = list_sites(session, actor, limit=1, offset=0)
    assert total == 80
    assert session.scalar(select(func.count()).select_from(OrgUnit)) == 11 + 2 * 42
