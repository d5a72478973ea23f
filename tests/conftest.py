"""Shared fixtures: every test runs on SQLite, and again on PostgreSQL when
``STADSVAKT_TEST_POSTGRES_URL`` is set; each test runs inside a transaction that is
rolled back, so tests never see each other's data."""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.api.deps import Services
from stadsvakt.app import bind_services, create_app
from stadsvakt.auth.passwords import Passwords
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.db import create_db_engine
from stadsvakt.migrate import upgrade
from stadsvakt.settings import SecuritySettings, Settings

pytest_plugins = ["tests.browser"]

POSTGRES_ENV = "STADSVAKT_TEST_POSTGRES_URL"

# pytest-xdist hands its workers the controller's terminal width as COLUMNS, and Rich
# fixes a console's width from COLUMNS when the console is made (the CLI makes its
# consoles at import). Without it, the width is read on each print, so a test's
# CliRunner(env={"COLUMNS": ...}) decides how wide the CLI's tables are.
os.environ.pop("COLUMNS", None)
BACKENDS = ["sqlite", "postgresql"]


def fast_security() -> SecuritySettings:
    """Cheap argon2 parameters: tests check behaviour, not hashing cost."""
    return SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024)


def clean_environment(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    """No STADSVAKT_* variable or .env from the machine leaks into a settings test: the
    variables go and the test runs in ``directory``."""
    for name in list(os.environ):
        if name.startswith("STADSVAKT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(directory)


def worker_name() -> str:
    """This test process's name under pytest-xdist (``gw0``, ``gw1``...), else ``main``."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def worker_postgres_url(base: str) -> str:
    """This worker's own PostgreSQL database beside ``base`` (created when missing), so
    parallel workers never share one."""
    url = make_url(base)
    name = f"{url.database}_{worker_name()}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


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
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    url = worker_postgres_url(base)
    reset_postgres(url)
    return url


@dataclass
class Backend:
    """One backend's migrated test database, its engine and the app the tests share."""

    settings: Settings
    engine: Engine
    app: FastAPI


class Backends:
    """Each backend's database is migrated and its app built once per test process.

    Pytest tears a parametrized session fixture down when the next test asks for another
    parameter; under xdist a worker can switch backends more than once, so what is
    expensive lives here, keyed by backend, until the session ends.
    """

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._built: dict[str, Backend] = {}

    def get(self, backend: str) -> Backend:
        """The backend's database and app, built on first use."""
        if backend not in self._built:
            url = database_url(backend, self._tmp.mktemp(backend))
            settings = Settings(database_url=url, security=fast_security(), _env_file=None)
            engine = create_db_engine(settings)
            upgrade(settings, engine)
            self._built[backend] = Backend(settings, engine, create_app(settings, services=None))
        return self._built[backend]

    def close(self) -> None:
        """Dispose of every engine."""
        for built in self._built.values():
            built.app.state.services.engine.dispose()
            built.engine.dispose()


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    """The per-process cache of migrated databases and shared apps."""
    cache = Backends(tmp_path_factory)
    yield cache
    cache.close()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend this round of tests runs on."""
    return str(request.param)


@pytest.fixture(scope="session")
def migrated_settings(backend: str, backends: Backends) -> Settings:
    """Settings for a database migrated to head once per backend (and per worker)."""
    return backends.get(backend).settings


@pytest.fixture(scope="session")
def engine(backend: str, backends: Backends) -> Engine:
    """The engine of the migrated test database."""
    return backends.get(backend).engine


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
def app(backend: str, backends: Backends, services: Services) -> FastAPI:
    """The application under test: one app per backend and process, given this test's
    services (bound to its rolled-back transaction) and a fresh decision index and event
    writer. A test that needs other settings builds its own with ``create_app``."""
    shared = backends.get(backend).app
    bind_services(shared, services)
    return shared


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
        # A connection the test left open would otherwise be collected (and reported as
        # an unclosed-connection warning) in whichever later test the collector runs.
        gc.collect()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
