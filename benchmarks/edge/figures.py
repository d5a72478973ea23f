"""Percentiles and rounding of the edge benchmark's samples."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``: the sample at that rank, none interpolated."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(prefix: str, values: Sequence[float], digits: int = 2) -> dict[str, float]:
    """``{prefix}_p50_ms``, ``_p99_ms``, ``_min_ms`` and ``_max_ms`` of samples in ms."""
    return {
        f"{prefix}_p50_ms": round(statistics.median(values), digits),
        f"{prefix}_p99_ms": round(percentile(values, 0.99), digits),
        f"{prefix}_min_ms": round(min(values), digits),
        f"{prefix}_max_ms": round(max(values), digits),
    }
