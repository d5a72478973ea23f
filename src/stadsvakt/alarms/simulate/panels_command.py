"""``stadsvakt simulate panels``: simulated DC-09 panels against a running receiver.

The panels come from ``--csv FILE`` (the ``transmitters import`` format; with
``--register`` the file is imported first) or are planned here and registered with
``--register`` (on ``--site CODE``, or spread over the municipality's sites).
"""

from __future__ import annotations

import asyncio
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from stadsvakt.alarms.csv_import import ImportRejected, import_transmitters
from stadsvakt.alarms.simulate.accounts import (
    panels_from_csv,
    plan_panels,
    register_panels,
    site_codes,
)
from stadsvakt.alarms.simulate.panels import PanelSpec
from stadsvakt.alarms.simulate.runner import PanelFleet, RunOptions, Tally
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import unit_of_work
from stadsvakt.directory.commands import CliKit
from stadsvakt.errors import DomainError

#: How long to wait after registering before sending (a receiver's registry poll and more).
REGISTRY_PICKUP_S = 2.5


class Transport(StrEnum):
    """How the panels reach the receiver."""

    TCP = "tcp"
    UDP = "udp"


def _describe(tally: Tally) -> str:
    return (
        f"{tally.events} events, {tally.heartbeats} heartbeats: {tally.acked} ACK, "
        f"{tally.nak} NAK, {tally.duh} DUH, {tally.timeouts} timeouts, {tally.resent} re-sent"
    )


def register_command(simulate: typer.Typer, kit: CliKit) -> None:
    """Add ``simulate panels`` to the ``simulate`` group."""

    @simulate.command("panels")
    def simulate_panels(
        count: Annotated[int, typer.Option(min=1, max=100_000, help="Panels (connections)")] = 10,
        rate: Annotated[float, typer.Option(min=0, help="Events per second, all panels")] = 1.0,
        host: Annotated[str | None, typer.Option(help="Receiver address")] = None,
        port: Annotated[int | None, typer.Option(help="Receiver port")] = None,
        duration: Annotated[
            float | None, typer.Option(min=0.1, help="Seconds to run (default: until Ctrl-C)")
        ] = None,
        encrypted_share: Annotated[
            float, typer.Option(min=0, max=1, help="Share of planned panels with an AES key")
        ] = 0.3,
        transport: Annotated[Transport, typer.Option(help="tcp or udp")] = Transport.TCP,
        interval: Annotated[
            float, typer.Option(min=10, help="Heartbeat interval of planned panels (s)")
        ] = 90.0,
        register: Annotated[
            bool, typer.Option("--register", help="Register the panels (audited) first")
        ] = False,
        site: Annotated[str | None, typer.Option(help="Site code to register them on")] = None,
        csv_file: Annotated[
            Path | None,
            typer.Option("--csv", exists=True, dir_okay=False, help="Panels from an import CSV"),
        ] = None,
        municipality: Annotated[str | None, typer.Option(help="Kommunkod, if several")] = None,
        seed: Annotated[int | None, typer.Option(help="Seed of the event mix")] = None,
    ) -> None:
        """Simulate DC-09 panels: heartbeats, SIA and Contact ID events, ACKs counted."""
        settings = kit.load_settings()
        if csv_file is None and not register:
            raise kit.fail("give --register (plan and register panels) or --csv FILE")
        lines = csv_file.read_text(encoding="utf-8-sig").splitlines() if csv_file else None
        try:
            specs = (
                panels_from_csv(lines)
                if lines is not None
                else plan_panels(count, encrypted_share=encrypted_share, interval_s=interval)
            )
            if register:
                _register(kit, specs, lines, site, municipality)
        except ImportRejected as exc:
            for problem in exc.row_errors:
                kit.err.print(f"[red]import[/red]: {problem}")
            raise kit.fail(f"{len(exc.row_errors)} error(s); nothing was registered") from exc
        except DomainError as exc:
            raise kit.fail(str(exc)) from exc
        if not specs:
            raise kit.fail("no DC-09 panels to simulate")
        target = host or settings.alarms.dc09_host
        options = RunOptions(
            host="127.0.0.1" if target in {"0.0.0.0", "::"} else target,
            port=settings.alarms.dc09_port if port is None else port,
            rate=rate,
            duration_s=duration,
            transport=transport.value,
            seed=seed,
        )
        tally = _run(kit, specs, options)
        kit.console.print_json(data=tally.summary())


def _register(
    kit: CliKit,
    specs: list[PanelSpec],
    lines: list[str] | None,
    site: str | None,
    municipality: str | None,
) -> None:
    services = kit.services()
    with (
        acting_as(system_actor(kit.operator_name())),
        unit_of_work(services.session_factory) as session,
    ):
        tenant = kit.pick_municipality(session, municipality)
        actor = system_actor(kit.operator_name(), tenant.id)
        with acting_as(actor):
            if lines is not None:
                summary = import_transmitters(session, actor, services.box, lines)
            else:
                codes = site_codes(session, actor, site)
                summary = register_panels(session, actor, services.box, specs, codes)
    kit.err.print(
        f"Registered {summary.rows} transmitters: {summary.created} new, {summary.updated} updated"
    )
    # A running receiver polls the registry every 2 s; until then it answers DUH.
    time.sleep(REGISTRY_PICKUP_S)


def _run(kit: CliKit, specs: list[PanelSpec], options: RunOptions) -> Tally:
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=kit.err
    ) as progress:
        task = progress.add_task(f"{len(specs)} panels", total=options.duration_s)

        def show(tally: Tally) -> None:
            progress.update(
                task, description=_describe(tally), completed=progress.tasks[0].elapsed or 0
            )

        kit.err.print(
            f"{len(specs)} panels → {options.host}:{options.port} ({options.transport}), "
            f"{options.rate} events/s"
        )
        fleet = PanelFleet(specs, options)
        try:
            asyncio.run(fleet.run(show))
        except KeyboardInterrupt:  # Ctrl-C ends a run without --duration: show the counts
            pass
    return fleet.tally
