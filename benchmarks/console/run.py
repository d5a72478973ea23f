"""``stadsvakt bench console``: from a DC-09 frame leaving its panel to the activation in
every connected operator's browser session.

A real ``stadsvakt serve`` (its DC-09 receiver, the intake, the queue feed, the live
stream) runs in a child process on a fresh database; this process is both the panels
(one TCP connection each, sending like :mod:`benchmarks.dc09.load`) and the operators
(Server-Sent Events clients of ``/api/v1/centre/stream``, :mod:`benchmarks.console.sse`).
Both stamp with this process's ``perf_counter``, so frame-to-browser is one clock.

Two phases:

* **steady**: burglary alarms from distinct sites at ``rate`` per second with
  ``sessions`` operators connected; each alarm opens an activation, and its ``new``
  event in each session gives one frame-to-browser sample;
* **storm**: a power cut: ``storm_panels`` panels report AC loss at ``storm_rate``
  frames per second for ``storm_seconds``, with one fire alarm each second from another
  site; the fire alarms' frame-to-browser times, and how many queue rows the storm made.

Optionally a Chromium page (Playwright, Debian's chromium) logged in as an operator
shows a sample of alarms: frame to the row drawn in the page.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import create_engine, func, select

from benchmarks.console.sse import Arrival, Session, first_arrivals
from benchmarks.dc09.run import DEFAULT_POSTGRES, _throwaway_postgres
from benchmarks.dc09.servers import STADSVAKT, ChildServer, free_port
from stadsvakt.alarms.models import Transmitter
from stadsvakt.alarms.protocols.dc09.builder import build_frame, sia_block
from stadsvakt.alarms.protocols.dc09.header import Token
from stadsvakt.alarms.simulate.accounts import plan_panels, register_panels
from stadsvakt.alarms.simulate.links import TcpLink
from stadsvakt.alarms.simulate.panels import PanelSpec
from stadsvakt.app import build_services
from stadsvakt.auth.schemas import RoleAssignmentIn, UserCreate
from stadsvakt.auth.service import create_user
from stadsvakt.auth.tokens import create_token
from stadsvakt.centre.models import Activation, ActivationKind
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import unit_of_work, utcnow
from stadsvakt.migrate import upgrade
from stadsvakt.org.schemas import MunicipalityCreate, SiteCreate
from stadsvakt.org.service import create_municipality, create_site
from stadsvakt.runtime import settle_heap
from stadsvakt.settings import Settings

ACK_TIMEOUT_S = 10.0
OPERATOR = "operator-bench"
OPERATOR_PASSWORD = "bänk-Operatör-2026!"


@dataclass
class Options:
    """What to run; the defaults are the issue's full run."""

    rate: float = 100.0
    seconds: float = 10.0
    sessions: int = 10
    storm_rate: float = 1000.0
    storm_seconds: float = 20.0
    storm_panels: int = 2000
    chromium: int = 10
    postgres_url: str | None = None
    seed: int = 20261205


@dataclass(frozen=True, slots=True)
class City:
    """The registered panels and where each one is."""

    settings: Settings
    token: str
    specs: list[PanelSpec]
    site_of: dict[str, str]  # account -> site id
    name_of: dict[str, str]  # account -> site name


def _site(code: str) -> SiteCreate:
    return SiteCreate(
        code=code,
        name=f"Larmobjekt {code}",
        street="Bänkgatan 1",
        postal_code="211 00",
        city="Bänkby",
        latitude=55.6,
        longitude=13.0,
    )


def _build_city(url: str, panels: int, seed: int) -> City:
    settings = Settings(database_url=url, _env_file=None)
    services = build_services(settings)
    upgrade(settings, services.engine)
    specs = plan_panels(panels, encrypted_share=0.3, cid_share=0.0, seed=seed)
    actor = system_actor("bench")
    with acting_as(actor), unit_of_work(services.session_factory) as session:
        tenant = create_municipality(
            session, actor, MunicipalityCreate(name="Bänkby kommun", code="9996")
        )
        local = system_actor("bench", tenant.id)
        codes = [f"K-{n:05d}" for n in range(len(specs))]
        with acting_as(local):
            for code in codes:
                create_site(session, local, _site(code))
            register_panels(session, local, services.box, specs, codes)
            secret, _ = create_token(
                session, local, name="bench operators", scopes=["centre.read"], expires_days=1
            )
            create_user(
                session,
                local,
                UserCreate(
                    username=OPERATOR,
                    display_name="Bänk Operatör",
                    password=OPERATOR_PASSWORD,
                    roles=[RoleAssignmentIn(role="operator")],
                ),
                services.passwords,
            )
        rows = session.execute(select(Transmitter.account, Transmitter.site_id)).all()
        site_of = {account: str(site) for account, site in rows}
    name_of = {spec.account: f"Larmobjekt {codes[i]}" for i, spec in enumerate(specs)}
    services.engine.dispose()
    return City(settings, secret, specs, site_of, name_of)


