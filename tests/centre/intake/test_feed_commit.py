"""A commit that published queue changes tells this process's followers at once; a
rollback, or a commit that published nothing, does not."""

from __future__ import annotations

from sqlalchemy.orm import Session

from stadsvakt.auth.secrets import SecretBox
from stadsvakt.centre import feed
from stadsvakt.db import create_db_engine, create_session_factory
from stadsvakt.migrate import upgrade
from stadsvakt.settings import Settings
from tests import factories as f
from tests.factories_alarms import alarm, transmitter


def test_only_a_commit_that_published_changes_calls_back(fresh_database_url: str) -> None:
    settings = Settings(database_url=fresh_database_url, _env_file=None)
    engine = create_db_engine(settings)
    upgrade(settings, engine)
    calls: list[str] = []
    stop = feed.on_commit(lambda: calls.append("woken"))
    try:
        factory = create_session_factory(engine)
        with factory() as session:
            _alarm_in(session)
            session.rollback()
        assert calls == []
        with factory() as session:
            f.municipality(session)
            session.commit()
        assert calls == []
        with factory() as session:
            _alarm_in(session)
            session.commit()
        assert calls == ["woken"]
    finally:
        stop()
        engine.dispose()
    again = create_db_engine(settings)
    with create_session_factory(again)() as session:
        _alarm_in(session)
        session.commit()
    again.dispose()
    assert calls == ["woken"]  # stopped: no second call


def _alarm_in(session: Session) -> None:
    tenant = f.municipality(session)
    row = transmitter(session, SecretBox("k" * 32), tenant, f.site(session, tenant))
    alarm(session, row, "Nri1/FA01")
