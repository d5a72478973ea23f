"""The compiled index in several processes: each follows the change feed on its own engine,
so a change committed by one is seen by the others within a second, without full rebuilds."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.access.changes import Entity
from stadsvakt.access.decide import DecisionRequest, Reason, decide
from stadsvakt.access.index import follower
from stadsvakt.access.index.follower import AccessIndex
from stadsvakt.access.models import Credential, CredentialState
from stadsvakt.db import create_db_engine, create_session_factory, unit_of_work
from stadsvakt.directory.models import Person
from stadsvakt.migrate import upgrade
from stadsvakt.settings import Settings
from tests import factories as f
from tests import factories_decisions as fd
from tests.conftest import fast_security
from tests.waiting import wait_until

NOW = datetime(2026, 3, 11, 13, 0, tzinfo=UTC)


@dataclass
class Shared:
    a: sessionmaker[Session]
    b: sessionmaker[Session]
    tenant: uuid.UUID
    door: uuid.UUID
    card: str
    person: uuid.UUID
    engines: tuple[Engine, Engine]


@pytest.fixture
def shared(fresh_database_url: str) -> Iterator[Shared]:
    settings = Settings(database_url=fresh_database_url, security=fast_security(), _env_file=None)
    first, second = create_db_engine(settings), create_db_engine(settings)
    upgrade(settings, first)
    a, b = create_session_factory(first), create_session_factory(second)
    with unit_of_work(a) as session:
        tenant = f.municipality(session)
        unit = f.unit(session, tenant)
        zone = fd.zone(session, f.site(session, tenant, unit=unit))
        door = fd.door(session, zone)
        fd.position_profile(
            session,
            unit,
            "vaktmästare",
            fd.profile(session, tenant, [zone], fd.schedule(session, tenant)),
        )
        person = fd.person(session, tenant, unit=unit)
        fd.assignment(session, person, unit, "vaktmästare")
        card = fd.credential(session, person)
        ids = (tenant.id, door.id, card.identifier, person.id)
    yield Shared(a, b, *ids, engines=(first, second))
    first.dispose()
    second.dispose()


def _reason(index: AccessIndex, shared: Shared) -> Reason:
    request = DecisionRequest(shared.tenant, shared.door, shared.card)
    return decide(request, index.state, NOW).reason


def _until_reason(index: AccessIndex, shared: Shared, reason: Reason) -> float:
    """Poll as the background task does; returns the seconds until the reason shows."""

    def seen() -> bool:
        index.refresh(shared.b)
        return _reason(index, shared) is reason

    return wait_until(seen, f"process B to see {reason}", timeout=2.0, every=index.poll_seconds)


def test_a_change_in_one_process_reaches_another_within_a_second(shared: Shared) -> None:
    other = AccessIndex(poll_ms=200)
    other.refresh(shared.b)
    assert _reason(other, shared) is Reason.GRANTED_BY_POSITION
    with unit_of_work(shared.a) as session:
        card = session.scalars(select(Credential).where(Credential.identifier == shared.card)).one()
        card.state = CredentialState.REVOKED
        fd.changed(session, card, Entity.CREDENTIAL)
    assert _until_reason(other, shared, Reason.CREDENTIAL_REVOKED) < 1.0
    with unit_of_work(shared.a) as session:
        person = session.get_one(Person, shared.person)
        person.active = False
        fd.changed(session, person, Entity.PERSON)
        card = session.scalars(select(Credential).where(Credential.identifier == shared.card)).one()
        card.state = CredentialState.ACTIVE
        fd.changed(session, card, Entity.CREDENTIAL)
    assert _until_reason(other, shared, Reason.PERSON_INACTIVE) < 1.0
    # Followed change by change: the index was built once and never rebuilt.
    assert other.rebuilds == 1
    assert other.applied == 3


def test_both_processes_agree_after_a_burst_of_changes(shared: Shared) -> None:
    first, second = AccessIndex(), AccessIndex()
    first.refresh(shared.a)
    second.refresh(shared.b)
    with unit_of_work(shared.a) as session:
        person = session.get_one(Person, shared.person)
        for _ in range(5):
            fd.credential(session, person)
    with unit_of_work(shared.b) as session:
        person = session.get_one(Person, shared.person)
        fd.credential(session, person, identifier="CAFEBABE")
    first.refresh(shared.a)
    second.refresh(shared.b)
    assert set(first.state.credentials) == set(second.state.credentials)
    assert len(first.state.credentials) == 7
    assert (shared.tenant, "card", "CAFEBABE") in first.state.credentials


def test_a_decision_reads_the_feed_only_after_a_change_noted_here(shared: Shared) -> None:
    index = AccessIndex()
    with shared.b() as session:
        index.ensure(session)
    # Nothing noted since: a decision may use the index as it is, with no query.
    assert index.current() is index.state
    with unit_of_work(shared.a) as session:
        card = session.scalars(select(Credential).where(Credential.identifier == shared.card)).one()
        card.state = CredentialState.SUSPENDED
        fd.changed(session, card, Entity.CREDENTIAL)
    # This process noted (and committed) a change: the next decision reads the feed first.
    assert index.current() is None
    with shared.b() as session:
        index.ensure(session)
    assert index.current() is index.state
    assert _reason(index, shared) is Reason.CREDENTIAL_SUSPENDED


def test_only_a_large_index_is_frozen_out_of_the_collectors_walks(
    shared: Shared, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.unfreeze()
    try:
        with shared.a() as session:
            AccessIndex().build(session)
        assert gc.get_freeze_count() == 0, "a test city's index is small"
        monkeypatch.setattr(follower, "SETTLE_ENTRIES", 1)
        with shared.a() as session:
            AccessIndex().build(session)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
