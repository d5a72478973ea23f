"""``stadsvakt bench dc09``: one load against stadsvakt (SQLite, PostgreSQL) and pysiaalarm.

The same panels (accounts, keys, payload formats) are registered with every receiver:
in stadsvakt's registry through the audited CSV import, and as pysiaalarm accounts.
Each receiver runs in a child process; this process generates the load. Per
receiver: a closed loop of heartbeats and alarm frames (its maximum rate on these
connections, and the ACK latency there), an open loop of alarm frames at a fixed
rate (the ACK latency a centre would see at that load), and a closed loop of
heartbeats only. stadsvakt commits every alarm before its ACK; pysiaalarm stores
nothing. Transmitter supervision is measured by ``benchmarks.dc09.supervision``.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from benchmarks.dc09.load import (
    LoadResult,
    Sender,
    closed_loop,
    connect_all,
    make_senders,
    open_loop,
)
from benchmarks.dc09.servers import ChildServer, free_port, pysiaalarm_receiver, stadsvakt_receiver
from benchmarks.dc09.supervision import measure_supervision
from stadsvakt.alarms.models import Alarm
from stadsvakt.alarms.simulate.accounts import plan_panels, register_panels
from stadsvakt.alarms.simulate.panels import PanelSpec, Payload
from stadsvakt.app import build_services
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.org.schemas import MunicipalityCreate, SiteCreate
from stadsvakt.org.service import create_municipality, create_site
from stadsvakt.runtime import settle_heap
from stadsvakt.settings import Settings

#: The machine's PostgreSQL (trust auth); a throwaway database is made beside it.
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
_SITES = 20


@dataclass
class Options:
    """What to run; the defaults are the full run (a few minutes)."""

    connections: int = 500
    duration_s: float = 10.0
    encrypted_share: float = 0.3
    heartbeat_share: float = 0.5
    fixed_rate: float = 1000.0
    postgres_url: str | None = DEFAULT_POSTGRES
    pysiaalarm: bool = True
    supervision: bool = True
    supervision_transmitters: int = 250_000
    supervision_interval_s: int = 90
    supervision_silent: int = 100
    supervision_duration_s: float = 45.0
    seed: int = 20260301


def _register(url: str, specs: Sequence[PanelSpec]) -> Settings:
    """Migrate an empty database and register the panels on a few sites."""
    settings = Settings(database_url=url, _env_file=None)
    services = build_services(settings)
    upgrade(settings, services.engine)
    actor = system_actor("bench")
    with acting_as(actor), unit_of_work(services.session_factory) as session:
        tenant = create_municipality(
            session, actor, MunicipalityCreate(name="Bänkby kommun", code="9998")
        )
        local = system_actor("bench", tenant.id)
        codes = [f"B-{n:03d}" for n in range(1, _SITES + 1)]
        for code in codes:
            site = SiteCreate(
                code=code,
                name=f"Larmobjekt {code}",
                street="Bänkgatan 1",
                postal_code="211 00",
                city="Bänkby",
                latitude=55.6,
                longitude=13.0,
            )
            create_site(session, local, site)
        with acting_as(local):
            register_panels(session, local, services.box, specs, codes, ascii_keys=True)
    services.engine.dispose()
    return settings


def _stored_alarms(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(Alarm.__table__)) or 0)
    finally:
        engine.dispose()


@contextmanager
def _throwaway_postgres(base: str) -> Iterator[str]:
    """A new database beside ``base``, dropped afterwards."""
    name = f"stadsvakt_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _figures(result: LoadResult) -> dict[str, float]:
    return {
        "frames_per_s": round(result.frames_per_s(), 1),
        "ack_p50_ms": round(result.percentile(0.50), 2),
        "ack_p99_ms": round(result.percentile(0.99), 2),
    }


async def _phases(port: int, specs: Sequence[PanelSpec], options: Options) -> dict[str, Any]:
    # The load generator's own long-lived objects (accounts, city, modules) frozen: a
    # full collection over them would stall the sender and count as slow answers.
    settle_heap()
    senders: list[Sender] = make_senders("127.0.0.1", port, specs, options.seed)
    try:
        await connect_all(senders)
        mixed = await closed_loop(
            senders, duration_s=options.duration_s, heartbeat_share=options.heartbeat_share
        )
        fixed = await open_loop(
            senders, rate=options.fixed_rate, duration_s=options.duration_s, heartbeat_share=0.0
        )
        beats = await closed_loop(
            senders, duration_s=max(options.duration_s / 2, 0.5), heartbeat_share=1.0
        )
    finally:
        for sender in senders:
            sender.link.close()
    fixed_figures = _figures(fixed)
    return {
        **_figures(mixed),
        "alarm_frames_per_s": round(mixed.alarms / mixed.seconds, 1) if mixed.seconds else 0.0,
        "refused": mixed.refused + fixed.refused + beats.refused,
        "errors": mixed.errors + fixed.errors + beats.errors,
        "fixed_rate_frames_per_s": fixed_figures["frames_per_s"],
        "fixed_rate_ack_p50_ms": fixed_figures["ack_p50_ms"],
        "fixed_rate_ack_p99_ms": fixed_figures["ack_p99_ms"],
        "heartbeats_per_s": round(beats.frames_per_s(), 1),
        "alarms_acked": mixed.alarms + fixed.alarms + beats.alarms,
    }


def _prefixed(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}.{key}": value for key, value in values.items()}


def _stadsvakt(
    name: str, url: str, specs: Sequence[PanelSpec], options: Options, work: Path, say: Say
) -> dict[str, Any]:
    say(f"{name}: registering {len(specs)} transmitters")
    _register(url, specs)
    port = free_port()
    say(f"{name}: load on {len(specs)} connections")
    with stadsvakt_receiver(url, port, work / f"{name}.log"):
        figures = asyncio.run(_phases(port, specs, options))
    figures["alarms_stored"] = _stored_alarms(url)
    return _prefixed(name, figures)


def _pysiaalarm(
    specs: Sequence[PanelSpec], options: Options, work: Path, say: Say
) -> dict[str, Any]:
    accounts = {s.account: s.key.decode("ascii") if s.key else None for s in specs}
    accounts_file = work / "pysiaalarm-accounts.json"
    accounts_file.write_text(json.dumps(accounts))
    port = free_port()
    say(f"pysiaalarm: load on {len(specs)} connections")
    server: ChildServer = pysiaalarm_receiver(accounts_file, port, work / "pysiaalarm.log")
    with server:
        figures = asyncio.run(_phases(port, specs, options))
    return _prefixed("pysiaalarm", figures)


Say = Callable[[str], None]


def _ratio(result: dict[str, Any], name: str) -> float | None:
    ours, theirs = result.get(f"{name}.frames_per_s"), result.get("pysiaalarm.frames_per_s")
    return round(ours / theirs, 2) if ours and theirs else None


def run(options: Options, console: Console) -> dict[str, Any]:
    """Run every part and return the flat result (``receiver.measure`` keys)."""
    say: Say = lambda message: console.log(message)  # noqa: E731
    specs = plan_panels(
        options.connections,
        encrypted_share=options.encrypted_share,
        ascii_keys=True,
        seed=options.seed,
    )
    result: dict[str, Any] = {
        "load.connections": len(specs),
        "load.encrypted_share": round(sum(s.key is not None for s in specs) / len(specs), 3),
        "load.contact_id_share": round(
            sum(s.payload is Payload.CID for s in specs) / len(specs), 3
        ),
        "load.heartbeat_share": options.heartbeat_share,
        "load.duration_s": options.duration_s,
        "load.fixed_rate": options.fixed_rate,
    }
    with tempfile.TemporaryDirectory(prefix="stadsvakt-bench-dc09-") as tmp:
        work = Path(tmp)
        result |= _stadsvakt(
            "stadsvakt_sqlite", f"sqlite:///{work / 'dc09.db'}", specs, options, work, say
        )
        if options.postgres_url:
            with _throwaway_postgres(options.postgres_url) as url:
                result |= _stadsvakt("stadsvakt_postgres", url, specs, options, work, say)
        if options.pysiaalarm:
            result |= _pysiaalarm(specs, options, work, say)
        if options.supervision:
            say(f"supervision: {options.supervision_transmitters} transmitters")
            measured = measure_supervision(
                transmitters=options.supervision_transmitters,
                interval_s=options.supervision_interval_s,
                silent=options.supervision_silent,
                database_url=f"sqlite:///{work / 'supervision.db'}",
                duration_s=options.supervision_duration_s,
            )
            result |= {
                key if key.startswith("supervision.") else f"supervision.{key}": value
                for key, value in measured.items()
            }
    frames = sum(v for k, v in result.items() if k.endswith(".alarms_acked"))
    result["load.alarm_frames_acked"] = frames
    result["heartbeats_per_s"] = result.get("stadsvakt_sqlite.heartbeats_per_s")
    result["ratio_vs_pysiaalarm"] = _ratio(result, "stadsvakt_sqlite")
    result["ratio_vs_pysiaalarm_postgres"] = _ratio(result, "stadsvakt_postgres")
    return result
