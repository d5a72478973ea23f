"""``stadsvakt bench edge`` runs end to end at a tiny size (no timing is asserted): every
figure is printed, and the outage's events all reach the centre, each once."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from stadsvakt.cli import app as cli
from stadsvakt.edge.broker.mosquitto import MOSQUITTO
from tests.conftest import POSTGRES_ENV

KEYS = {
    "edges",
    "revocation_p50_ms",
    "revocation_p99_ms",
    "snapshot_build_ms",
    "snapshot_bytes",
    "edge_decision_p99_ms",
    "outage_events",
    "outage_upload_s",
    "outage_lost",
    "outage_duplicated",
}


@pytest.mark.slow
def test_the_benchmark_runs_at_a_tiny_size() -> None:
    postgres = os.environ.get(POSTGRES_ENV)
    args = ["bench", "edge", "--scale", "0.005", "--edges", "3", "--outage-hours", "0.002"]
    args += ["--reads", "4", "--snapshot-runs", "1", "--centre-in-process"]
    args += (
        ["--backend", "both", "--postgres-url", postgres] if postgres else ["--backend", "sqlite"]
    )
    revocation = MOSQUITTO.exists() or bool(os.environ.get("CI"))
    if not revocation:
        args += ["--skip", "revocation"]  # no broker here; under CI it is required

    result = CliRunner().invoke(cli, args)

    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert KEYS <= set(figures)
    backends = ["sqlite", "postgresql"] if postgres else ["sqlite"]
    assert figures["backend"] == ",".join(backends)
    # One read a second at each of the large site's 20 doors for 7 seconds.
    assert figures["outage_events"] == 7 * 20
    assert figures["outage_lost"] == 0 and figures["outage_duplicated"] == 0
    for backend in backends:
        one = figures["by_backend"][backend]
        assert one["outage_events"] == one["outage_stored_rows"] == one["outage_confirmed"]
        # The last batch sent again was stored before: all duplicates, nothing new.
        assert one["outage_resent_stored"] == 0
        assert one["outage_resent_duplicates"] == one["outage_resent"] > 0
        assert one["snapshot_bytes"] > 0 and one["snapshot.doors"] == 20
        if revocation:
            # Every edge denied the revoked card, and the hub's command did it.
            assert one["revocation_denied"] == 3 and one["revocation_missed"] == 0
            assert one["revocation_denied_by"] == {"revoke": 3}
    assert figures["edge_decision_reads"] == 4
    assert figures["edge_decision_p99_ms"] >= figures["edge_decision_p50_ms"] > 0
    assert figures["edges"] == (3 if revocation else None)
