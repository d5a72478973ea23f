"""``stadsvakt bench ui`` runs end to end at a tiny scale (no timing is asserted)."""

from __future__ import annotations

import os

from benchmarks.ui.run import Options, run
from rich.console import Console

KEYS = {"backend", "people_list_p99_ms", "credentials_list_p99_ms", "picker_search_p99_ms"}


def test_the_benchmark_runs_at_a_tiny_scale_on_each_backend() -> None:
    postgres = os.environ.get("STADSVAKT_TEST_POSTGRES_URL")
    backends = ("sqlite", "postgresql") if postgres else ("sqlite",)
    options = Options(scale=0.002, requests=1, backends=backends)
    if postgres:
        options.postgres_url = postgres
    result = run(options, Console(stderr=True, quiet=True))
    assert KEYS <= set(result)
    assert result["backend"] == ",".join(backends)
    for backend in backends:
        one = result["by_backend"][backend]
        assert KEYS <= set(one) and one["backend"] == backend
        assert one["city.people"] == 120 and one["city.doors"] == 40
        # Both users asked every shape: the figures come from real answers.
        assert one["people_list_requests"] == 2 * 5
        assert one["picker_search_requests"] == 2 * 3
    assert result["people_list_p99_ms"] == max(
        result["by_backend"][b]["people_list_p99_ms"] for b in backends
    )
