"""Database engine, sessions and the declarative base shared by every feature.

SQLite is the embedded default (WAL, foreign keys on, writes serialised with
``BEGIN IMMEDIATE``); PostgreSQL via psycopg 3 is the production database.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from stadsvakt.audit.keys import attach_keyring
from stadsvakt.settings import Settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Execution option that marks a read-only SQLite transaction (plain deferred BEGIN).
READ_ONLY = "stadsvakt_read_only"
#: Execution option of a SQLite write transaction that fails at once (SQLITE_BUSY) rather
#: than wait while another connection holds the write lock.
NO_WAIT = "stadsvakt_no_wait"
#: Milliseconds a SQLite connection waits for the write lock before giving up.
BUSY_TIMEOUT_MS = 30_000

#: The write-ahead log size (pages of 4 KiB) at which a committing connection checkpoints
#: it itself; serving processes checkpoint far earlier in the background (stadsvakt.wal).
AUTOCHECKPOINT_PAGES = 10_000


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite keeps no zone, so values are normalised to UTC on the way in and
    tagged as UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for Alembic."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


class IdMixin:
    """A random UUID primary key, so ids reveal nothing and merge across installations."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    """Creation and last-change times."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def is_sqlite(url: str) -> bool:
    """Whether a database URL points at SQLite."""
    return url.startswith("sqlite")


def create_db_engine(settings: Settings) -> Engine:
    """Build the engine for the configured database, with SQLite tuned for safe writes.

    Its connections carry the audit chain's keys (any session may write an audit row).
    """
    url = settings.database.url
    if is_sqlite(url):
        path = settings.sqlite_path()
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=settings.database.echo, connect_args={"timeout": 30})
        _tune_sqlite(engine)
    else:
        engine = create_engine(
            url,
            echo=settings.database.echo,
            pool_size=settings.database.pool_size,
            pool_pre_ping=True,
        )
    attach_keyring(engine, settings.audit)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so BEGIN IMMEDIATE can be issued.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that read
        # first and writes later can fail with SQLITE_BUSY_SNAPSHOT instead of waiting.
        options = conn.get_execution_options()
        if options.get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        elif options.get(NO_WAIT):
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def works_in_process(engine: Engine) -> bool:
    """Whether the database does its work on this process's CPU (SQLite) rather than in a
    server of its own (PostgreSQL). A writer then gains nothing from a worker thread: the
    work needs this process's interpreter lock either way, and handing it over and back
    several times per commit only adds waiting."""
    return engine.dialect.name == "sqlite"


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose sessions keep objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session], *, wait: bool = True) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises.

    ``wait=False``: on SQLite, raise at the first statement (see :func:`lock_was_busy`)
    instead of waiting while another connection holds the write lock.
    """
    with factory() as session:
        if not wait:
            session.bind = session.get_bind().execution_options(**{NO_WAIT: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def lock_was_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite refusing a ``wait=False`` transaction: the lock was taken."""
    orig = getattr(exc, "orig", None)
    return isinstance(exc, OperationalError) and (
        getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY
    )


def read_only(engine: Engine) -> Engine:
    """The same engine, but its transactions on SQLite do not take the write lock."""
    return engine.execution_options(**{READ_ONLY: True})


def read_only_session(factory: sessionmaker[Session]) -> Session:
    """A session for reads: on SQLite it does not take the write lock."""
    session = factory()
    bind = session.get_bind()
    session.bind = bind.execution_options(**{READ_ONLY: True})
    return session
