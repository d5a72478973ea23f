"""The DC-09 benchmark runs end to end at a tiny scale (no timing is asserted)."""

from __future__ import annotations

import os

import pytest
from benchmarks.dc09.run import Options, run
from rich.console import Console

from tests.conftest import POSTGRES_ENV

RECEIVER_KEYS = {
    "frames_per_s",
    "ack_p50_ms",
    "ack_p99_ms",
    "fixed_rate_ack_p99_ms",
    "heartbeats_per_s",
    "alarms_acked",
}
KEYS = {
    "ratio_vs_pysiaalarm",
    "heartbeats_per_s",
    "load.connections",
    "load.encrypted_share",
    "load.alarm_frames_acked",
    "load.fixed_rate",
} | {
    f"{receiver}.{key}" for receiver in ("stadsvakt_sqlite", "pysiaalarm") for key in RECEIVER_KEYS
}
SUPERVISION_KEYS = {
    "supervision.transmitters",
    "supervision.detect_delay_s_max",
    "supervision.cpu_share",
}


@pytest.mark.slow
def test_the_benchmark_runs_at_a_tiny_scale() -> None:
    postgres = os.environ.get(POSTGRES_ENV)
    options = Options(
        connections=6,
        duration_s=0.4,
        fixed_rate=30,
        postgres_url=postgres,
        supervision_transmitters=50,
        supervision_interval_s=10,
        supervision_silent=3,
        supervision_duration_s=6.0,
    )
    result = run(options, Console(stderr=True, quiet=True))
    assert KEYS <= set(result)
    names = ["stadsvakt_sqlite", "pysiaalarm"] + (["stadsvakt_postgres"] if postgres else [])
    for name in names:
        assert result[f"{name}.errors"] == result[f"{name}.refused"] == 0, name
        assert result[f"{name}.alarms_acked"] > 0
    # Every alarm frame stadsvakt acknowledged is in its database, exactly once.
    assert result["stadsvakt_sqlite.alarms_stored"] == result["stadsvakt_sqlite.alarms_acked"]
    assert result["load.connections"] == 6
    if postgres:
        assert (
            result["stadsvakt_postgres.alarms_stored"] == result["stadsvakt_postgres.alarms_acked"]
        )
        assert result["ratio_vs_pysiaalarm_postgres"] is not None
    assert SUPERVISION_KEYS <= set(result)
    assert result["supervision.transmitters"] == 50
