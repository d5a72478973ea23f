"""The centre's periodic jobs: each writes only when it has something to do, and then
does it (held activations back to the queue, unanswered dispatches escalated)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.centre import jobs
from stadsvakt.centre.models import Activation, ActivationKind, ActivationState
from stadsvakt.centre.units.models import Dispatch, UnitType
from stadsvakt.db import create_db_engine, create_session_factory, utcnow
from stadsvakt.migrate import upgrade
from stadsvakt.settings import CentreSettings, Settings
from tests import factories as f


@pytest.fixture
def committed(fresh_database_url: str) -> Iterator[sessionmaker[Session]]:
    settings = Settings(database_url=fresh_database_url, _env_file=None)
    engine: Engine = create_db_engine(settings)
    upgrade(settings, engine)
    yield create_session_factory(engine)
    engine.dispose()


def _activation(session: Session, tenant_id: uuid.UUID, **values: object) -> Activation:
    now = utcnow()
    row = Activation(
        tenant_id=tenant_id,
        kind=ActivationKind.ALARM,
        category="intrusion",
        code="BA",
        priority=4,
        title="Inbrottslarm",
        group_key=f"test|{uuid.uuid4()}",
        opened_at=now,
        last_event_at=now,
        zones=[],
        **values,
    )
    session.add(row)
    session.flush()
    return row


def _job(name: str) -> jobs.Job:
    return next(job for job in jobs.jobs_of(CentreSettings()) if job.name == name)


def test_a_hold_past_its_time_returns_to_the_queue_and_nothing_else_is_written(
    committed: sessionmaker[Session],
) -> None:
    offer = _job("offer")
    assert not jobs.run_once(committed, offer)  # nothing held, nobody receiving
    with committed() as session:
        tenant = f.municipality(session)
        held = _activation(
            session,
            tenant.id,
            state=ActivationState.ON_HOLD,
            held_until=utcnow() - timedelta(seconds=1),
            hold_reason="Väntar på nyckelhållare",
        )
        session.commit()
        held_id = held.id
    assert jobs.run_once(committed, offer)
    with committed() as session:
        assert session.get_one(Activation, held_id).state is ActivationState.OPEN
    assert not jobs.run_once(committed, offer)


def test_a_dispatch_nobody_accepted_is_escalated_once(committed: sessionmaker[Session]) -> None:
    unanswered = _job("unanswered-dispatches")
    limit = CentreSettings().dispatch_accept_s
    with committed() as session:
        tenant = f.municipality(session)
        activation = _activation(session, tenant.id, state=ActivationState.CLAIMED)
        session.add(
            Dispatch(
                tenant_id=tenant.id,
                activation_id=activation.id,
                unit_type=UnitType.GUARD,
                unit_name="Väktare 1",
                dispatched_at=utcnow() - timedelta(seconds=limit + 5),
            )
        )
        session.commit()
        activation_id = activation.id
    assert jobs.run_once(committed, unanswered)
    assert not jobs.run_once(committed, unanswered)
    with committed() as session:
        dispatch = session.scalars(select(Dispatch)).one()
        assert dispatch.escalated_at is not None
        assert session.get_one(Activation, activation_id).escalated_at is not None
