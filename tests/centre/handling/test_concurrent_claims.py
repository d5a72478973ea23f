"""Two operators claiming the same activation at the same moment, each in a transaction
of its own on a committed database: exactly one wins, the other is told who holds it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.api.deps import Services
from stadsvakt.app import build_services
from stadsvakt.centre import handling
from stadsvakt.centre.handling import HeldByOther
from stadsvakt.centre.models import Activation
from stadsvakt.context import Actor, acting_as
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import Settings
from tests import factories as f
from tests.centre.handling.conftest import activation, operator
from tests.conftest import fast_security

ROUNDS = 5


@pytest.fixture
def committed(fresh_database_url: str) -> Iterator[Services]:
    """Services over a migrated database that the test commits to."""
    settings = Settings(database_url=fresh_database_url, security=fast_security(), _env_file=None)
    services = build_services(settings)
    upgrade(settings, services.engine)
    try:
        yield services
    finally:
        services.engine.dispose()


def _claim(
    factory: sessionmaker[Session],
    actor: Actor,
    activation_id: uuid.UUID,
    start: threading.Barrier,
    results: dict[str, object],
) -> None:
    start.wait()
    try:
        with acting_as(actor), unit_of_work(factory) as session:
            handling.claim(session, actor, activation_id, version=1)
        results[actor.name] = "won"
    except HeldByOther as refused:
        results[actor.name] = refused


def test_two_claims_at_once_exactly_one_wins(committed: Services) -> None:
    factory = committed.session_factory
    with unit_of_work(factory) as session:
        tenant = f.municipality(session)
        site = f.site(session, tenant)
        anna = operator(session, tenant, committed, "operator")
        bertil = operator(session, tenant, committed, "operator")
        ids = [activation(session, tenant, site).id for _ in range(ROUNDS)]

    for activation_id in ids:
        start = threading.Barrier(2)
        results: dict[str, object] = {}
        threads = [
            threading.Thread(
                target=_claim, args=(factory, who.actor, activation_id, start, results)
            )
            for who in (anna, bertil)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        winners = [name for name, result in results.items() if result == "won"]
        losers = [result for result in results.values() if isinstance(result, HeldByOther)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert losers[0].extra["held_by"] == winners[0]
        with unit_of_work(factory) as session:
            row = session.get(Activation, activation_id)
            assert row is not None
            assert (row.claimed_by_name, row.version) == (winners[0], 2)
            kinds = [entry.kind for entry in handling.timeline(session, row)]
            assert kinds == ["event", "claimed"]
