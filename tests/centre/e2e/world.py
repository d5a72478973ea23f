"""The end-to-end operator flow's world: a committed database with everything a night's
burglary alarm needs, seeded through the real services, and a real DC-09 receiver over it.

On top of :func:`tests.centre.live.world.world` (the centre's municipality, a site with
coordinates and a DC-09 transmitter) it adds two operators with web logins, a guard
(väktare) whose phone logs in as a field unit user, the site's keyholder and an action
plan for intrusion with a mandatory call step and a dispatch step for a guard.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count

from sqlalchemy.orm import Session

from stadsvakt.alarms.metrics import Metrics
from stadsvakt.alarms.models import Transmitter
from stadsvakt.alarms.receivers.dc09 import Dc09Receiver
from stadsvakt.api.deps import Services
from stadsvakt.auth.passwords import Passwords
from stadsvakt.auth.schemas import RoleAssignmentIn, UserCreate
from stadsvakt.auth.service import create_user
from stadsvakt.centre.contacts import create_contact
from stadsvakt.centre.plans.schemas import ContactIn, PlanIn, StepIn
from stadsvakt.centre.plans.service import create_plan
from stadsvakt.centre.plans.steps import ContactRole, StepKind
from stadsvakt.centre.positions import record_position
from stadsvakt.centre.units.models import PositionSource, UnitStatus, UnitType
from stadsvakt.centre.units.schemas import PositionIn, UnitCreate
from stadsvakt.centre.units.service import create_unit
from stadsvakt.context import acting_as
from stadsvakt.db import unit_of_work
from stadsvakt.org.models import Site
from tests import factories as f
from tests import factories_alarms as fa
from tests.alarms.conftest import RunningReceiver, alarm_settings, exchange
from tests.centre.live.world import World, world

#: The guard's call sign, as the dispatch panel and the phone page show it.
GUARD_CALL_SIGN = "Väktare 12"
KEYHOLDER = "Karin Ek"
CALL_STEP = "Ring nyckelhållaren"
DISPATCH_STEP = "Larma ut väktare"


@dataclass(frozen=True)
class Login:
    """A user's web login and the name the pages show for them."""

    id: uuid.UUID
    username: str
    password: str
    name: str


@dataclass
class Night:
    """A committed world for one burglary alarm handled from panel to statistics."""

    live: World
    account: str
    site_name: str
    site_street: str
    ada: Login
    bo: Login
    guard: Login

    @property
    def url(self) -> str:
        """The database's URL."""
        return self.live.url

    @property
    def services(self) -> Services:
        """The services over the committed database (for the receiver and the checks)."""
        return self.live.services


def _person(
    session: Session, tenant_id: uuid.UUID, passwords: Passwords, name: str, role: str
) -> Login:
    actor = f.system(tenant_id)
    username = name.split()[0].lower() + uuid.uuid4().hex[:4]
    data = UserCreate(
        username=username,
        display_name=name,
        password=f.PASSWORD,
        roles=[RoleAssignmentIn(role=role)],
    )
    with acting_as(actor):
        user = create_user(session, actor, data, passwords)
    return Login(user.id, username, f.PASSWORD, name)


def _guard(session: Session, tenant_id: uuid.UUID, site: Site, passwords: Passwords) -> Login:
    """The guard's phone login, linked to an available guard unit a few hundred metres
    from the site."""
    login = _person(session, tenant_id, passwords, "Gustav Vakt", "field_unit")
    actor = f.system(tenant_id)
    with acting_as(actor):
        unit = create_unit(
            session,
            actor,
            UnitCreate(
                call_sign=GUARD_CALL_SIGN,
                name="Gustav Vakt",
                unit_type=UnitType.GUARD,
                company="Nattvakt AB",
                status=UnitStatus.AVAILABLE,
                user_id=login.id,
            ),
        )
    assert site.latitude is not None and site.longitude is not None
    near = PositionIn(latitude=site.latitude + 0.004, longitude=site.longitude + 0.003)
    record_position(session, unit, near, PositionSource.MANUAL)
    return login


def _plan(session: Session, tenant_id: uuid.UUID, site_id: uuid.UUID) -> None:
    """The site's keyholder, and its plan for intrusion: call them (mandatory), send a guard."""
    actor = f.system(tenant_id)
    with acting_as(actor):
        create_contact(
            session,
            actor,
            site_id,
            ContactIn(name=KEYHOLDER, role=ContactRole.KEYHOLDER, phone="070-111 11 11"),
        )
        steps = [
            StepIn(
                kind=StepKind.CALL,
                instruction=CALL_STEP,
                mandatory=True,
                roles=[ContactRole.KEYHOLDER],
            ),
            StepIn(kind=StepKind.DISPATCH, instruction=DISPATCH_STEP, unit_type=UnitType.GUARD),
        ]
        create_plan(session, actor, PlanIn(site_id=site_id, category="intrusion", steps=steps))


@contextmanager
def night(url: str) -> Iterator[Night]:
    """Migrate ``url`` and commit the centre, its people, the guard and the plan."""
    with world(url) as live:
        services = live.services
        with unit_of_work(services.session_factory) as session:
            site = session.get_one(Site, live.site_id)
            transmitter = session.get_one(Transmitter, live.transmitter_id)
            made = Night(
                live=live,
                account=transmitter.account,
                site_name=site.name,
                site_street=site.street,
                ada=_person(session, live.tenant_id, services.passwords, "Ada Lind", "operator"),
                bo=_person(session, live.tenant_id, services.passwords, "Bo Berg", "operator"),
                guard=_guard(session, live.tenant_id, site, services.passwords),
            )
            _plan(session, live.tenant_id, live.site_id)
        yield made


@contextmanager
def panel_receiver(made: Night) -> Iterator[RunningReceiver]:
    """A DC-09 receiver (TCP, on a free port) in a thread over the night's database."""
    services = made.services
    receiver = Dc09Receiver(
        alarm_settings(), services.session_factory, services.box, metrics=Metrics()
    )
    running = RunningReceiver(receiver).start()
    try:
        yield running
    finally:
        running.stop()


_sequences = count(1)


def send_burglary(receiver: RunningReceiver, account: str) -> bytes:
    """A panel's burglary alarm (SIA ``BA``, zone 1) over TCP; the receiver's reply."""
    frame = fa.sia_frame(account, next(_sequences), "Nri1/BA01")
    with socket.create_connection(receiver.tcp, timeout=10) as sock:
        return exchange(sock, frame)
