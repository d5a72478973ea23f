"""The supervision benchmark runs end to end at a tiny scale (behaviour only, no timing)."""

from __future__ import annotations

import pytest
from benchmarks.dc09.supervision import measure_supervision

KEYS = {
    "transmitters",
    "silent",
    "detected",
    "false_failures",
    "detect_delay_s_max",
    "detect_delay_s_mean",
    "cpu_share",
    "load_s",
}


@pytest.mark.slow
def test_the_benchmark_detects_the_silent_transmitters(fresh_database_url: str) -> None:
    result = measure_supervision(
        transmitters=200,
        interval_s=10,
        silent=5,
        database_url=fresh_database_url,
        duration_s=10.0,
        grace_s=5,
    )
    assert KEYS <= set(result)
    assert result["transmitters"] == 200
    assert result["detected"] == 5
    assert result["false_failures"] == 0
