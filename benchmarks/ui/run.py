"""``stadsvakt bench ui``: server time of the admin UI's big lists and pickers.

The full-scale city of ``benchmarks/decisions/city.py`` (60,000 people, 100,000
credentials, 20,000 doors at scale 1) is written to a fresh database of each backend;
the real app (``create_app`` with its own services) then answers the pages in process
through Starlette's TestClient, as a system owner and as a department administrator
(whose lists are scoped by unit, the harder query). A request's time is taken around
the whole in-process call: routing, login and CSRF checks, the queries and the
template, with no network and no browser, which is what "server time" means here.
Timing starts once the process has built its decision index (a server's start-up work,
done in the background), and each shape is asked once untimed first (the database's
caches warm, as on a server that is in use).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Engine, select, text

from benchmarks.dc09.run import DEFAULT_POSTGRES, _throwaway_postgres
from benchmarks.decisions import city as city_mod
from stadsvakt import db_statistics
from stadsvakt.access.decisions import index_of_app
from stadsvakt.app import build_services, create_app
from stadsvakt.auth.schemas import RoleAssignmentIn, UserCreate
from stadsvakt.auth.service import create_user
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.org.models import OrgUnit
from stadsvakt.runtime import settle_heap
from stadsvakt.settings import Settings

PASSWORD = "bänk-lösenord-2026"
GROUPS = ("people_list", "credentials_list", "picker_search")


@dataclass
class Options:
    """What to run; the defaults are the issue's full run."""

    scale: float = 1.0
    seed: int = 20261206
    #: Timed requests per shape and user.
    requests: int = 40
    backends: tuple[str, ...] = ("sqlite", "postgresql")
    postgres_url: str = DEFAULT_POSTGRES


@dataclass(frozen=True)
class Shape:
    """One kind of request: its group (a required output key) and URL."""

    group: str
    name: str
    url: str


