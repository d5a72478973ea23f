"""The ``stadsvakt export`` and ``stadsvakt import`` commands (see docs/portability.md).

They take the command line's shared helpers as a ``CliKit`` (as the directory commands
do), so this module does not import the command line it is part of.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import unit_of_work
from stadsvakt.directory.commands import CliKit
from stadsvakt.errors import DomainError
from stadsvakt.portability.checks import ImportRefused, parse
from stadsvakt.portability.export import KINDS, build_document, dumps
from stadsvakt.portability.importer import import_document

OutFile = Annotated[Path, typer.Argument(dir_okay=False, help="JSON file to write")]
InFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="JSON export file")
]
MunicipalityOpt = Annotated[str | None, typer.Option(help="Kommunkod, if there are several")]


def _progress(kit: CliKit) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=kit.err
    )


def register(app: typer.Typer, kit: CliKit) -> None:
    """Add ``export`` and ``import`` to the command line."""

    @app.command("export")
    def export(file: OutFile, municipality: MunicipalityOpt = None) -> None:
        """Export a municipality's whole access configuration as JSON (no PIN hashes)."""
        services = kit.services()
        with (
            acting_as(system_actor(kit.operator_name())),
            unit_of_work(services.session_factory) as session,
            _progress(kit) as progress,
        ):
            tenant = kit.pick_municipality(session, municipality)
            task = progress.add_task("Exporting", total=len(KINDS))
            actor = system_actor(kit.operator_name(), tenant.id)
            document = build_document(session, actor, tenant, lambda kind: progress.advance(task))
        file.write_text(dumps(document), encoding="utf-8")
        counts = ", ".join(f"{len(getattr(document, k))} {k}" for k in KINDS)
        kit.console.print(f"Exported {tenant.name} ({tenant.code}) to {file}: {counts}")

    @app.command("import")
    def import_(file: InFile) -> None:
        """Import an export file as a new municipality (only into an empty database or
        beside other municipalities); all or nothing."""
        services = kit.services()
        try:
            document = parse(file.read_bytes())
            with (
                acting_as(system_actor(kit.operator_name())),
                unit_of_work(services.session_factory) as session,
                _progress(kit) as progress,
            ):
                task = progress.add_task("Importing", total=len(KINDS))
                actor = system_actor(kit.operator_name(), document.municipality.id)
                counts = import_document(
                    session, actor, document, lambda kind, n: progress.advance(task)
                )
        except ImportRefused as exc:
            for problem in exc.problems:
                kit.err.print(f"[red]{file.name}[/red]: {problem}")
            raise kit.fail(f"{len(exc.problems)} problem(s); nothing was imported") from exc
        except DomainError as exc:
            raise kit.fail(str(exc)) from exc
        finally:
            services.engine.dispose()
        m = document.municipality
        summary = ", ".join(f"{n} {k}" for k, n in counts.items())
        kit.console.print(f"Imported {m.name} ({m.code}): {summary}")
        kit.console.print("PINs are never exported: issue new PINs to their holders.")
