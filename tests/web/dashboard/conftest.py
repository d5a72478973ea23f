"""The dashboard's world: the role tests' municipality plus something for every panel to
count: orphan cards, grants ending soon and later, people lacking required training (by a
grant and by a position profile), a silent transmitter, today's alarms and access
denials over the last days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessEvent, AccessProfile
from stadsvakt.access.schemas.profiles import PositionProfileCreate, ProfileCreate
from stadsvakt.access.services import profiles
from stadsvakt.alarms.models import Transmitter
from stadsvakt.api.deps import Services
from stadsvakt.centre.models import Activation
from stadsvakt.centre.queue import OPEN_STATES
from stadsvakt.context import acting_as
from stadsvakt.db import utcnow
from stadsvakt.directory.models import Person
from tests import factories as f
from tests import factories_access as fa
from tests import factories_alarms as fal
from tests import factories_directory as fd
from tests.web.roles.world import RoleWorld, build

COURSE = "Heta arbeten"


@dataclass
class Board:
    """The world and what the system owner's panels must count."""

    world: RoleWorld
    expected: dict[str, int]
    denials_today: int


def _profile_with_course(session: Session, world: RoleWorld) -> AccessProfile:
    actor = f.system(world.tenant.id)
    zone = fa.zone(session, world.site)
    data = ProfileCreate(
        code="HETA",
        name="Verkstaden",
        org_unit_id=world.unit.id,
        schedule_id=world.ids["schedule"],
        zone_ids=[zone.id],
        required_course=COURSE,
    )
    with acting_as(actor):
        return profiles.create_profile(session, actor, data)


def _grant(session: Session, who: Person, profile: AccessProfile, days: int) -> None:
    fa.grant(session, who, profile, hours=days * 24)


def _lacking_training(session: Session, world: RoleWorld) -> int:
    """Two people lack the course (one by a grant, one by a position); one has it."""
    heta = _profile_with_course(session, world)
    by_grant = fd.person(session, world.tenant, unit=world.unit, position="Vaktmästare")
    _grant(session, by_grant, heta, 30)
    trained = fd.person(session, world.tenant, unit=world.unit, position="Vaktmästare")
    _grant(session, trained, heta, 30)
    fd.training(session, trained, course=COURSE, expires=None)
    actor = f.system(world.tenant.id)
    data = PositionProfileCreate(
        org_unit_id=world.department.id,
        position="Svetsare",
        include_subunits=True,
        profile_id=heta.id,
    )
    with acting_as(actor):
        profiles.create_position_profile(session, actor, data)
    fd.person(session, world.tenant, unit=world.unit, position="Svetsare")
    expired = fd.person(session, world.tenant, unit=world.unit, position="Svetsare")
    fd.training(session, expired, course=COURSE, expires=(utcnow() - timedelta(days=40)).date())
    return 3


def add_denials(session: Session, world: RoleWorld) -> int:
    now = utcnow()
    for days_ago, reason in (
        (0, "no_right"),
        (0, "no_right"),
        (0, "outside_schedule"),
        (3, "no_right"),
    ):
        session.add(
            AccessEvent(
                tenant_id=world.tenant.id,
                at=now - timedelta(days=days_ago, minutes=1),
                door_id=world.ids["door"],
                credential="04AABBCCDD",
                granted=False,
                reason=reason,
            )
        )
    session.add(
        AccessEvent(
            tenant_id=world.tenant.id,
            at=now - timedelta(minutes=1),
            door_id=world.ids["door"],
            credential="04AABBCCDD",
            granted=True,
            reason="granted_by_grant",
        )
    )
    session.flush()
    return 3


def _open_activations(session: Session, world: RoleWorld) -> int:
    """The world's activation and any the intake opened for its alarm."""
    stmt = select(func.count()).where(
        Activation.tenant_id == world.tenant.id, Activation.state.in_(OPEN_STATES)
    )
    return int(session.scalar(stmt) or 0)


@pytest.fixture
def board(session: Session, services: Services) -> Board:
    """The world with something for every panel."""
    world = build(session, services)
    orphan = fd.person(session, world.tenant, unit=world.unit)
    fa.card(session, orphan)
    other_orphan = fd.person(session, world.tenant, unit=world.other_department)
    fa.card(session, other_orphan)
    person = session.get_one(Person, world.ids["person"])
    _grant(session, person, session.get_one(AccessProfile, world.ids["profile"]), 3)
    _grant(session, person, session.get_one(AccessProfile, world.ids["profile"]), 10)
    lacking = _lacking_training(session, world)
    silent = session.get_one(Transmitter, world.ids["transmitter"])
    silent.path_failed_at = utcnow()
    fal.transmitter(session, services.box, world.tenant, world.other_site)
    session.flush()
    denials = add_denials(session, world)
    expected = {
        "orphans": 2,
        # The world's two one-day grants, the three-day one (not the ten-day one); the
        # training grants run 30 days.
        "ending": 3,
        "training": lacking,
        "shortfall": 1,
        "silent": 1,
        "alarms_today": 1,
        "open_activations": _open_activations(session, world),
        "units": 3,
        "sites": 2,
        "external": 0,
    }
    return Board(world, expected, denials)