def _shapes(rng: random.Random, people: int, unit_id: uuid.UUID, cards: list[str]) -> list[Shape]:
    number = str(rng.randrange(people))
    card = rng.choice(cards)[3:9]
    deep = max(1, min(100, people // 25))
    return [
        Shape("people_list", "people_first_page", "/people"),
        Shape("people_list", "people_search", f"/people?q=Andersson+{number[:3]}"),
        Shape("people_list", "people_sorted", "/people?sort=-employee_number"),
        Shape("people_list", "people_deep_page", f"/people?p={deep}"),
        Shape("people_list", "people_by_unit", f"/people?unit={unit_id}"),
        Shape("credentials_list", "credentials_first_page", "/access/credentials"),
        Shape("credentials_list", "credentials_search", f"/access/credentials?q={card}"),
        Shape("picker_search", "pick_doors", f"/ui/pick/doors?q=Fastighet+{number[:2]}"),
        Shape("picker_search", "pick_people", f"/ui/pick/people?q=Andersson+{number[:3]}"),
        Shape("picker_search", "pick_profiles", f"/ui/pick/profiles?q=Profil+{number[:2]}"),
    ]


@contextmanager
def _database(backend: str, options: Options) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="stadsvakt-bench-ui-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
    else:
        with _throwaway_postgres(options.postgres_url) as url:
            yield url


def _users(settings: Settings, tenant: uuid.UUID) -> tuple[uuid.UUID, dict[str, str]]:
    """A system owner and a department administrator of the first department."""
    services = build_services(settings)
    try:
        with unit_of_work(services.session_factory) as session:
            department = session.scalars(
                select(OrgUnit.id)
                .where(OrgUnit.tenant_id == tenant, OrgUnit.parent_id.is_(None))
                .order_by(OrgUnit.code)
                .limit(1)
            ).one()
            unit = session.scalars(
                select(OrgUnit.id).where(OrgUnit.parent_id == department).limit(1)
            ).one()
            actor = system_actor("bench", tenant)
            users = {"system_owner": None, "department_admin": department}
            with acting_as(actor):
                for role, scope in users.items():
                    create_user(
                        session,
                        actor,
                        UserCreate(
                            username=f"bench-{role}",
                            display_name=f"Bänk {role}",
                            password=PASSWORD,
                            roles=[RoleAssignmentIn(role=role, org_unit_id=scope)],
                        ),
                        services.passwords,
                    )
    finally:
        services.engine.dispose()
    return unit, {role: f"bench-{role}" for role in users}


def _log_in(client: TestClient, username: str) -> None:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    response.raise_for_status()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _analyze(engine: Engine) -> None:
    """Give the planner statistics of the bulk-loaded city: on PostgreSQL as autovacuum
    does soon after a load on a server (without them it plans the lists as over empty
    tables), on SQLite as a serving process does every interval (stadsvakt.db_statistics)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    db_statistics.refresh(engine)


def _settled(app: FastAPI, timeout_s: float = 600.0) -> None:
    """Wait until the process has built its decision index: a server builds it once when it
    starts, in the background, and that work is not a page's."""
    deadline = time.monotonic() + timeout_s
    while not index_of_app(app).built:
        if time.monotonic() > deadline:
            raise RuntimeError("the decision index was not built in time")
        time.sleep(0.2)


def _measure(
    settings: Settings,
    users: dict[str, str],
    shapes: list[Shape],
    options: Options,
    progress: Progress,
) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {s.name: [] for s in shapes}
    task = progress.add_task("Timing pages", total=len(users) * len(shapes) * options.requests)
    app = create_app(settings)
    for username in users.values():
        # HTTPS, so the Secure session cookie is sent back as a browser would.
        with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
            _settled(app)
            client.headers["Accept-Language"] = "sv"
            _log_in(client, username)
            for shape in shapes:
                first = client.get(shape.url)
                if first.status_code != 200:
                    raise RuntimeError(f"{shape.url} answered {first.status_code} for {username}")
                for _ in range(options.requests):
                    started = time.perf_counter()
                    response = client.get(shape.url)
                    samples[shape.name].append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        raise RuntimeError(f"{shape.url} answered {response.status_code}")
                    progress.advance(task)
    return samples


def _one_backend(backend: str, options: Options, console: Console) -> dict[str, Any]:
    result: dict[str, Any] = {"backend": backend, "scale": options.scale}
    with _database(backend, options) as url:
        settings = Settings(database_url=url, _env_file=None)
        services = build_services(settings)
        upgrade(settings, services.engine)
        with Progress(console=console, transient=True) as progress:
            with unit_of_work(services.session_factory) as session:
                tenant = city_mod.new_tenant(session)
                data = city_mod.generate(tenant, scale=options.scale, seed=options.seed)
                total = sum(len(rows) for rows in data.rows.values())
                task = progress.add_task(f"Writing the city ({backend})", total=total)
                city_mod.write(session, data, lambda _, n: progress.advance(task, n))
            _analyze(services.engine)
            services.engine.dispose()
            unit, users = _users(settings, tenant)
            rng = random.Random(options.seed)
            sizes = data.sizes
            shapes = _shapes(rng, sizes["people"], unit, [c for c, _ in data.cards[:1000]])
            # The generated rows (a million small objects) are this process's, not a
            # server's: dropped, so the collector's walks over them are not timed.
            del data
            settle_heap()
            samples = _measure(settings, users, shapes, options, progress)
    result.update({f"city.{k}": v for k, v in sizes.items()})
    for shape in shapes:
        values = samples[shape.name]
        result[f"{shape.name}.p50_ms"] = round(statistics.median(values), 2)
        result[f"{shape.name}.p99_ms"] = round(_percentile(values, 0.99), 2)
    for group in GROUPS:
        values = [v for s in shapes if s.group == group for v in samples[s.name]]
        result[f"{group}_p50_ms"] = round(statistics.median(values), 2)
        result[f"{group}_p99_ms"] = round(_percentile(values, 0.99), 2)
        result[f"{group}_requests"] = len(values)
    return result


def run(options: Options, console: Console) -> dict[str, Any]:
    """The issue's keys at the top, each the worse of the backends run (the target holds
    for every one), and each backend's whole result under ``by_backend``."""
    runs = {backend: _one_backend(backend, options, console) for backend in options.backends}
    result: dict[str, Any] = {"backend": ",".join(runs), "by_backend": runs}
    for group in GROUPS:
        for figure in ("p50_ms", "p99_ms"):
            key = f"{group}_{figure}"
            result[key] = max(run[key] for run in runs.values())
    return result
