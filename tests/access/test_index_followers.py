"""The compiled index in several processes: each follows the change feed on its own engine,
so a change committed by one is seen by the others within a second, without full rebuilds."""

from __future__ import annotations

import contextlib
import gc
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.access.changes import Entity
from stadsvakt.access.decide import DecisionRequest, Reason, decide
from stadsvakt.access.index import follower
from stadsvakt.access.index.follower import AccessIndex, IndexUnavailable, SessionMaker
from stadsvakt.access.models import AccessChange, Credential, CredentialState
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


def _cut_after(factory: sessionmaker[Session], statements: int) -> SessionMaker:
    """Sessions whose connection is cut just before their ``statements``-th statement (a
    dropped connection or a lock timeout at that point of a poll)."""

    @contextmanager
    def flaky() -> Iterator[Session]:
        with factory() as session:
            real = session.execute
            done = 0

            def execute(*args: Any, **kwargs: Any) -> Any:
                nonlocal done
                done += 1
                if done == statements:
                    session.connection().invalidate()
                return real(*args, **kwargs)

            session.execute = execute  # type: ignore[method-assign]
            yield session

    return flaky


def _suspend(shared: Shared, identifier: str) -> None:
    with unit_of_work(shared.a) as session:
        card = session.scalars(select(Credential).where(Credential.identifier == identifier)).one()
        card.state = CredentialState.SUSPENDED
        fd.changed(session, card, Entity.CREDENTIAL)


def test_a_poll_cut_between_reading_the_feed_and_reloading_loses_no_change(
    shared: Shared,
) -> None:
    index = AccessIndex()
    with shared.b() as session:
        index.ensure(session)
    assert _reason(index, shared) is Reason.GRANTED_BY_POSITION
    _suspend(shared, shared.card)
    # The first statement reads the feed; the connection goes before the card is reloaded.
    with pytest.raises(SQLAlchemyError):
        index.refresh(_cut_after(shared.b, 2))
    assert index.failed and index.current() is None
    # A decision that must catch up itself and cannot is refused, not made on the old state.
    with pytest.raises(IndexUnavailable), _cut_after(shared.b, 1)() as session:
        index.ensure(session)
    # The next poll reads the same change again and applies it.
    assert index.refresh(shared.b) == 1
    assert _reason(index, shared) is Reason.CREDENTIAL_SUSPENDED
    assert not index.failed


def test_suspensions_reach_the_index_through_polls_cut_at_every_point(shared: Shared) -> None:
    rng = random.Random(20261205)
    with unit_of_work(shared.a) as session:
        person = session.get_one(Person, shared.person)
        cards = [fd.credential(session, person).identifier for _ in range(29)]
    index = AccessIndex()
    index.refresh(shared.b)
    suspended: list[str] = []
    for card in cards:
        _suspend(shared, card)
        suspended.append(card)
        # Every poll in between dies at some statement: reading the feed, reloading the
        # card, or (a catch-up of many changes) half-way through.
        for _ in range(rng.randint(0, 3)):
            with contextlib.suppress(SQLAlchemyError):
                index.refresh(_cut_after(shared.b, rng.randint(1, 4)))
        if rng.random() < 0.3:
            with contextlib.suppress(SQLAlchemyError):
                index.refresh(shared.b)
    index.refresh(shared.b)
    for card in cards:
        request = DecisionRequest(shared.tenant, shared.door, card)
        assert decide(request, index.state, NOW).reason is Reason.CREDENTIAL_SUSPENDED, card
    assert _reason(index, shared) is Reason.GRANTED_BY_POSITION


def test_an_index_no_catch_up_has_reached_for_a_while_is_not_used_as_it_is(
    shared: Shared,
) -> None:
    now = [0.0]
    index = AccessIndex(poll_ms=200, clock=lambda: now[0])
    with shared.b() as session:
        index.ensure(session)
    assert index.current() is index.state
    # A poll stuck in a query: after stale_after without a finished catch-up, a decision
    # reads the feed itself first.
    now[0] += index.stale_after
    assert index.current() is None
    index.refresh(shared.b)
    assert index.current() is index.state


def test_one_catch_up_reads_every_batch_of_the_feed(shared: Shared) -> None:
    index = AccessIndex()
    index.refresh(shared.b)
    with unit_of_work(shared.a) as session:
        person = session.get_one(Person, shared.person)
        # A busy feed: more changes than one query reads (a bulk import, say).
        session.execute(
            insert(AccessChange),
            [
                {
                    "tenant_id": shared.tenant,
                    "entity": "person",
                    "entity_id": str(person.id),
                    "op": "upsert",
                }
                for _ in range(follower.BATCH)
            ],
        )
    _suspend(shared, shared.card)
    # A catch-up (a decision's, after a change noted here) must not stop after the first
    # batch and call itself current.
    assert index.refresh(shared.b) == follower.BATCH + 1
    assert _reason(index, shared) is Reason.CREDENTIAL_SUSPENDED
