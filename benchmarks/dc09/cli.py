"""``stadsvakt bench dc09``: the command (JSON on stdout, progress on stderr)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from benchmarks.dc09.run import DEFAULT_POSTGRES, Options, run


def dc09(
    connections: Annotated[int, typer.Option(min=1, max=20_000, help="TCP connections")] = 500,
    duration: Annotated[float, typer.Option(min=0.2, help="Seconds per load phase")] = 10.0,
    encrypted_share: Annotated[float, typer.Option(min=0, max=1, help="AES share")] = 0.3,
    heartbeat_share: Annotated[
        float, typer.Option(min=0, max=1, help="NULL share of the mixed load")
    ] = 0.5,
    fixed_rate: Annotated[float, typer.Option(min=1, help="Alarm frames/s, open loop")] = 1000.0,
    postgres_url: Annotated[
        str, typer.Option(help="PostgreSQL server (a throwaway database is made there)")
    ] = DEFAULT_POSTGRES,
    postgres: Annotated[bool, typer.Option(help="Also run stadsvakt on PostgreSQL")] = True,
    pysiaalarm: Annotated[bool, typer.Option(help="Also run pysiaalarm")] = True,
    supervision: Annotated[bool, typer.Option(help="Also measure supervision")] = True,
    supervision_transmitters: Annotated[int, typer.Option(min=1)] = 250_000,
    supervision_duration: Annotated[float, typer.Option(min=1)] = 45.0,
) -> None:
    """DC-09 reception: stadsvakt (SQLite, PostgreSQL) vs pysiaalarm; supervision."""
    options = Options(
        connections=connections,
        duration_s=duration,
        encrypted_share=encrypted_share,
        heartbeat_share=heartbeat_share,
        fixed_rate=fixed_rate,
        postgres_url=postgres_url if postgres else None,
        pysiaalarm=pysiaalarm,
        supervision=supervision,
        supervision_transmitters=supervision_transmitters,
        supervision_duration_s=supervision_duration,
    )
    result = run(options, Console(stderr=True))
    typer.echo(json.dumps(result, indent=2, sort_keys=True))
