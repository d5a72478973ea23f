"""Settling a long-running server process before it takes load.

A server process answers alarms and door decisions within milliseconds, so two of
CPython's defaults cost it more than they save:

* the cyclic garbage collector's full collections walk every object the process made
  while starting (modules, settings, compiled queries: a few hundred thousand), which
  stalls the event loop for 100 ms and more under load; :func:`gc.freeze` moves them
  out of the collector's reach once start-up is over;
* a thread that waits for the interpreter lock gets it only after the switch interval
  (5 ms by default); the database writers run in worker threads and take and release
  the lock several times per commit, so a commit could wait that long each time while
  the event loop is busy.

On SQLite the process also checkpoints the write-ahead log in the background
(:mod:`stadsvakt.wal`) while it serves.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from stadsvakt.wal import background_checkpoints

#: Seconds a thread may hold the interpreter lock while another waits for it.
SWITCH_INTERVAL_S = 0.0005


def settle_heap() -> None:
    """Collect the garbage, then freeze what is left out of the cyclic collector's walks.

    What an earlier call froze is thawed first and collected with the rest: a frozen
    object that later became garbage in a reference cycle (an old index, a closed engine)
    is never collected while frozen, so without the thaw every call would keep the
    previous call's garbage for the life of the process.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


@contextmanager
def serving(engine: Engine) -> Iterator[None]:
    """Settle this process for serving on ``engine`` while the block runs (see the module):
    start-up's objects frozen, a short lock switch interval, background WAL checkpoints."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    settle_heap()
    try:
        with background_checkpoints(engine):
            yield
    finally:
        sys.setswitchinterval(previous)
