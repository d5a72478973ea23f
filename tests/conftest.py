"""Shared fixtures: every test runs on SQLite, and again on PostgreSQL when
``STADSVAKT_TEST_POSTGRES_URL`` is set; each test runs inside a transaction that is
rolled back, so tests never see each other's data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.api.deps import Services
from stadsvakt.app import create_app
from stadsvakt.auth.passwords import Passwords
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.db import create_db_engine
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings

POSTGRES_ENV = "STADSVAKT_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]


def fast_security() -> SecuritySettings:
    """Cheap argon2 parameters: tests check behaviour, not hashing cost."""
    return SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024)


def reset_postgres(url: str) -> None:
    """Empty the test database's public schema."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def database_url(backend: str, tmp_dir: Path) -> str:
    """A fresh, empty database URL for the backend (skips PostgreSQL when not configured)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir / 'test.db'}"
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    reset_postgres(url)
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend this round of tests runs on."""
    return str(request.param)


@pytest.fixture(scope="session")
def migrated_settings(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for a database migrated to head once per backend."""
    url = database_url(backend, tmp_path_factory.mktemp(backend))
    settings = Settings(database_url=url, security=fast_security(), _env_file=None)
    engine = create_db_engine(settings)
    upgrade(settings, engine)
    engine.dispose()
    return settings


@pytest.fixture(scope="session")
def engine(migrated_settings: Settings) -> Iterator[Engine]:
    """The engine of the migrated test database."""
    eng = create_db_engine(migrated_settings)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose outer transaction is rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits only release savepoints inside the test's transaction."""
    return sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for calling services directly."""
    with session_factory() as s:
        yield s


@pytest.fixture
def settings(migrated_settings: Settings) -> Settings:
    """The test settings."""
    return migrated_settings


@pytest.fixture
def services(
    settings: Settings, engine: Engine, session_factory: sessionmaker[Session]
) -> Services:
    """The app's shared services, bound to the test transaction."""
    return Services(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        passwords=Passwords(settings.security),
        box=SecretBox(settings.security.secret_key.get_secret_value()),
    )


@pytest.fixture
def app(settings: Settings, services: Services) -> FastAPI:
    """The application under test."""
    return create_app(settings, services)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTPS test client (so Secure cookies are sent back)."""
    with TestClient(app, base_url="https://testserver") as c:
        yield c


@pytest.fixture
def fresh_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database that tests may commit to.

    SQLite: a temp file. PostgreSQL: a throwaway database beside the test database,
    dropped afterwards, so the shared one is never touched.
    """
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    name = f"stadsvakt_tmp_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
