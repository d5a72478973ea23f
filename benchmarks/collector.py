"""Keeping the load generator's own garbage collector out of the latencies it measures."""

from __future__ import annotations

import gc


def quiet_collector() -> None:
    """Freeze every object made so far (the city, the accounts, the imported modules).

    The load generator runs in the process that built the benchmark's data: hundreds of
    thousands to millions of objects. A full collection walks them all and stalls the
    sender for 100 ms and more, and every request planned meanwhile would count as a
    slow answer of the server under test. Frozen, they are skipped.
    """
    gc.collect()
    gc.freeze()
