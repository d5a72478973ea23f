"""The query planner's statistics of a SQLite database, kept fresh by the serving process.

PostgreSQL's autovacuum gathers statistics by itself; SQLite gathers them only when told
(``ANALYZE``). Without them its planner guesses, and over 100,000 credentials it guessed
wrong: a search answered by the trigram index (a handful of rows) was planned as a walk
over every credential of the municipality, because an equality on ``tenant_id`` looked
as narrow as one on the row. A whole ``ANALYZE`` of the 60,000-person city takes a
fifth of a second to a second, so it runs at each migration, and a serving process
runs it an interval after start and every interval after that
(``STADSVAKT_DATABASE__STATISTICS_INTERVAL_MINUTES``); the demo and the benchmarks run
it once they have written their city.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)

#: Index entries ANALYZE samples per index; 0 reads them all. A sample misled the planner:
#: it counted the one municipality of 60,000 people as 1,001 rows per value, which made
#: ``tenant_id`` look more selective than a department's units.
ANALYSIS_LIMIT = 0


def refresh_on(connection: Connection) -> None:
    """Gather statistics over ``connection`` if it is SQLite's (PostgreSQL's own)."""
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
    connection.exec_driver_sql("ANALYZE")


def refresh(engine: Engine) -> None:
    """Gather statistics of ``engine``'s database, in a transaction of its own."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as connection:
        refresh_on(connection)


async def _keep_fresh(engine: Engine, interval_s: float) -> None:
    while True:
        # The first after one interval, so a starting process never waits for it.
        await asyncio.sleep(interval_s)
        try:
            await asyncio.to_thread(refresh, engine)
        except Exception:  # a busy database: the next interval tries again
            log.exception("gathering the database's statistics failed")


@asynccontextmanager
async def kept_fresh(engine: Engine, interval_s: float) -> AsyncIterator[None]:
    """Refresh every ``interval_s`` while the block runs (nothing to do on PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        yield
        return
    task = asyncio.create_task(_keep_fresh(engine, interval_s), name="sqlite-statistics")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
