"""The ``stadsvakt`` command line (Typer + Rich)."""

from __future__ import annotations

import getpass
import sys
import uuid
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated

import typer
from benchmarks.decisions.cli import bench_app
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from stadsvakt.access.decisions import purge_once
from stadsvakt.alarms.commands import register as register_alarms
from stadsvakt.alarms.receivers.run import enabled_receivers
from stadsvakt.api.deps import Services
from stadsvakt.app import build_services
from stadsvakt.audit.commands import register as register_audit
from stadsvakt.audit.jobs import checkpoint_timers, seal_chain
from stadsvakt.auth.schemas import RoleAssignmentIn, UserCreate
from stadsvakt.auth.service import create_user
from stadsvakt.auth.tokens import create_token
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import unit_of_work
from stadsvakt.demo.cameras import demo_cameras, reserve_for
from stadsvakt.demo.edge import demo_edge
from stadsvakt.demo.panels import demo_traffic
from stadsvakt.demo.run import (
    DEFAULT_DATABASE,
    UnsafeDatabasePath,
    build_demo,
    demo_settings,
    show_city,
    show_logins,
)
from stadsvakt.demo.social import demo_social_alarms
from stadsvakt.directory.commands import CliKit, directory_commands
from stadsvakt.edge.agent.commands import register as register_edge
from stadsvakt.edge.hub import edge_receivers
from stadsvakt.errors import DomainError
from stadsvakt.migrate import is_current, upgrade
from stadsvakt.org.models import Municipality
from stadsvakt.org.schemas import MunicipalityCreate
from stadsvakt.org.service import create_municipality
from stadsvakt.portability.commands import register as register_portability
from stadsvakt.ports import CannotListen, check_free, serve_listeners
from stadsvakt.server import run_single, run_workers
from stadsvakt.settings import Settings
from stadsvakt.textsearch import rebuild_on

