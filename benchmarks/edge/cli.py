"""``stadsvakt bench edge``: the command (JSON on stdout, progress on stderr)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from benchmarks.dc09.run import DEFAULT_POSTGRES
from benchmarks.edge.run import PARTS, Options, run

BACKENDS = {"sqlite": ("sqlite",), "postgresql": ("postgresql",), "both": ("sqlite", "postgresql")}


def edge(
    backend: Annotated[str, typer.Option(help="sqlite, postgresql or both")] = "both",
    scale: Annotated[
        float, typer.Option(min=0.0001, max=1.0, help="Fraction of the 60,000-person city")
    ] = 1.0,
    edges: Annotated[
        int, typer.Option(min=1, max=20_000, help="Edges (one door each) for the revocation")
    ] = 1000,
    outage_hours: Annotated[
        float, typer.Option(min=0.0003, max=24.0, help="Hours the centre is down")
    ] = 1.0,
    doors: Annotated[
        int, typer.Option(min=1, max=126, help="Doors of the snapshot's and outage's edge")
    ] = 20,
    skip: Annotated[
        list[str] | None, typer.Option(help=f"Parts to leave out (repeatable): {', '.join(PARTS)}")
    ] = None,
    reads: Annotated[int, typer.Option(min=1, help="Granted card reads timed over OSDP")] = 300,
    snapshot_runs: Annotated[int, typer.Option(min=1, help="Snapshot builds timed")] = 7,
    upload_batch: Annotated[
        int, typer.Option(min=1, max=1000, help="Events per upload (edge.toml's upload_batch)")
    ] = 200,
    centre_in_process: Annotated[
        bool,
        typer.Option(help="Outage: the centre on a thread here, not `stadsvakt serve` (quick)"),
    ] = False,
    hub_inflight: Annotated[
        int | None,
        typer.Option(
            min=1, help="What-if: the hub's QoS 1 messages in flight (default: paho's 20)"
        ),
    ] = None,
    postgres_url: Annotated[
        str, typer.Option(help="PostgreSQL server (a throwaway database is made beside it)")
    ] = DEFAULT_POSTGRES,
    seed: Annotated[int, typer.Option(help="Seed of the city and the reads")] = 20261206,
) -> None:
    """Edge: snapshot build and size, door decision latency, outage upload, revocation."""
    if backend not in BACKENDS:
        raise typer.BadParameter("sqlite, postgresql or both", param_hint="--backend")
    unknown = set(skip or ()) - set(PARTS)
    if unknown:
        raise typer.BadParameter(f"known parts: {', '.join(PARTS)}", param_hint="--skip")
    options = Options(
        scale=scale,
        seed=seed,
        backends=BACKENDS[backend],
        postgres_url=postgres_url,
        edges=edges,
        outage_hours=outage_hours,
        doors=doors,
        skip=frozenset(skip or ()),
        snapshot_runs=snapshot_runs,
        reads=reads,
        upload_batch=upload_batch,
        centre_in_process=centre_in_process,
        hub_inflight=hub_inflight,
    )
    result = run(options, Console(stderr=True))
    typer.echo(json.dumps(result, indent=2, sort_keys=True))
