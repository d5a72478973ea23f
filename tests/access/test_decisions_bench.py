"""The decision benchmark runs end to end at a small scale (no timing is asserted)."""

from __future__ import annotations

import pytest
from benchmarks.decisions.run import Options, run
from rich.console import Console

KEYS = {
    "stadsvakt.decisions_per_s",
    "stadsvakt.p50_us",
    "stadsvakt.p99_us",
    "pycasbin.decisions_per_s",
    "cedarpy.decisions_per_s",
    "ratio_vs_pycasbin",
    "ratio_vs_cedarpy",
    "http.rate",
    "http.p50_ms",
    "http.p99_ms",
    "http.server_cpu_ms_per_request",
    "index_bytes",
    "scim_deactivation_to_deny_ms",
    "city.people",
    "city.credentials",
    "city.doors",
    "city.profiles",
}


@pytest.mark.slow
def test_the_benchmark_runs_at_a_small_scale() -> None:
    options = Options(scale=0.005, requests=300, rival_seconds=0.5, http_rate=50, http_seconds=1.0)
    result = run(options, Console(stderr=True, quiet=True))
    assert KEYS <= set(result)
    assert result["city.people"] == 300 and result["city.doors"] == 100
    assert result["http.errors"] == 0
    assert result["http.workers"] == 2 and result["http.server_cpu_ms_per_request"] > 0
    assert result["index_bytes"] > 0
    # The rivals got the same rights: they mostly agree with stadsvakt on the same requests.
    assert result["cedarpy.agreement"] > 0.9
    assert result["scim_deactivation_to_deny_ms"] < 10_000
