"""``stadsvakt bench console``: the command (JSON on stdout, progress on stderr)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from benchmarks.console.run import DEFAULT_POSTGRES, Options, run


def console(
    rate: Annotated[float, typer.Option(min=1, help="Alarms per second, steady phase")] = 100.0,
    seconds: Annotated[float, typer.Option(min=0.5, help="Steady phase length")] = 10.0,
    sessions: Annotated[int, typer.Option(min=1, max=500, help="Operator sessions")] = 10,
    storm_rate: Annotated[float, typer.Option(min=1, help="AC-loss frames per second")] = 1000.0,
    storm_seconds: Annotated[float, typer.Option(min=1, help="Storm length")] = 20.0,
    storm_panels: Annotated[int, typer.Option(min=1, help="Panels reporting AC loss")] = 2000,
    chromium: Annotated[int, typer.Option(min=0, help="Alarms timed in Chromium (0: none)")] = 10,
    postgres: Annotated[bool, typer.Option(help="Run on PostgreSQL instead of SQLite")] = False,
    postgres_url: Annotated[
        str, typer.Option(help="PostgreSQL server (throwaway database)")
    ] = DEFAULT_POSTGRES,
) -> None:
    """Frame to operator's browser: steady alarms and a power-cut storm with fire alarms."""
    options = Options(
        rate=rate,
        seconds=seconds,
        sessions=sessions,
        storm_rate=storm_rate,
        storm_seconds=storm_seconds,
        storm_panels=storm_panels,
        chromium=chromium,
        postgres_url=postgres_url if postgres else None,
    )
    result = run(options, Console(stderr=True))
    typer.echo(json.dumps(result, indent=2, sort_keys=True))
