"""Alembic migrations: one head, an empty database reaches it, and they match the models."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, inspect

from stadsvakt.app import build_services, create_app
from stadsvakt.db import create_db_engine
from stadsvakt.migrate import current_revisions, head_revisions, is_current, upgrade
from stadsvakt.models import Base
from stadsvakt.settings import Settings
from stadsvakt.textsearch import modelled
from tests.conftest import fast_security

TABLES = {
    "audit_head",
    "audit_log",
    "municipalities",
    "org_units",
    "sites",
    "users",
    "roles",
    "role_assignments",
    "api_tokens",
    "web_sessions",
    "login_attempts",
}


def _settings(url: str) -> Settings:
    return Settings(database_url=url, security=fast_security(), _env_file=None)


def test_exactly_one_head() -> None:
    assert len(head_revisions(_settings("sqlite://"))) == 1


def test_empty_database_upgrades_to_head(fresh_database_url: str) -> None:
    settings = _settings(fresh_database_url)
    engine = create_db_engine(settings)
    try:
        assert not is_current(settings, engine)
        upgrade(settings, engine)
        assert current_revisions(engine) == head_revisions(settings)
        assert is_current(settings, engine)
        assert TABLES <= set(inspect(engine).get_table_names())
        # Upgrading again is a no-op, not an error.
        upgrade(settings, engine)
        assert is_current(settings, engine)
    finally:
        engine.dispose()


def test_models_match_migrations(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": modelled}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_readyz_is_503_on_an_unmigrated_database(tmp_path: Path) -> None:
    settings = _settings(f"sqlite:///{tmp_path / 'fresh.db'}")
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["database"] == "not migrated"
        assert client.get("/healthz").status_code == 200


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = _settings(f"sqlite:///{tmp_path / 'x.db'}")
    services = build_services(settings)
    # A SQLite file inside a directory that does not exist cannot be opened.
    services.engine.dispose()
    services = replace(services, engine=create_engine(f"sqlite:///{tmp_path / 'no' / 'x.db'}"))
    with TestClient(create_app(settings, services), base_url="https://testserver") as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