class Panel:
    """One panel's connection; its sequence numbers count up."""

    def __init__(self, spec: PanelSpec, port: int) -> None:
        self.spec = spec
        self.link = TcpLink("127.0.0.1", port)
        self.sequence = 0

    async def send(self, events: str) -> tuple[float, bool]:
        """Send one SIA event frame; when it left and whether it was acknowledged."""
        self.sequence = self.sequence % 9999 + 1
        spec = self.spec
        frame = build_frame(
            Token.SIA_DCS,
            self.sequence,
            spec.account,
            data=sia_block(spec.account, events),
            receiver=spec.receiver,
            line=spec.line,
            timestamp=utcnow(),
            key=spec.key,
        )
        left = time.perf_counter()
        try:
            reply = await self.link.exchange(frame, ACK_TIMEOUT_S)
        except (OSError, TimeoutError):
            self.link.close()
            return left, False
        return left, b'ACK"' in reply  # "ACK", or "*ACK" to an encrypted frame


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _paced(
    plan: Sequence[tuple[float, Panel, str]],
    sent: dict[str, float],
    label: Callable[[Panel, str], str],
) -> int:
    """Send each planned frame at its time (offset from now); returns how many were ACKed."""
    start = time.perf_counter() + 0.2
    acked = 0
    busy: dict[str, asyncio.Lock] = {}

    async def one(offset: float, panel: Panel, events: str) -> None:
        nonlocal acked
        delay = start + offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        # A panel has one message in flight; a later frame of the same panel waits.
        async with busy.setdefault(panel.spec.account, asyncio.Lock()):
            left, ok = await panel.send(events)
        sent[label(panel, events)] = left
        acked += ok

    await asyncio.gather(*(one(offset, panel, events) for offset, panel, events in plan))
    return acked


def _site_key(city: City, category: str) -> Callable[[Arrival], tuple[str, str] | None]:
    def key(arrival: Arrival) -> tuple[str, str] | None:
        if arrival.kind != "new":
            return None
        data = arrival.data
        site = data.get("site") or {}
        site_id, cat = site.get("id"), data.get("category")
        return None if site_id is None or cat != category else (str(site_id), category)

    return key


def _latencies(
    sessions: list[Session], sent: dict[str, float], key: Callable[[Arrival], Any]
) -> tuple[list[float], int]:
    """Frame-to-session milliseconds for every (session, frame) pair, and the misses."""
    arrived = first_arrivals(sessions, key)
    samples: list[float] = []
    missing = 0
    for index in range(len(sessions)):
        for label, left in sent.items():
            at = arrived.get((index, tuple(label.split("|"))))
            if at is None:
                missing += 1
            else:
                samples.append((at - left) * 1000)
    return samples, missing


async def _measure(
    city: City, port: int, http: str, options: Options, console: Console
) -> dict[str, Any]:
    settle_heap()
    panels = [Panel(spec, port) for spec in city.specs]
    sessions = [Session(http, city.token) for _ in range(options.sessions)]
    readers = [asyncio.create_task(session.run()) for session in sessions]
    try:
        async with asyncio.timeout(30):
            await asyncio.gather(*(session.connected.wait() for session in sessions))
        steady = await _steady(city, panels, sessions, options, console)
        storm = await _storm(city, panels, sessions, options, console)
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        for panel in panels:
            panel.link.close()
    return {**steady, "storm": storm}


def _label(city: City, category: str) -> Callable[[Panel, str], str]:
    return lambda panel, _events: f"{city.site_of[panel.spec.account]}|{category}"


async def _steady(
    city: City, panels: list[Panel], sessions: list[Session], options: Options, console: Console
) -> dict[str, Any]:
    count = min(len(panels), int(options.rate * options.seconds))
    console.log(f"steady: {count} burglary alarms at {options.rate:g}/s, {len(sessions)} sessions")
    plan = [(n / options.rate, panels[n], "Nri1/BA01") for n in range(count)]
    sent: dict[str, float] = {}
    acked = await _paced(plan, sent, _label(city, "intrusion"))
    await _settle(
        sessions,
        lambda: (
            len(first_arrivals(sessions, _site_key(city, "intrusion"))) >= count * len(sessions)
        ),
    )
    samples, missing = _latencies(sessions, sent, _site_key(city, "intrusion"))
    return {
        "rate": options.rate,
        "sessions": len(sessions),
        "frames": count,
        "acked": acked,
        "frame_to_browser_p50_ms": round(_percentile(samples, 0.50), 1),
        "frame_to_browser_p99_ms": round(_percentile(samples, 0.99), 1),
        "frame_to_browser_max_ms": round(max(samples, default=0.0), 1),
        "missed": missing,
    }


