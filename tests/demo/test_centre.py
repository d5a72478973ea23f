"""The demo's safety centre: units, plans, contacts, cameras, a served municipality and a
month of history, as an operator of the demo finds them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.app import build_services
from stadsvakt.auth.models import User
from stadsvakt.auth.service import actor_for_user
from stadsvakt.centre.cameras.models import Camera
from stadsvakt.centre.models import Activation, ActivationState, Cause, TestWindow
from stadsvakt.centre.plans.models import ActionPlan, SiteContact
from stadsvakt.centre.plans.service import resolve
from stadsvakt.centre.tasks import TaskSchedule
from stadsvakt.centre.tenancy import restrict
from stadsvakt.centre.units.models import Dispatch, FieldUnit, UnitStatus
from stadsvakt.db import unit_of_work
from stadsvakt.demo.data import load_city
from stadsvakt.demo.run import demo_settings
from stadsvakt.demo.seed import seed_demo
from stadsvakt.demo.seed_alarms import seed_demo_alarms
from stadsvakt.demo.seed_centre import CentreSeed, seed_demo_centre
from stadsvakt.migrate import upgrade
from stadsvakt.org.models import Municipality
from stadsvakt.settings import Settings
from tests.conftest import fast_security

HISTORY = 40


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, CentreSeed]]:
    """A demo city with its centre on a temporary SQLite file (a short month of history)."""
    path = tmp_path_factory.mktemp("centre") / "demo.db"
    base = Settings(_env_file=None, security=fast_security())
    settings = demo_settings(base, database=path, host="127.0.0.1", port=8000)
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        city = seed_demo(session, services.passwords, load_city(), people=20)
        seed_demo_alarms(session, services.box, city.municipality.id)
        seeded = seed_demo_centre(
            session,
            services.box,
            city.municipality.id,
            camera_base="http://127.0.0.1:9/",
            history=HISTORY,
        )
    yield services, seeded
    services.engine.dispose()


@pytest.fixture
def session(demo: tuple[Services, CentreSeed]) -> Iterator[Session]:
    with demo[0].session_factory() as s:
        yield s


def _count(session: Session, model: type[object]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_centre_has_units_plans_contacts_cameras_and_planned_work(session: Session) -> None:
    units = list(session.scalars(select(FieldUnit)))
    assert len(units) == 8
    assert {u.status for u in units} >= {
        UnitStatus.AVAILABLE,
        UnitStatus.BUSY,
        UnitStatus.OFF_DUTY,
        UnitStatus.DISPATCHED,  # Väktare 1 is on the way to the school
    }
    assert all(u.latitude is not None for u in units)
    guard = next(u for u in units if u.call_sign == "V1")
    owner = session.get_one(User, guard.user_id)
    assert owner.username == "vaktare"
    assert _count(session, ActionPlan) >= 7
    assert _count(session, SiteContact) > 40
    cameras = list(session.scalars(select(Camera)))
    assert cameras and all(
        c.snapshot_url.startswith("http://127.0.0.1:9/cameras/") for c in cameras
    )
    assert _count(session, TaskSchedule) == 1
    assert _count(session, TestWindow) == 1


def test_the_served_municipality_falls_back_on_the_centres_plans(session: Session) -> None:
    grannby = session.scalars(select(Municipality).where(Municipality.code == "9002")).one()
    plan = resolve(session, grannby.id, None, "fire")
    assert plan is not None and plan.tenant_id != grannby.id


def test_the_month_was_handled_by_the_operators(
    session: Session, demo: tuple[Services, CentreSeed]
) -> None:
    seeded = demo[1]
    assert seeded.history.activations >= HISTORY
    closed = list(
        session.scalars(select(Activation).where(Activation.state == ActivationState.CLOSED))
    )
    assert len(closed) == seeded.history.activations
    assert {a.claimed_by_name for a in closed} <= {"Demo Larmoperatör", "Demo Larmoperatör 2"}
    assert all(a.acknowledged_at is not None and a.cause is not None for a in closed)
    assert Cause.FALSE in {a.cause for a in closed}
    arrived = session.scalars(select(Dispatch).where(Dispatch.arrived_at.is_not(None))).all()
    assert arrived and all(d.arrived_at and d.arrived_at > d.dispatched_at for d in arrived)
    assert seeded.open_now == 4


def test_an_operator_sees_the_served_municipalitys_activations(session: Session) -> None:
    grannby = session.scalars(select(Municipality).where(Municipality.code == "9002")).one()
    operator = actor_for_user(
        session.scalars(select(User).where(User.username == "operator")).one()
    )
    visible = session.scalars(restrict(select(Activation), session, operator)).all()
    assert grannby.id in {a.tenant_id for a in visible}
    reader = actor_for_user(session.scalars(select(User).where(User.username == "revisor")).one())
    own = session.scalars(restrict(select(Activation), session, reader)).all()
    assert grannby.id not in {a.tenant_id for a in own}


def test_the_centre_sizes_are_in_the_summary(demo: tuple[Services, CentreSeed]) -> None:
    counts = demo[1].counts()
    assert counts["field units"] == 8 and counts["cameras"] > 0
