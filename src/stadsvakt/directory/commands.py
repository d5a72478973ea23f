"""The ``stadsvakt directory`` and ``stadsvakt training`` commands (CSV import and export).

The command line's shared helpers (settings, services, the operator's name,
choosing the municipality) are handed in as a :class:`CliKit` by ``cli.py``, so
this module does not import the command line it is part of.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import unit_of_work
from stadsvakt.directory import csv_io
from stadsvakt.directory.report_view import (
    error_lines,
    plan_summary,
    plan_table,
    training_summary,
    training_table,
)
from stadsvakt.errors import DomainError
from stadsvakt.org.models import Municipality
from stadsvakt.settings import Settings

FileArg = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV file (UTF-8)")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show the changes, change nothing")]
MunicipalityOpt = Annotated[str | None, typer.Option(help="Kommunkod, if there are several")]


@dataclass(frozen=True, slots=True)
class CliKit:
    """What feature command modules need from the command line around them."""

    console: Console
    err: Console
    services: Callable[[], Services]
    operator_name: Callable[[], str]
    pick_municipality: Callable[[Session, str | None], Municipality]
    fail: Callable[[str], typer.Exit]
    #: Settings from the environment (or a clear message and exit 2).
    load_settings: Callable[[], Settings]
    #: The services for these settings, refusing a database not at the current schema.
    current_services: Callable[[Settings], Services]


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    )


def _refused(kit: CliKit, file: Path, exc: csv_io.CsvInvalid) -> typer.Exit:
    for line in error_lines(exc):
        kit.err.print(f"{file.name}: {line}", markup=False, highlight=False)
    return kit.fail(f"{len(exc.row_errors)} error(s); nothing was imported")


def directory_commands(kit: CliKit) -> tuple[typer.Typer, typer.Typer]:
    """The ``directory`` and ``training`` command groups."""
    directory = typer.Typer(
        help="People and assignments: CSV import and export.", no_args_is_help=True
    )
    training = typer.Typer(help="Training records from an LMS.", no_args_is_help=True)

    @directory.command("import")
    def directory_import(
        file: FileArg,
        dry_run: DryRun = False,
        deactivate_missing: Annotated[
            bool,
            typer.Option(help="Deactivate employees the file does not list (a full export)"),
        ] = False,
        municipality: MunicipalityOpt = None,
    ) -> None:
        """Import people and assignments (columns in docs/directory.md); all rows or none."""
        services = kit.services()
        data = file.read_bytes()
        try:
            with unit_of_work(services.session_factory) as session:
                tenant = kit.pick_municipality(session, municipality)
                actor = system_actor(kit.operator_name(), tenant.id)
                with acting_as(actor):
                    plan = csv_io.plan_import(
                        session, actor, data, deactivate_missing=deactivate_missing
                    )
                    if plan.changes:
                        kit.console.print(plan_table(plan))
                    if dry_run:
                        kit.console.print(f"Dry run, nothing changed: {plan_summary(plan)}")
                        return
                    with _progress(kit.console) as progress:
                        task = progress.add_task("Importing", total=len(plan.changes))
                        csv_io.apply_import(
                            session,
                            actor,
                            plan,
                            progress=lambda n: progress.update(task, completed=n),
                        )
        except csv_io.CsvInvalid as exc:
            raise _refused(kit, file, exc) from exc
        except DomainError as exc:
            raise kit.fail(str(exc)) from exc
        kit.console.print(f"Imported: {plan_summary(plan)}")

    @directory.command("export")
    def directory_export(
        file: Annotated[Path, typer.Argument(dir_okay=False, help="CSV file to write")],
        municipality: MunicipalityOpt = None,
    ) -> None:
        """Write people and current assignments in the import's format."""
        services = kit.services()
        with services.session_factory() as session:
            tenant = kit.pick_municipality(session, municipality)
            actor = system_actor(kit.operator_name(), tenant.id)
            text = csv_io.export_people(session, actor)
        file.write_text(text, encoding="utf-8")
        kit.console.print(f"Wrote {max(text.count(chr(10)) - 1, 0)} rows to {file}")

    @training.command("import")
    def training_import(
        file: FileArg, dry_run: DryRun = False, municipality: MunicipalityOpt = None
    ) -> None:
        """Import training records (employee_number, course, completed, expires); all or none."""
        services = kit.services()
        data = file.read_bytes()
        try:
            with unit_of_work(services.session_factory) as session:
                tenant = kit.pick_municipality(session, municipality)
                actor = system_actor(kit.operator_name(), tenant.id)
                with acting_as(actor):
                    plan = csv_io.plan_training_import(session, actor, data)
                    if plan.changes:
                        kit.console.print(training_table(plan))
                    if dry_run:
                        kit.console.print(f"Dry run, nothing changed: {training_summary(plan)}")
                        return
                    with _progress(kit.console) as progress:
                        task = progress.add_task("Importing", total=len(plan.changes))
                        csv_io.apply_training_import(
                            session,
                            actor,
                            plan,
                            progress=lambda n: progress.update(task, completed=n),
                        )
        except csv_io.CsvInvalid as exc:
            raise _refused(kit, file, exc) from exc
        except DomainError as exc:
            raise kit.fail(str(exc)) from exc
        kit.console.print(f"Imported: {training_summary(plan)}")

    return directory, training