console = Console()
err = Console(stderr=True)
app = typer.Typer(
    help="stadsvakt: open security platform for Swedish municipalities.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="stadsvakt user accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for integrations and devices.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
municipality_app = typer.Typer(help="Municipalities (tenants).", no_args_is_help=True)
access_app = typer.Typer(help="Access decisions and their event log.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(access_app, name="access")
app.add_typer(bench_app, name="bench")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(municipality_app, name="municipality")


def load_settings() -> Settings:
    """Settings from the environment and .env, or a clear message and exit 2."""
    try:
        return Settings()
    except ValueError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


#: The engines opened by the running command, disposed when it ends (see ``_command``).
_command_engines: ContextVar[list[Engine] | None] = ContextVar("command_engines", default=None)


@app.callback()
def _command(ctx: typer.Context) -> None:
    """stadsvakt: open security platform for Swedish municipalities."""
    # Typer may bring its own copy of click, so the context is taken from Typer here
    # rather than looked up through click's globals (which would find none).
    engines: list[Engine] = []
    _command_engines.set(engines)
    ctx.call_on_close(lambda: _dispose_all(engines))


def _dispose_all(engines: list[Engine]) -> None:
    for engine in engines:
        engine.dispose()
    engines.clear()


def services_for(settings: Settings) -> Services:
    """The shared services for one CLI command; the engine is disposed when the command ends.

    Disposing closes pooled connections, so a command run in-process (tests,
    scripts) leaves no connection behind, whether it succeeds or exits early.
    """
    services = build_services(settings)
    engines = _command_engines.get()
    if engines is not None:
        engines.append(services.engine)
    return services


def current_services(settings: Settings) -> Services:
    """The services, or exit 1 when the database cannot be reached or is not at the
    current schema."""
    services = services_for(settings)
    try:
        current = is_current(settings, services.engine)
    except SQLAlchemyError as exc:
        raise unreachable_database(settings, exc) from None
    if not current:
        raise fail("the database is not at the current schema: run `stadsvakt db upgrade`")
    return services


def operator_name() -> str:
    """The name the audit trail records for CLI changes."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error and return the exit to raise."""
    err.print(f"[red]Error:[/red] {message}")
    return typer.Exit(code)


def unreachable_database(settings: Settings, exc: SQLAlchemyError) -> typer.Exit:
    """Print, on one line, that the database could not be opened (its URL without the
    password, and the driver's first line), and return the exit to raise."""
    url = make_url(settings.database.url).render_as_string(hide_password=True)
    reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["unknown"])[0]
    err.print(
        f"[red]Error:[/red] cannot open the database {escape(url)}: {escape(reason)};"
        " check STADSVAKT_DATABASE_URL (database.url)",
        soft_wrap=True,
    )
    return typer.Exit(1)


def cannot_listen(exc: CannotListen) -> typer.Exit:
    """Print why an address cannot be listened on and return the exit to raise: one line,
    never wrapped, so a service manager's log shows it whole."""
    err.print(f"[red]Error:[/red] {escape(str(exc))}", soft_wrap=True)
    return typer.Exit(1)


def pick_municipality(session: Session, code: str | None) -> Municipality:
    """The municipality named by code, or the only one there is."""
    rows = list(session.scalars(select(Municipality).order_by(Municipality.code)))
    if code is not None:
        for row in rows:
            if row.code == code:
                return row
        raise fail(f"no municipality with code {code}")
    if len(rows) == 1:
        return rows[0]
    if not rows:
        raise fail("no municipality yet: run `stadsvakt municipality create` first")
    raise fail("several municipalities: choose one with --municipality CODE")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply the database migrations (to head by default)."""
    settings = load_settings()
    services = services_for(settings)
    upgrade(settings, services.engine, revision)
    console.print(f"[green]Database at {revision}[/green] ({settings.database.url.split('@')[-1]})")
    if is_current(settings, services.engine):
        # Keyed hashing starts with the upgrade (and a new HMAC key at once), not later.
        sealed = seal_chain(services.session_factory)
        if sealed is not None:
            console.print(f"Audit trail sealed with HMAC key {sealed.object_id} (row {sealed.seq})")


@db_app.command("reindex-search")
def db_reindex_search() -> None:
    """Rebuild SQLite's search indexes (FTS5) from their tables: after a manual VACUUM."""
    services = services_for(load_settings())
    with services.engine.begin() as connection:
        rebuilt = rebuild_on(connection)
    console.print(f"Search indexes rebuilt: {rebuilt}")


@municipality_app.command("create")
def municipality_create(
    name: Annotated[str, typer.Option(help="Name, e.g. 'Sundby kommun'")],
    code: Annotated[str, typer.Option(help="Four-digit kommunkod")],
) -> None:
    """Create a municipality (tenant) with its built-in roles."""
    services = services_for(load_settings())
    try:
        with (
            acting_as(system_actor(operator_name())),
            unit_of_work(services.session_factory) as session,
        ):
            row = create_municipality(
                session, system_actor(operator_name()), MunicipalityCreate(name=name, code=code)
            )
            console.print(f"Created municipality {row.name} ({row.code}) id {row.id}")
    except (DomainError, ValueError) as exc:
        raise fail(str(exc)) from exc


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="Login name")],
    name: Annotated[str, typer.Option("--name", help="Display name")],
    role: Annotated[
        list[str] | None, typer.Option(help="Role name; repeat for several (default system_owner)")
    ] = None,
    unit: Annotated[
        str | None, typer.Option(help="Organisation unit id that limits unit-scoped roles")
    ] = None,
    municipality: Annotated[
        str | None, typer.Option(help="Kommunkod, if there are several")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input")
    ] = False,
) -> None:
    """Create a user account; the password comes from a prompt or standard input, never argv."""
    services = services_for(load_settings())
    password = _read_password(password_stdin)
    actor = system_actor(operator_name())
    try:
        unit_id = uuid.UUID(unit) if unit else None
        with acting_as(actor), unit_of_work(services.session_factory) as session:
            tenant = pick_municipality(session, municipality)
            data = UserCreate(
                username=username,
                display_name=name,
                password=password,
                roles=[
                    RoleAssignmentIn(role=r, org_unit_id=unit_id) for r in role or ["system_owner"]
                ],
            )
            user = create_user(session, actor, data, services.passwords, tenant_id=tenant.id)
            console.print(f"Created user [bold]{user.username}[/bold] in {tenant.name}")
    except (DomainError, ValueError) as exc:
        raise fail(str(exc)) from exc


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="What the token is for")],
    scope: Annotated[
        list[str], typer.Option(help="Permission, e.g. site.read; repeat for several")
    ],
    expires: Annotated[int | None, typer.Option(help="Days until it expires (none: never)")] = None,
    municipality: Annotated[
        str | None, typer.Option(help="Kommunkod, if there are several")
    ] = None,
) -> None:
    """Create an API token and print it once."""
    services = services_for(load_settings())
    actor = system_actor(operator_name())
    try:
        with acting_as(actor), unit_of_work(services.session_factory) as session:
            tenant = pick_municipality(session, municipality)
            secret, row = create_token(
                session, actor, name=name, scopes=scope, expires_days=expires, tenant_id=tenant.id
            )
    except (DomainError, ValueError) as exc:
        raise fail(str(exc)) from exc
    err.print(f"Token '{row.name}' ({', '.join(row.scopes)}); shown once, store it now:")
    typer.echo(secret)


