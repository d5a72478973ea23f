"""``stadsvakt bench``: benchmark commands (JSON on stdout, progress on stderr)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from benchmarks.console.cli import console
from benchmarks.dc09.cli import dc09
from benchmarks.decisions.run import Options, run
from benchmarks.edge.cli import edge
from benchmarks.ui.cli import ui

bench_app = typer.Typer(help="Benchmarks (JSON on stdout).", no_args_is_help=True)
bench_app.command("dc09")(dc09)
bench_app.command("console")(console)
bench_app.command("ui")(ui)
bench_app.command("edge")(edge)


@bench_app.command("decisions")
def decisions(
    scale: Annotated[
        float, typer.Option(min=0.0001, max=1.0, help="Fraction of the full-size city")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed of the city and the requests")] = 20260112,
    requests: Annotated[int, typer.Option(min=100, help="In-process requests")] = 100_000,
    rival_seconds: Annotated[
        float, typer.Option(min=0.1, help="Time budget for each of pycasbin and cedarpy")
    ] = 10.0,
    http: Annotated[bool, typer.Option(help="Also run the HTTP part against `serve`")] = True,
    http_rate: Annotated[float, typer.Option(min=1, help="HTTP requests per second")] = 1000.0,
    http_seconds: Annotated[float, typer.Option(min=0.5, help="HTTP run length")] = 10.0,
    http_workers: Annotated[
        int, typer.Option(min=1, max=64, help="`serve --workers` for the HTTP part")
    ] = 2,
    only: Annotated[
        str | None,
        typer.Option(help="'http': skip pycasbin and cedarpy, run only the HTTP part"),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="Database to fill (default: a temporary SQLite file)")
    ] = None,
) -> None:
    """Decisions: stadsvakt vs pycasbin vs cedarpy, HTTP, index memory, deactivation delay."""
    if only not in (None, "http"):
        raise typer.BadParameter("only 'http' is known", param_hint="--only")
    options = Options(
        scale=scale,
        seed=seed,
        requests=requests,
        rival_seconds=rival_seconds,
        http=http or only == "http",
        http_rate=http_rate,
        http_seconds=http_seconds,
        http_workers=http_workers,
        only_http=only == "http",
        database_url=database_url,
    )
    result = run(options, Console(stderr=True))
    typer.echo(json.dumps(result, indent=2, sort_keys=True))
