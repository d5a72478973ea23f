"""Thirty rows in every list (more than a page), named so their order is known."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from stadsvakt.access.models import DoorMode, HolidayMode
from stadsvakt.alarms.models import Alarm
from stadsvakt.api.deps import Services
from stadsvakt.db import utcnow
from stadsvakt.org.models import UnitKind
from tests import factories as f
from tests import factories_alarms as fal
from tests import factories_decisions as fd
from tests.web.conftest import City, browser, city, owner  # noqa: F401

N = 30


@dataclass
class Many:
    """What the lists show: 30 of each, the index in each name (``Lista 07``)."""

    city: City
    names: list[str]


def _name(i: int) -> str:
    return f"Lista {i:02d}"


@pytest.fixture
def many_sites(session: Session, city: City) -> Many:  # noqa: F811
    for i in range(N):
        site = f.site(session, city.tenant, unit=city.unit, external=i % 2 == 1)
        site.name, site.code, site.city = _name(i), f"L-{N - i:03d}", f"Stad {i % 3}"
    session.flush()
    return Many(city, [_name(i) for i in range(N)])


@pytest.fixture
def many_units(session: Session, city: City) -> Many:  # noqa: F811
    for i in range(N):
        unit = f.unit(session, city.tenant, parent=city.unit, name=_name(i))
        unit.code = f"L-{N - i:03d}"
        if i % 3 == 0:
            unit.kind = UnitKind.DEPARTMENT
    session.flush()
    return Many(city, [_name(i) for i in range(N)])


@pytest.fixture
def many_doors(session: Session, city: City) -> Many:  # noqa: F811
    zones = [fd.zone(session, city.city_site), fd.zone(session, city.external_site)]
    for i in range(N):
        door = fd.door(
            session, zones[i % 2], mode=DoorMode.LOCKDOWN if i % 5 == 0 else DoorMode.SECURE
        )
        door.name, door.code = _name(i), f"L-{N - i:03d}"
    session.flush()
    return Many(city, [_name(i) for i in range(N)])


@pytest.fixture
def many_profiles(session: Session, city: City) -> Many:  # noqa: F811
    schedule = fd.schedule(session, city.tenant)
    zone = fd.zone(session, city.city_site)
    for i in range(N):
        profile = fd.profile(session, city.tenant, [zone] if i % 2 else [], schedule)
        profile.name, profile.code = _name(i), f"L-{N - i:03d}"
        profile.required_course = f"Kurs {i:02d}"
    session.flush()
    return Many(city, [_name(i) for i in range(N)])


@pytest.fixture
def many_schedules(session: Session, city: City) -> Many:  # noqa: F811
    for i in range(N):
        mode = HolidayMode.CLOSED if i % 2 else HolidayMode.NORMAL
        schedule = fd.schedule(session, city.tenant, holiday_mode=mode)
        schedule.name, schedule.code = _name(i), f"L-{N - i:03d}"
    session.flush()
    return Many(city, [_name(i) for i in range(N)])


@pytest.fixture
def many_transmitters(session: Session, city: City, services: Services) -> Many:  # noqa: F811
    accounts = []
    for i in range(N):
        site = city.city_site if i % 2 == 0 else city.external_site
        row = fal.transmitter(session, services.box, city.tenant, site, account=f"7{i:03d}")
        row.name = _name(N - 1 - i)
        accounts.append(row.account)
    session.flush()
    return Many(city, accounts)


@pytest.fixture
def many_alarms(session: Session, city: City, services: Services) -> Many:  # noqa: F811
    """Thirty alarms a minute apart, the newest first in ``names`` (their accounts)."""
    transmitters = [
        fal.transmitter(session, services.box, city.tenant, site, account=f"9{i}00")
        for i, site in enumerate((city.city_site, city.external_site))
    ]
    start = utcnow().replace(microsecond=0) - timedelta(hours=1)
    accounts = []
    for i in range(N):
        row = transmitters[i % 2]
        fire = i % 3 == 0
        session.add(
            Alarm(
                tenant_id=city.tenant.id,
                site_id=row.site_id,
                transmitter_id=row.id,
                received_at=start + timedelta(minutes=i),
                protocol="dc09-sia",
                account=f"A{i:03d}",
                category="fire" if fire else "intrusion",
                priority=1 if fire else 3,
                code="FA" if fire else "BA",
                description="Fire alarm" if fire else "Burglary",
                qualifier="new",
                raw=b"\n" + f"A{i:03d}".encode() + b"\r",
                dedup_key=f"lists-{city.tenant.id}-{i}",
            )
        )
        accounts.append(f"A{i:03d}")
    session.flush()
    return Many(city, list(reversed(accounts)))


@pytest.fixture
def many_orphans(session: Session, city: City) -> Many:  # noqa: F811
    """Thirty inactive people, each with an active card (their names in ``names``)."""
    names = []
    for i in range(N):
        person = fd.person(session, city.tenant, unit=city.unit, active=False)
        person.family_name, person.given_name = _name(i), "Anna"
        card = fd.credential(session, person, identifier=f"04B{i:013X}")
        names.append(card.identifier)
    session.flush()
    return Many(city, names)
