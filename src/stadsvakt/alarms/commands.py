"""The alarm reception commands: ``transmitters import``, ``receive …`` and ``simulate …``.

They take the command line's shared helpers as a ``CliKit`` (as the directory and
portability commands do), so this module does not import the command line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.progress import Progress
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.csv_import import ImportRejected, import_transmitters
from stadsvakt.alarms.receivers.dc09 import Dc09Receiver
from stadsvakt.alarms.receivers.mqtt import MqttReceiver
from stadsvakt.alarms.receivers.run import Receiver, loop_factory, run_receivers
from stadsvakt.alarms.receivers.sip import ScaipReceiver
from stadsvakt.alarms.simulate.panels_command import register_command as simulate_panels
from stadsvakt.alarms.simulate.social_command import register_command as simulate_social
from stadsvakt.alarms.supervision.watcher import Supervisor
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import unit_of_work
from stadsvakt.directory.commands import CliKit
from stadsvakt.errors import DomainError
from stadsvakt.ports import CannotListen, Listener, check_free, dc09_listener, sip_listener
from stadsvakt.runtime import serving
from stadsvakt.settings import AlarmSettings

CsvFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV file (UTF-8)")]
MunicipalityOpt = Annotated[str | None, typer.Option(help="Kommunkod, if there are several")]
HostOpt = Annotated[str | None, typer.Option(help="Address to listen on")]
#: Builds a receiver from the alarm settings, a session factory and the secret box.
BuildReceiver = Callable[[AlarmSettings, sessionmaker[Session], SecretBox], Receiver]


def run_until_interrupted(kit: CliKit, engine: Engine, receivers: list[Receiver]) -> None:
    """Print where each receiver listens and run them until Ctrl-C or SIGTERM."""
    for receiver in receivers:
        kit.console.print(receiver.describe())
    try:
        with serving(engine), asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(run_receivers(receivers))
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass


def register(app: typer.Typer, kit: CliKit) -> None:
    """Add ``transmitters``, ``receive`` and ``simulate`` to the command line."""
    transmitters = typer.Typer(help="Alarm transmitters (larmsändare).", no_args_is_help=True)
    receive = typer.Typer(help="Run an alarm receiver on its own.", no_args_is_help=True)
    simulate = typer.Typer(
        help="Simulated devices that send alarms to a receiver.", no_args_is_help=True
    )
    app.add_typer(transmitters, name="transmitters")
    app.add_typer(receive, name="receive")
    app.add_typer(simulate, name="simulate")
    _transmitter_commands(transmitters, kit)
    _receive_commands(receive, kit)
    simulate_panels(simulate, kit)
    simulate_social(simulate, kit)


def _transmitter_commands(transmitters: typer.Typer, kit: CliKit) -> None:
    @transmitters.command("import")
    def transmitters_import(file: CsvFile, municipality: MunicipalityOpt = None) -> None:
        """Import transmitters from CSV: all rows or none (see docs/alarms.md for the columns)."""
        services = kit.services()
        lines = file.read_text(encoding="utf-8-sig").splitlines()
        try:
            with (
                acting_as(system_actor(kit.operator_name())),
                unit_of_work(services.session_factory) as session,
                Progress(console=kit.err, transient=True) as progress,
            ):
                tenant = kit.pick_municipality(session, municipality)
                actor = system_actor(kit.operator_name(), tenant.id)
                task = progress.add_task("Importing transmitters", total=max(len(lines) - 1, 0))
                summary = import_transmitters(
                    session,
                    actor,
                    services.box,
                    lines,
                    progress=lambda n: progress.advance(task, n),
                )
        except ImportRejected as exc:
            for problem in exc.row_errors:
                kit.err.print(f"[red]{file.name}[/red]: {problem}")
            raise kit.fail(f"{len(exc.row_errors)} error(s); nothing was imported") from exc
        except (DomainError, UnicodeDecodeError) as exc:
            raise kit.fail(str(exc)) from exc
        kit.console.print(
            f"Imported {summary.rows} transmitters: {summary.created} new,"
            f" {summary.updated} updated"
        )


def _receive_commands(receive: typer.Typer, kit: CliKit) -> None:
    @receive.command("dc09")
    def receive_dc09(
        host: HostOpt = None,
        port: Annotated[int | None, typer.Option(help="TCP and UDP port")] = None,
    ) -> None:
        """Run the SIA DC-09 receiver (TCP and UDP) in this process, without the web server."""
        _run_one(kit, Dc09Receiver, dc09_host=host or None, dc09_port=port)

    @receive.command("sip")
    def receive_sip(
        host: HostOpt = None,
        port: Annotated[int | None, typer.Option(help="UDP and TCP port")] = None,
    ) -> None:
        """Run the SCAIP social-alarm receiver (SIP over UDP and TCP) without the web server."""
        _run_one(kit, ScaipReceiver, sip_host=host or None, sip_port=port)

    @receive.command("mqtt")
    def receive_mqtt(
        host: Annotated[str | None, typer.Option(help="MQTT broker's address")] = None,
        port: Annotated[int | None, typer.Option(help="MQTT broker's port")] = None,
        prefix: Annotated[str | None, typer.Option(help="Topic prefix")] = None,
    ) -> None:
        """Take JSON technical and door alarms from the MQTT broker, without the web server."""
        _run_one(kit, MqttReceiver, mqtt_host=host, mqtt_port=port, mqtt_topic_prefix=prefix)

    @receive.command("supervision")
    def receive_supervision() -> None:
        """Run transmitter supervision (path failure on silence) without the web server."""
        _run_one(kit, _supervisor)


def _run_one(kit: CliKit, build: BuildReceiver, **overrides: str | int | None) -> None:
    """Load the settings, apply the options given (not ``None``), run one receiver until Ctrl-C.

    The changed alarm settings are validated again, so an option breaking a field's
    rule (a port out of range, a topic prefix with MQTT wildcards) is refused here.
    """
    settings = kit.load_settings()
    given = {name: value for name, value in overrides.items() if value is not None}
    if given:
        try:
            settings.alarms = AlarmSettings.model_validate(settings.alarms.model_dump() | given)
        except ValidationError as exc:
            raise kit.fail(str(exc)) from exc
    services = kit.current_services(settings)
    receiver = build(settings.alarms, services.session_factory, services.box)
    try:
        check_free(_listeners(receiver, settings.alarms))
    except CannotListen as exc:
        # One line (never wrapped): the address, what is wrong, the setting to change.
        kit.err.print(f"[red]Error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    run_until_interrupted(kit, services.engine, [receiver])


def _listeners(receiver: Receiver, alarms: AlarmSettings) -> list[Listener]:
    """The addresses a receiver listens on (none for MQTT, a client, or supervision)."""
    if isinstance(receiver, Dc09Receiver):
        return [dc09_listener(alarms)]
    if isinstance(receiver, ScaipReceiver):
        return [sip_listener(alarms)]
    return []


def _supervisor(alarms: AlarmSettings, factory: sessionmaker[Session], box: SecretBox) -> Receiver:
    return Supervisor(alarms, factory)
