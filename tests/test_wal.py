"""Background WAL checkpoints and the process settling of serving processes."""

from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path

from sqlalchemy import Engine, text

from stadsvakt.db import AUTOCHECKPOINT_PAGES, create_db_engine
from stadsvakt.runtime import SWITCH_INTERVAL_S, serving, settle_heap
from stadsvakt.settings import Settings
from stadsvakt.wal import Checkpointer, background_checkpoints
from tests.waiting import wait_until


def _engine(path: Path) -> Engine:
    return create_db_engine(Settings(database_url=f"sqlite:///{path}", _env_file=None))


def _fill(engine: Engine, rows: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (body TEXT)"))
    for _ in range(rows):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO filler VALUES (:b)"), {"b": "x" * 2000})


def test_connections_checkpoint_themselves_only_at_the_raised_limit(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "a.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == (
            AUTOCHECKPOINT_PAGES
        )
    engine.dispose()


def test_checkpointer_backfills_the_whole_log(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "b.db")
    _fill(engine, 50)
    busy, frames, done = Checkpointer(engine).checkpoint()
    assert (busy, done) == (0, frames) and frames > 0
    engine.dispose()


def test_background_checkpoints_run_while_the_block_runs(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "c.db")
    with background_checkpoints(engine) as checkpointer:
        assert checkpointer is not None
        _fill(engine, 20)
        wait_until(lambda: checkpointer.checkpoints >= 3, "three checkpoints")
    assert not checkpointer.running  # stopped with the block
    # Everything written is in the database file's log, and the log is backfilled.
    busy, frames, done = Checkpointer(engine).checkpoint()
    assert busy == 0 and done == frames
    engine.dispose()


def test_no_background_checkpoints_for_postgres_or_memory() -> None:
    for url in ("sqlite://", "postgresql+psycopg://nobody@127.0.0.1:1/none"):
        engine = create_db_engine(Settings(database_url=url, _env_file=None))
        with background_checkpoints(engine) as checkpointer:
            assert checkpointer is None
        engine.dispose()


def test_serving_settles_the_process_and_restores_the_switch_interval(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "d.db")
    before = sys.getswitchinterval()
    try:
        with serving(engine):
            assert sys.getswitchinterval() == SWITCH_INTERVAL_S
            assert gc.get_freeze_count() > 0
        assert sys.getswitchinterval() == before
    finally:
        gc.unfreeze()
        engine.dispose()


class _Cycle:
    """Garbage only the cyclic collector can free: it refers to itself."""

    def __init__(self) -> None:
        self.me = self


def test_settling_again_frees_what_an_earlier_settling_froze() -> None:
    try:
        kept = _Cycle()
        alive = weakref.ref(kept)
        settle_heap()
        del kept
        gc.collect()
        assert alive() is not None, "frozen: out of the collector's reach"
        settle_heap()
        assert alive() is None
    finally:
        gc.unfreeze()