async def _storm(
    city: City, panels: list[Panel], sessions: list[Session], options: Options, console: Console
) -> dict[str, Any]:
    seconds = options.storm_seconds
    frames = int(options.storm_rate * seconds)
    stormers = panels[: options.storm_panels]
    fire_panels = panels[options.storm_panels : options.storm_panels + int(seconds)]
    if len(fire_panels) < int(seconds):
        fire_panels = stormers[-int(seconds) :]  # fewer panels than asked: fire from the last
    console.log(
        f"storm: {frames} AC-loss frames at {options.storm_rate:g}/s from {len(stormers)} "
        "panels, a fire alarm each second"
    )
    storm_plan = [
        (n / options.storm_rate, stormers[n % len(stormers)], "Nri0/AT00") for n in range(frames)
    ]
    fire_plan = [(s + 0.5, fire_panels[s], "Nri3/FA03") for s in range(int(seconds))]
    started_wall = utcnow()
    fire_sent: dict[str, float] = {}
    storm_sent: dict[str, float] = {}
    results = await asyncio.gather(
        _paced(storm_plan, storm_sent, lambda p, _e: p.spec.account),
        _paced(fire_plan, fire_sent, _label(city, "fire")),
    )
    key = _site_key(city, "fire")
    await _settle(
        sessions, lambda: len(first_arrivals(sessions, key)) >= len(fire_plan) * len(sessions)
    )
    samples, missing = _latencies(sessions, fire_sent, key)
    rows = _storm_rows(city.settings.database.url, started_wall)
    return {
        "frames": frames,
        "acked": results[0],
        "rate": options.storm_rate,
        "panels": len(stormers),
        "fire_alarms": len(fire_plan),
        "fire_acked": results[1],
        "fire_to_browser_p50_ms": round(_percentile(samples, 0.50), 1),
        "fire_to_browser_p99_ms": round(_percentile(samples, 0.99), 1),
        "fire_missed": missing,
        "queue_rows": rows["storm"],
        "storm_activations": rows["grouped"],
    }


def _storm_rows(url: str, since: Any) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            made = select(func.count()).select_from(Activation).where(Activation.opened_at >= since)
            storm = conn.scalar(made.where(Activation.category == "fault")) or 0
            grouped = conn.scalar(made.where(Activation.kind == ActivationKind.STORM)) or 0
        return {"storm": int(storm), "grouped": int(grouped)}
    finally:
        engine.dispose()


async def _settle(sessions: list[Session], done: Callable[[], bool], limit_s: float = 15.0) -> None:
    """Wait until every expected event arrived (or the limit passed: then they count as missed)."""
    deadline = time.perf_counter() + limit_s
    while not done() and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)


def _serve(city: City, http_port: int, dc09_port: int, log: Path) -> ChildServer:
    env = {
        **os.environ,
        "STADSVAKT_DATABASE_URL": city.settings.database.url,
        "STADSVAKT_DC09_PORT": str(dc09_port),
        "STADSVAKT_ALARMS__DC09_UDP": "false",
        "STADSVAKT_ALARMS__SIP_ENABLED": "false",
        "STADSVAKT_ALARMS__SUPERVISION_ENABLED": "false",
        "STADSVAKT_ALARMS__MAX_CONNECTIONS": "100000",
        "STADSVAKT_ALARMS__MAX_CONNECTIONS_PER_ADDRESS": "100000",  # every panel is local
    }
    argv = [STADSVAKT, "serve", "--host", "127.0.0.1", "--port", str(http_port), "--workers", "1"]
    server = ChildServer(argv, env, dc09_port, log)
    return server


def run(options: Options, console: Console) -> dict[str, Any]:
    """Build the city, serve it, measure; the benchmark's JSON."""
    panels = options.storm_panels + int(options.storm_seconds)
    panels = max(panels, int(options.rate * options.seconds))
    with (
        tempfile.TemporaryDirectory(prefix="stadsvakt-bench-console-") as folder,
        contextlib.ExitStack() as stack,
    ):
        if options.postgres_url:
            url = stack.enter_context(_throwaway_postgres(options.postgres_url))
            database = "postgresql"
        else:
            url = f"sqlite:///{Path(folder) / 'console.db'}"
            database = "sqlite"
        console.log(f"registering {panels} panels on {panels} sites ({database})")
        city = _build_city(url, panels, options.seed)
        http_port, dc09_port = free_port(), free_port()
        log = Path(folder) / "serve.log"
        with _serve(city, http_port, dc09_port, log):
            base = f"http://127.0.0.1:{http_port}"
            _wait_http(base)
            result = asyncio.run(_measure(city, dc09_port, base, options, console))
            if options.chromium:
                from benchmarks.console.browser import chromium_sample

                result["chromium"] = chromium_sample(
                    city, base, dc09_port, options.chromium, console
                )
    return {"database": database, **result, "run_id": uuid.uuid4().hex[:8]}


def _wait_http(base: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("stadsvakt serve did not become ready")


__all__ = ["DEFAULT_POSTGRES", "Options", "run"]
