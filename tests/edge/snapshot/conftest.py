"""A small city for snapshot tests: an edge serving five doors (one needing card and PIN,
two on a site with its own calendar and emergency open, one an escape route), a door it
does not serve, and people with and without a right to the edge's doors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from stadsvakt.access.changes import Entity, note_change
from stadsvakt.access.decide import DecisionState
from stadsvakt.access.index.loader import Loader
from stadsvakt.access.index.state import CompiledIndex
from stadsvakt.access.models import CredentialState, DoorMode, HolidayMode, SiteDoorRules
from stadsvakt.directory.models import Person
from stadsvakt.edge.snapshot.build import build_snapshot
from stadsvakt.edge.snapshot.codec import Json
from stadsvakt.edge.snapshot.settings import SnapshotSettings
from tests import factories as f
from tests import factories_access as fa
from tests import factories_decisions as fd

#: The nurse's PIN.
PIN = "4711"

#: Monday to Friday, 07:00 to 18:00; closed on holidays.
OFFICE = [{"day": d, "start": "07:00", "end": "18:00"} for d in range(5)]


@dataclass
class City:
    """The city's ids; ``cards`` maps a name to a card's identifier."""

    tenant: uuid.UUID
    edge_doors: list[uuid.UUID]
    other_door: uuid.UUID
    people: dict[str, Person]
    cards: dict[str, str]
    card_ids: dict[str, uuid.UUID]
    profiles: dict[str, uuid.UUID]
    schedules: dict[str, uuid.UUID]
    now: datetime
    device: uuid.UUID = field(default_factory=uuid.uuid4)


@pytest.fixture
def snapshot_settings() -> SnapshotSettings:
    """Snapshot settings with the development key and no overlap: the city is made within
    a second, so with the overlap every delta would name all of it again (the overlap has
    a test of its own)."""
    return SnapshotSettings(delta_overlap_seconds=0)


@pytest.fixture
def city(session: Session) -> City:
    """The city (see the module docstring), made through the decision factories."""
    now = datetime.now(UTC)
    tenant = f.municipality(session)
    care = f.unit(session, tenant)
    home = f.unit(session, tenant, parent=care)
    site = f.site(session, tenant, unit=care)
    zone_a, zone_b = fd.zone(session, site), fd.zone(session, site)
    local = (now + timedelta(days=3)).date().isoformat()
    calendar = fd.calendar(session, tenant, local_days=[local])
    always = fd.schedule(session, tenant)
    office = fd.schedule(
        session, tenant, OFFICE, holiday_mode=HolidayMode.CLOSED, holiday_calendar=calendar
    )
    night = fd.schedule(
        session, tenant, [{"day": d, "start": "22:00", "end": "06:00"} for d in range(7)]
    )
    secure = fd.door(session, zone_a)
    scheduled = fd.door(session, zone_a, mode=DoorMode.SCHEDULED_UNLOCK, unlock_schedule=office)
    other = fd.door(session, zone_b)
    # The door rules: card and PIN; a second site with its own calendar (a local day in
    # five days) and emergency open, an escape-route door and an ordinary one there.
    pin_door = fd.door(session, zone_a)
    pin_door.requires_pin = True
    fd.changed(session, pin_door, Entity.DOOR)
    school = f.site(session, tenant, unit=care)
    zone_c = fd.zone(session, school)
    escape, plain = fd.door(session, zone_c), fd.door(session, zone_c)
    escape.escape_route = True
    fd.changed(session, escape, Entity.DOOR)
    own = fd.calendar(session, tenant, local_days=[(now + timedelta(days=5)).date().isoformat()])
    session.add(
        SiteDoorRules(
            site_id=school.id, tenant_id=tenant.id, holiday_calendar_id=own.id, emergency_open=True
        )
    )
    session.flush()
    note_change(session, tenant_id=tenant.id, entity=Entity.SITE_DOOR_RULES, entity_id=school.id)
    p_a = fd.profile(session, tenant, [zone_a], always)
    p_c = fd.profile(session, tenant, [zone_c], office)
    p_ab = fd.profile(session, tenant, [zone_a, zone_b], office, course="Brandskydd")
    p_night = fd.profile(session, tenant, [zone_a], night)
    p_b = fd.profile(session, tenant, [zone_b], always)
    # Everyone working as a nurse in care or below it gets p_a.
    fd.position_profile(session, care, "sjuksköterska", p_a, subunits=True)
    people: dict[str, Person] = {}
    people["nurse"] = fd.person(session, tenant, unit=home)
    fd.assignment(session, people["nurse"], home, "sjuksköterska")
    people["cook"] = fd.person(session, tenant, unit=home)  # a position without a profile
    fd.assignment(session, people["cook"], home, "kock")
    people["guest"] = fd.person(session, tenant)
    fd.grant(session, p_ab, person_row=people["guest"], valid_from=now - timedelta(days=1))
    fd.training(session, people["guest"], "Brandskydd", expires=None)
    people["untrained"] = fd.person(session, tenant)
    fd.grant(session, p_ab, person_row=people["untrained"], valid_from=now - timedelta(days=1))
    fd.grant(session, p_c, person_row=people["untrained"], valid_from=now - timedelta(days=1))
    people["night"] = fd.person(session, tenant)
    people["night"].extended_unlock = True
    fd.changed(session, people["night"], Entity.PERSON)
    fd.group(session, tenant, [people["night"]])
    fd.grant(
        session,
        p_night,
        group=fd.group(session, tenant, [people["night"]]),
        valid_from=now - timedelta(days=1),
    )
    people["elsewhere"] = fd.person(session, tenant)
    fd.grant(session, p_b, person_row=people["elsewhere"], valid_from=now - timedelta(days=1))
    people["gone"] = fd.person(session, tenant, active=False)
    fd.grant(session, p_a, person_row=people["gone"], valid_from=now - timedelta(days=1))
    people["ended"] = fd.person(session, tenant)
    fd.grant(
        session,
        p_a,
        person_row=people["ended"],
        valid_from=now - timedelta(days=10),
        valid_to=now - timedelta(days=1),
    )
    people["later"] = fd.person(session, tenant)
    fd.grant(session, p_a, person_row=people["later"], valid_from=now + timedelta(days=2))
    cards: dict[str, str] = {}
    card_ids: dict[str, uuid.UUID] = {}
    for name, who in people.items():
        row = fd.credential(session, who)
        cards[name], card_ids[name] = row.identifier, row.id
    row = fd.credential(session, people["nurse"], state=CredentialState.LOST)
    cards["nurse_lost"], card_ids["nurse_lost"] = row.identifier, row.id
    row = fd.credential(session, people["guest"], valid_to=now + timedelta(days=5))
    cards["guest_short"], card_ids["guest_short"] = row.identifier, row.id
    fa.pin(session, people["nurse"], PIN)
    other_tenant = f.municipality(session)
    stranger = fd.person(session, other_tenant)
    row = fd.credential(session, stranger)
    cards["stranger"], card_ids["stranger"] = row.identifier, row.id
    return City(
        tenant=tenant.id,
        edge_doors=[secure.id, scheduled.id, pin_door.id, escape.id, plain.id],
        other_door=other.id,
        people=people,
        cards=cards,
        card_ids=card_ids,
        profiles={"a": p_a.id, "ab": p_ab.id, "night": p_night.id, "b": p_b.id, "c": p_c.id},
        schedules={"always": always.id, "office": office.id, "night": night.id},
        now=now,
    )


def centre_state(session: Session) -> DecisionState:
    """The centre's own compiled index, loaded as a process loads it."""
    index = CompiledIndex()
    Loader(index).load_all(session)
    return index


def edge_snapshot(session: Session, city: City, settings: SnapshotSettings) -> Json:
    """The snapshot body of the city's edge (its two doors), built at ``city.now``."""
    return build_snapshot(session, city.tenant, city.edge_doors, city.now, settings=settings)
