"""SQLite's planner statistics: gathered on demand and by a serving process's interval."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from stadsvakt import db_statistics
from tests.waiting import wait_until


def _indexed_table(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (k INTEGER, v TEXT)"))
        conn.execute(text("CREATE INDEX ix_t_k ON t (k)"))
        conn.execute(
            text("INSERT INTO t (k, v) VALUES (:k, :v)"),
            [{"k": i % 7, "v": str(i)} for i in range(500)],
        )
    return engine


def _statistics(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"))
        if exists.first() is None:
            return []
        rows = conn.execute(text("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 't'"))
        return [(str(idx), str(stat)) for idx, stat in rows]


def test_refresh_gathers_each_index_s_statistics(tmp_path: Path) -> None:
    engine = _indexed_table(tmp_path / "s.db")
    assert _statistics(engine) == []
    db_statistics.refresh(engine)
    # 500 rows; each k value holds about 500 / 7 of them.
    assert ("ix_t_k", "500 72") in _statistics(engine)
    engine.dispose()


def test_a_serving_process_refreshes_them_every_interval(tmp_path: Path) -> None:
    engine = _indexed_table(tmp_path / "s.db")

    async def serve() -> None:
        async with db_statistics.kept_fresh(engine, interval_s=0.01):
            await asyncio.to_thread(wait_until, lambda: bool(_statistics(engine)), "statistics")

    asyncio.run(serve())
    engine.dispose()
