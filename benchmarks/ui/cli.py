"""``stadsvakt bench ui``: the command (JSON on stdout, progress on stderr)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from benchmarks.dc09.run import DEFAULT_POSTGRES
from benchmarks.ui.run import Options, run

BACKENDS = ("sqlite", "postgresql")


def ui(
    scale: Annotated[
        float, typer.Option(min=0.0001, max=1.0, help="Fraction of the full-size city")
    ] = 1.0,
    requests: Annotated[
        int, typer.Option(min=1, help="Timed requests per page shape and user")
    ] = 40,
    backend: Annotated[
        str | None, typer.Option(help="sqlite or postgresql (default: both, one after the other)")
    ] = None,
    postgres_url: Annotated[
        str, typer.Option(help="PostgreSQL server (a throwaway database is made beside it)")
    ] = DEFAULT_POSTGRES,
    seed: Annotated[int, typer.Option(help="Seed of the city and the searches")] = 20261206,
) -> None:
    """People list, credentials list and picker searches: server time p50/p99."""
    if backend is not None and backend not in BACKENDS:
        raise typer.BadParameter("sqlite or postgresql", param_hint="--backend")
    options = Options(
        scale=scale,
        seed=seed,
        requests=requests,
        backends=(backend,) if backend else BACKENDS,
        postgres_url=postgres_url,
    )
    result = run(options, Console(stderr=True))
    typer.echo(json.dumps(result, indent=2, sort_keys=True))
