"""The steps of ``stadsvakt demo``: a fresh database file, migrations, seed, logins shown once."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from stadsvakt import db_statistics
from stadsvakt.api.deps import Services
from stadsvakt.app import build_services
from stadsvakt.db import unit_of_work
from stadsvakt.demo.cameras import DEFAULT_BASE
from stadsvakt.demo.data import load_city, scale_city
from stadsvakt.demo.seed import SeedResult, seed_demo
from stadsvakt.demo.seed_alarms import seed_demo_alarms
from stadsvakt.demo.seed_centre import seed_demo_centre
from stadsvakt.demo.seed_edge import demo_edge_settings, edge_folder, seed_demo_edge
from stadsvakt.demo.staff import PEOPLE_PER_SCALE
from stadsvakt.demo.steps import step
from stadsvakt.migrate import upgrade
from stadsvakt.settings import Mode, Settings

#: Where the demo keeps its database unless told otherwise.
DEFAULT_DATABASE = Path("var/demo.db")
#: The first bytes of every SQLite database file.
_SQLITE_HEADER = b"SQLite format 3\x00"
#: Files SQLite keeps beside a database in WAL mode.
_COMPANIONS = ("-wal", "-shm")


class UnsafeDatabasePath(ValueError):
    """The demo was pointed at a path it will not replace."""


def remove_old_database(path: Path) -> None:
    """Delete an earlier demo database, its WAL files and its edge folder; refuse anything else.

    Only a path ending in ``.db`` is accepted, and an existing file there must be
    a regular file that is empty or starts with the SQLite header, so a typo in
    ``--database`` cannot delete someone's document.
    """
    if path.suffix != ".db":
        raise UnsafeDatabasePath(f"--database: {path} must end in .db")
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise UnsafeDatabasePath(f"--database: {path} is not a regular file")
    if path.exists():
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
        if header and header != _SQLITE_HEADER:
            raise UnsafeDatabasePath(f"--database: {path} is not a SQLite database")
    for candidate in (path, *(path.with_name(path.name + end) for end in _COMPANIONS)):
        if candidate.is_file() and not candidate.is_symlink():
            candidate.unlink()
    folder = edge_folder(path)
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder)


def demo_settings(base: Settings, *, database: Path, host: str, port: int) -> Settings:
    """The base settings pointed at the demo file, served over plain HTTP on the given address.

    The demo always runs in development mode: it serves plain HTTP, which
    production mode refuses. It loads nothing from other hosts, so the map has no tiles
    unless ``centre.map_tile_url`` is set. Its edge devices use an embedded broker on a
    free loopback port with a centre password made for this run
    (:func:`~stadsvakt.demo.seed_edge.demo_edge_settings`).
    """
    url_host = f"[{host}]" if ":" in host else host
    return base.model_copy(
        update={
            "mode": Mode.DEVELOPMENT,
            "database_url": None,
            "database": base.database.model_copy(
                update={"url": f"sqlite:///{database.absolute()}"}
            ),
            "server": base.server.model_copy(
                update={"host": host, "port": port, "public_url": f"http://{url_host}:{port}"}
            ),
            "security": base.security.model_copy(update={"cookie_secure": False}),
            # The demo asks no other host for anything: the centre's map draws its markers
            # on a plain background unless a tile server is set explicitly.
            "centre": base.centre
            if "map_tile_url" in base.centre.model_fields_set
            else base.centre.model_copy(update={"map_tile_url": ""}),
            "edge": demo_edge_settings(base.edge, database),
        }
    )


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def build_demo(
    settings: Settings,
    *,
    scale: int,
    console: Console,
    people: int | None = None,
    camera_base: str = DEFAULT_BASE,
    progress: Progress | None = None,
) -> tuple[Services, SeedResult]:
    """Replace the demo database with a freshly migrated and seeded one.

    ``people`` is the number of employees; by default :data:`PEOPLE_PER_SCALE` per
    scale step. ``camera_base`` is where the camera simulator answers (the safety
    centre's cameras are registered there). Each step is a row of ``progress``
    (by default a display on ``console``).
    """
    path = settings.sqlite_path()
    if path is None:
        raise UnsafeDatabasePath("the demo runs on a SQLite file")
    remove_old_database(path)
    city = scale_city(load_city(), scale)
    services = build_services(settings)
    with progress or _progress(console) as progress:
        with step(progress, "Database schema"):
            upgrade(settings, services.engine)
        with unit_of_work(services.session_factory) as session:
            result = seed_demo(
                session,
                services.passwords,
                city,
                people=PEOPLE_PER_SCALE * scale if people is None else people,
                progress=progress,
            )
            seed_demo_alarms(session, services.box, result.municipality.id, progress)
            centre = seed_demo_centre(
                session,
                services.box,
                result.municipality.id,
                camera_base=camera_base,
                test_max_hours=settings.centre.test_window_max_hours,
                progress=progress,
            )
            edge = seed_demo_edge(
                session, settings, city, result, edge_folder(path), progress=progress
            )
        with step(progress, "Query planner statistics"):
            db_statistics.refresh(services.engine)
    return services, replace(result, centre=centre.counts(), edge_devices=len(edge))


def show_logins(console: Console, settings: Settings, result: SeedResult) -> None:
    """Print where the demo is and its logins; the passwords are not kept anywhere."""
    path = settings.sqlite_path()
    console.print(
        f"\n[bold]{result.municipality.name}[/bold] ({result.municipality.code}): "
        f"{result.departments} departments, {result.units} units, {result.sites} sites "
        f"({result.external_sites} externally owned) in {path}",
        highlight=False,
    )
    table = Table(
        title="Demo logins (shown once)", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False
    )
    table.add_column("Username", no_wrap=True)
    table.add_column("Password", no_wrap=True, style="bold")
    table.add_column("Role", no_wrap=True)
    table.add_column("Limited to")
    for credential in result.credentials:
        table.add_row(
            credential.username, credential.password, credential.role, credential.scope or "—"
        )
    console.print(table)
    admin = result.admin
    console.print(
        f"Open [bold]{settings.server.public_url}[/bold] and log in as "
        f"[bold]{admin.username}[/bold] with password [bold]{admin.password}[/bold]",
        highlight=False,
        soft_wrap=True,
    )
    roles = {credential.role for credential in result.credentials}
    if result.centre and {"operator", "field_unit"} <= roles:
        console.print(
            f"Safety centre: {settings.server.public_url}/centre as an operator (two operators "
            "can work the queue side by side in two browsers); the guard's phone page "
            f"{settings.server.public_url}/centre/unit as the field unit.",
            highlight=False,
            soft_wrap=True,
        )


def show_city(console: Console, settings: Settings, result: SeedResult) -> None:
    """Print the counts of the demo city, a device token and a decision to try with curl."""
    table = Table(title="The demo city", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("What")
    table.add_column("How many", justify="right")
    for what, count in result.counts().items():
        table.add_row(what, f"{count:,}".replace(",", " "))
    console.print(table)
    console.print(
        "Device token for door controllers (scope access.decide, shown once): "
        f"[bold]{result.device_token}[/bold]",
        highlight=False,
        soft_wrap=True,
    )
    example = result.example
    if example is None:
        return
    console.print(
        f"Try a decision ({example.door_name}, open round the clock to its staff, and a "
        "staff member's card: granted at any hour):\n"
        + decision_command(
            settings.server.public_url,
            result.device_token,
            str(example.door_id),
            example.card_uid,
        ),
        highlight=False,
        soft_wrap=True,
        markup=False,
    )


def decision_command(public_url: str, token: str, door_id: str, card: str) -> str:
    """The curl command that asks for an access decision, as the demo prints it and the
    README shows it (there with ``<device token>``, ``<door id>`` and ``<card UID>``)."""
    body = json.dumps({"door_id": door_id, "credential": card})
    return (
        f"curl -s -X POST {public_url}/api/v1/access/decisions \\\n"
        f"  -H 'Authorization: Bearer {token}' \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        f"  -d '{body}'"
    )