@access_app.command("purge")
def access_purge() -> None:
    """Delete access events older than the retention period (access.event_retention_days)."""
    settings = load_settings()
    count = purge_once(services_for(settings))
    days = settings.access.event_retention_days
    console.print(f"Purged {count} access events older than {days} days.")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port to listen on")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes (default: server.workers); alarm receivers run in the first",
        ),
    ] = None,
) -> None:
    """Serve the API and web UI."""
    settings = load_settings()
    if host:
        settings.server.host = host
    if port:
        settings.server.port = port
    if workers:
        settings.server.workers = workers
    run_server(settings, current_services(settings))


@app.command()
def demo(
    scale: Annotated[
        int, typer.Option(min=1, max=50, help="Make a larger city: N times the units and sites")
    ] = 1,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
    database: Annotated[
        Path, typer.Option(help="Demo SQLite file; an earlier demo there is replaced")
    ] = DEFAULT_DATABASE,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Stop after creating the demo database")
    ] = False,
    people: Annotated[
        int | None,
        typer.Option(min=1, max=200_000, help="Employees to create (default: 2000 per scale)"),
    ] = None,
) -> None:
    """Create a fresh demo city, print its logins once, and serve it on plain HTTP."""
    settings = demo_settings(load_settings(), database=database, host=host, port=port)
    # The cameras are registered on the simulator's address, so its port is held from now.
    cameras = reserve_for(settings)
    try:
        services, result = build_demo(
            settings, scale=scale, console=console, people=people, camera_base=cameras.base_url
        )
    except (UnsafeDatabasePath, DomainError) as exc:
        cameras.close()
        raise fail(str(exc)) from exc
    show_city(console, settings, result)
    show_logins(console, settings, result)
    if no_serve:
        cameras.close()
        services.engine.dispose()
        return
    with (
        demo_cameras(cameras) as simulated,
        demo_traffic(settings, services) as panels,
        demo_social_alarms(settings, services) as social,
        demo_edge(settings, services) as edge,
    ):
        for devices in (simulated, panels, social, edge):
            if devices is not None:
                console.print(devices.describe())
        run_server(settings, services)


def run_server(settings: Settings, services: Services) -> None:
    """Run uvicorn, and the alarm receivers the settings enable, until interrupted
    (``server.workers`` processes, see ``stadsvakt.server``)."""
    try:
        check_free(serve_listeners(settings))
    except CannotListen as exc:
        raise cannot_listen(exc) from None
    console.print(f"Serving on [bold]http://{settings.server.host}:{settings.server.port}[/bold]")
    if settings.server.workers > 1:
        console.print(f"{settings.server.workers} worker processes; alarm receivers in the first")
        # The workers build their own engines; this one's pooled connection is not needed.
        services.engine.dispose()
        try:
            code = run_workers(settings, settings.server.workers)
        except CannotListen as exc:
            raise cannot_listen(exc) from None
        if code:
            raise typer.Exit(code)
        return
    receivers = [
        *enabled_receivers(settings, services.session_factory, services.box),
        *edge_receivers(settings, services.session_factory),
        *checkpoint_timers(settings, services.session_factory),
    ]
    for receiver in receivers:
        console.print(receiver.describe())
    try:
        run_single(settings, services, receivers)
    except KeyboardInterrupt:
        pass


#: What feature command modules get from here (console, settings, errors), built once.
kit = CliKit(
    console=console,
    err=err,
    services=lambda: services_for(load_settings()),
    operator_name=operator_name,
    pick_municipality=pick_municipality,
    fail=fail,
    load_settings=load_settings,
    current_services=current_services,
)
directory_app, training_app = directory_commands(kit)
app.add_typer(directory_app, name="directory")
app.add_typer(training_app, name="training")
register_portability(app, kit)
register_audit(audit_app, kit)
register_alarms(app, kit)
register_edge(app, kit)


def main() -> None:
    """Entry point of the ``stadsvakt`` console script."""
    app()
