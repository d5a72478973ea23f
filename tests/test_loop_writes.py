"""Write transactions from the event loop: on the loop for SQLite, never waiting there."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.orm import Session

from stadsvakt.db import create_db_engine, create_session_factory, lock_was_busy, unit_of_work
from stadsvakt.loop_writes import INLINE_ROWS, LoopWrites
from stadsvakt.settings import Settings
from tests.waiting import wait_until_async


@pytest.fixture
def engine(fresh_database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(Settings(database_url=fresh_database_url, _env_file=None))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (body VARCHAR(20))"))
    yield engine
    engine.dispose()


def _note(body: str) -> Callable[[Session], str]:
    def work(session: Session) -> str:
        session.execute(text("INSERT INTO notes (body) VALUES (:b)"), {"b": body})
        return threading.current_thread().name

    return work


def _bodies(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT body FROM notes ORDER BY body"))]


def test_sqlite_writes_on_the_loop_and_postgres_in_a_thread(engine: Engine) -> None:
    writes = LoopWrites(create_session_factory(engine))
    thread = asyncio.run(writes.run(_note("one")))
    on_loop = thread == threading.main_thread().name
    assert writes.inline is (engine.dialect.name == "sqlite")
    assert on_loop is writes.inline
    assert _bodies(engine) == ["one"]


def test_a_large_sqlite_write_runs_in_a_thread(engine: Engine) -> None:
    writes = LoopWrites(create_session_factory(engine))
    thread = asyncio.run(writes.run(_note("many"), rows=INLINE_ROWS + 1))
    assert thread != threading.main_thread().name
    assert _bodies(engine) == ["many"]


def test_a_taken_sqlite_lock_moves_the_write_to_a_thread_that_waits(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    factory = create_session_factory(engine)
    holder = engine.connect()
    holder.execute(text("INSERT INTO notes (body) VALUES ('holder')"))  # BEGIN IMMEDIATE
    busy_in: list[str] = []  # the threads in which the write found the lock taken

    @event.listens_for(engine, "handle_error")
    def _busy(context: ExceptionContext) -> None:
        if context.sqlalchemy_exception is not None and lock_was_busy(context.sqlalchemy_exception):
            busy_in.append(threading.current_thread().name)

    def _a_worker_thread_waits() -> bool:
        return any(name != threading.main_thread().name for name in busy_in)

    async def scenario() -> str:
        task = asyncio.create_task(LoopWrites(factory).run(_note("waiter")))
        # The loop is free while the write waits for the lock in its thread.
        await wait_until_async(_a_worker_thread_waits, "the write to wait in a worker thread")
        assert not task.done()
        holder.commit()
        return await task

    thread = asyncio.run(scenario())
    holder.close()
    assert thread != threading.main_thread().name
    assert _bodies(engine) == ["holder", "waiter"]


def test_no_wait_transaction_fails_with_busy_and_leaves_the_connection_usable(
    tmp_path: Path,
) -> None:
    engine = create_db_engine(Settings(database_url=f"sqlite:///{tmp_path / 'l.db'}"))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (body VARCHAR(20))"))
    factory = create_session_factory(engine)
    holder = engine.connect()
    holder.execute(text("INSERT INTO notes (body) VALUES ('holder')"))
    with pytest.raises(Exception) as caught, unit_of_work(factory, wait=False) as session:
        session.execute(text("INSERT INTO notes (body) VALUES ('refused')"))
    assert lock_was_busy(caught.value)
    holder.commit()
    holder.close()
    # The refused connection went back to the pool with its normal busy timeout.
    with unit_of_work(factory) as session:
        session.execute(text("INSERT INTO notes (body) VALUES ('later')"))
        assert session.execute(text("PRAGMA busy_timeout")).scalar_one() == 30_000
    assert _bodies(engine) == ["holder", "later"]
    engine.dispose()


def test_errors_of_the_work_itself_are_raised_not_retried(engine: Engine) -> None:
    calls: list[int] = []

    def work(session: Session) -> None:
        calls.append(1)
        session.execute(text("INSERT INTO no_such_table VALUES (1)"))

    with pytest.raises(Exception) as caught:
        asyncio.run(LoopWrites(create_session_factory(engine)).run(work))
    assert not lock_was_busy(caught.value)
    assert calls == [1]
