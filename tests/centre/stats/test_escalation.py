"""An activation nobody claims within its priority's limit alerts the shift leader, once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.audit.models import AuditEntry
from stadsvakt.centre import escalation, feed
from stadsvakt.centre.escalation import (
    escalate_once,
    escalate_unclaimed,
    escalated,
    overdue_count,
    run_escalation,
)
from stadsvakt.centre.models import ActivationEntry
from stadsvakt.centre.service_levels import ServiceLevels, from_settings
from stadsvakt.db import utcnow
from stadsvakt.errors import Forbidden
from stadsvakt.settings import CentreSettings
from tests.centre.stats.helpers import Centre, activation, admin, centre, staff
from tests.waiting import wait_until_async


@pytest.fixture
def town(session: Session) -> Centre:
    return centre(session)


def _entries(session: Session, activation_id: object) -> list[ActivationEntry]:
    return list(
        session.scalars(
            select(ActivationEntry)
            .where(ActivationEntry.activation_id == activation_id)
            .where(ActivationEntry.kind == "escalated")
        )
    )


def test_escalated_after_the_limit_and_not_before(session: Session, town: Centre) -> None:
    now = utcnow()
    fire = activation(
        session, town.a_site, now - timedelta(seconds=29), category="fire", priority=1
    )
    assert escalate_unclaimed(session, now) == []
    later = now + timedelta(seconds=2)  # 31 s: past priority 1's 30 s
    before = feed.head(session)
    assert escalate_unclaimed(session, later) == [fire]
    session.refresh(fire)
    assert fire.escalated_at == later and fire.version == 2
    [entry] = _entries(session, fire.id)
    assert entry.data == {"reason": "unclaimed", "limit_s": 30, "waited_s": 31}
    assert entry.at == later
    [change] = feed.changes_since(session, before)
    assert (change.activation_id, change.kind, change.version) == (str(fire.id), "updated", 2)
    audited = session.scalars(select(AuditEntry).where(AuditEntry.object_id == str(fire.id))).all()
    assert [row.action for row in audited] == ["centre.activation.escalate"]


def test_escalation_is_idempotent(session: Session, town: Centre) -> None:
    now = utcnow()
    row = activation(session, town.a_site, now - timedelta(minutes=10), priority=2)
    assert escalate_unclaimed(session, now) == [row]
    head = feed.head(session)
    assert escalate_unclaimed(session, now + timedelta(seconds=1)) == []
    assert escalate_unclaimed(session, now + timedelta(hours=1)) == []
    assert len(_entries(session, row.id)) == 1
    assert feed.head(session) == head
    session.refresh(row)
    assert row.version == 2


def test_each_priority_waits_its_own_limit(session: Session, town: Centre) -> None:
    now = utcnow()
    ages = {1: 31, 2: 59, 3: 121, 4: 100, 6: 299, 7: 301}
    rows = {
        priority: activation(session, town.a_site, now - timedelta(seconds=age), priority=priority)
        for priority, age in ages.items()
    }
    assert overdue_count(session, now) == 3
    done = escalate_unclaimed(session, now)
    assert {row.priority for row in done} == {1, 3, 7}
    assert done == sorted(done, key=lambda row: row.priority)
    assert rows[2].escalated_at is None and rows[4].escalated_at is None


def test_claimed_and_closed_activations_are_not_escalated(session: Session, town: Centre) -> None:
    now = utcnow()
    old = now - timedelta(hours=1)
    activation(session, town.a_site, old, priority=1, ack_s=5)
    activation(session, town.a_site, old, priority=1, ack_s=5, close_s=60)
    assert escalate_unclaimed(session, now) == []


def test_the_limits_come_from_the_settings(session: Session, town: Centre) -> None:
    now = utcnow()
    settings = CentreSettings(unclaimed_limit_s={4: 10}, unclaimed_limit_default_s=600)
    levels = from_settings(settings)
    burglary = activation(session, town.a_site, now - timedelta(seconds=11), priority=4)
    fire = activation(session, town.a_site, now - timedelta(seconds=100), priority=1)
    assert escalate_unclaimed(session, now, levels) == [burglary]
    assert fire.escalated_at is None
    [entry] = _entries(session, burglary.id)
    assert entry.data["limit_s"] == 10


def test_shift_leaders_see_the_escalations_of_the_municipalities_they_serve(
    session: Session, town: Centre
) -> None:
    now = utcnow()
    old = now - timedelta(hours=1)
    own = activation(session, town.a_site, old, priority=1)
    served = activation(session, town.b_site, old, priority=2)
    theirs = activation(session, town.c_site, old, priority=1)  # another centre's
    closed = activation(session, town.a_site, old, priority=1)
    escalate_unclaimed(session, now)
    closed.state = closed.state.CLOSED
    session.flush()
    leader = staff(town.a, lead=True)
    found = escalated(session, leader)
    assert [e.activation for e in found] == [own, served]
    assert [(e.reason, e.limit_s) for e in found] == [("unclaimed", 30), ("unclaimed", 60)]
    assert [e.activation for e in escalated(session, staff(town.c, lead=True))] == [theirs]
    with pytest.raises(Forbidden):
        escalated(session, staff(town.a))  # an operator is no shift leader
    with pytest.raises(Forbidden):
        escalated(session, admin(town.a))


def test_a_round_looks_first_and_escalates_in_its_own_transaction(
    session: Session, session_factory: sessionmaker[Session], town: Centre
) -> None:
    row = activation(session, town.a_site, utcnow() - timedelta(hours=1), priority=1)
    session.commit()  # a savepoint in the test's transaction, which the round's session joins
    assert escalate_once(session_factory, ServiceLevels()) == 1
    assert escalate_once(session_factory, ServiceLevels()) == 0
    session.expire_all()
    assert len(_entries(session, row.id)) == 1


def test_the_loop_escalates_until_cancelled(
    session: Session,
    session_factory: sessionmaker[Session],
    town: Centre,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    row = activation(session, town.a_site, utcnow() - timedelta(hours=1), priority=1)
    session.commit()
    rounds: list[int] = []

    def counted(factory: sessionmaker[Session], levels: ServiceLevels) -> int:
        # The test's sessions share one connection: only the loop's thread may use it
        # while the loop runs, so the test waits on the rounds' results, not the database.
        rounds.append(escalate_once(factory, levels))
        return rounds[-1]

    monkeypatch.setattr(escalation, "escalate_once", counted)

    async def scenario() -> None:
        task = asyncio.create_task(
            run_escalation(session_factory, CentreSettings(escalation_poll_s=0.05))
        )
        await wait_until_async(lambda: len(rounds) >= 2, "two rounds of the loop")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    assert rounds[0] == 1 and set(rounds[1:]) == {0}
    session.expire_all()
    assert len(_entries(session, row.id)) == 1


def test_no_loop_when_the_poll_is_zero(session_factory: sessionmaker[Session]) -> None:
    asyncio.run(run_escalation(session_factory, CentreSettings(escalation_poll_s=0)))
