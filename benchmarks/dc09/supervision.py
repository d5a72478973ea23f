"""Supervision at city scale: how fast silence is noticed, and what watching costs.

:func:`measure_supervision` registers N transmitters in one bulk insert, starts a
heartbeat process that advances ``last_seen_at`` for the live ones at their
interval (through :func:`~stadsvakt.alarms.store.touch_transmitters`, about once a
second, as the DC-09 writer does), and runs the real :class:`Supervisor` in a
thread of its own (its ``start``/``pause``/``tick``, as ``serve`` runs them), so
``time.thread_time()`` in that thread is the supervisor's CPU. A few silent
transmitters are registered once the supervisor runs, with a last sign of life
chosen so that their deadlines (last seen + interval + grace) fall evenly inside
the run. Reported:

* ``detect_delay_s_max`` / ``_mean``: deadline → failure alarm committed;
* ``cpu_share``: the supervisor thread's CPU seconds over the run's wall time;
* ``load_s``: the one query and heap build at start; ``false_failures``: live
  transmitters wrongly failed (should be 0).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Event as ProcessEvent
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.metrics import Metrics
from stadsvakt.alarms.models import Transmitter
from stadsvakt.alarms.store import touch_transmitters
from stadsvakt.alarms.supervision.watcher import Supervisor
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import create_db_engine, create_session_factory, unit_of_work, utcnow
from stadsvakt.migrate import upgrade
from stadsvakt.org.models import OwnerKind
from stadsvakt.org.schemas import MunicipalityCreate, SiteCreate
from stadsvakt.org.service import create_municipality, create_site
from stadsvakt.settings import AlarmSettings, Settings

_INSERT_CHUNK = 5000
#: Seconds between the heartbeat process's flushes (the DC-09 writer's rhythm).
_FLUSH_S = 1.0


def _settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, _env_file=None)


def _tenant_and_site(factory: sessionmaker[Session]) -> tuple[uuid.UUID, uuid.UUID]:
    actor = system_actor("bench-supervision")
    suffix = uuid.uuid4().hex[:6]
    with acting_as(actor), unit_of_work(factory) as session:
        tenant = create_municipality(
            session,
            actor,
            MunicipalityCreate(name=f"Bänkby {suffix}", code=f"{int(suffix, 16) % 10_000:04d}"),
        )
        local = system_actor("bench-supervision", tenant.id)
        site = create_site(
            session,
            local,
            SiteCreate(
                code=f"B{suffix}",
                name="Bänkhuset",
                street="Storgatan 1",
                postal_code="211 34",
                city="Bänkby",
                latitude=55.6,
                longitude=13.0,
                owner_kind=OwnerKind.CITY,
            ),
        )
        return tenant.id, site.id


def _rows(
    tenant: uuid.UUID,
    site: uuid.UUID,
    prefix: str,
    seen: Sequence[datetime],
    interval_s: int,
    now: datetime,
) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant,
            "site_id": site,
            "account": f"{prefix}{index:08X}",
            "receiver": "0",
            "line": "0",
            "protocol": "dc09-sia",
            "interval_s": interval_s,
            "encrypted_only": False,
            "last_seen_at": moment,
            "created_at": now,
            "updated_at": now,
        }
        for index, moment in enumerate(seen)
    ]


def _insert(factory: sessionmaker[Session], rows: list[dict[str, Any]]) -> None:
    with unit_of_work(factory) as session:
        for start in range(0, len(rows), _INSERT_CHUNK):
            session.execute(insert(Transmitter), rows[start : start + _INSERT_CHUNK])


def _heartbeats(
    database_url: str,
    ids: list[uuid.UUID],
    first: float,
    interval_s: int,
    stop: ProcessEvent,
) -> None:
    """Child process: each flush, touch every live transmitter whose beat came due.

    Transmitter ``i`` beats at ``first + i * interval / n`` and every interval after;
    the moment stored is its scheduled time, as a receiver stamps the arrival.
    """
    engine = create_db_engine(_settings(database_url))
    factory = create_session_factory(engine)
    count = len(ids)
    step = interval_s / max(count, 1)
    beat = 0  # beats sent so far, over all rounds
    while not stop.is_set():
        now = time.time()
        seen: dict[uuid.UUID, datetime] = {}
        while count and first + beat * step <= now:
            seen[ids[beat % count]] = datetime.fromtimestamp(first + beat * step, UTC)
            beat += 1
        if seen:
            with unit_of_work(factory) as session:
                touch_transmitters(session, seen)
        stop.wait(_FLUSH_S)
    engine.dispose()


class _Driver(threading.Thread):
    """Runs the supervisor as ``serve`` does (pause, tick), timing its CPU and failures."""

    def __init__(self, job: Supervisor) -> None:
        super().__init__(name="supervisor", daemon=True)
        self.job = job
        self.halt = threading.Event()
        self.measure = threading.Event()  # set when the measured run begins
        self.failed_at: dict[uuid.UUID, datetime] = {}
        self.cpu_s = 0.0
        self.load_s = 0.0
        self.loaded = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            began = time.perf_counter()
            self.job.start()
            self.load_s = time.perf_counter() - began
            self.loaded.set()
            cpu: float | None = None
            while not self.halt.wait(self.job.pause()):
                if cpu is None and self.measure.is_set():
                    cpu = time.thread_time()
                settled = self.job.tick()
                if settled is not None:
                    committed = utcnow()
                    for row in settled.failed:
                        self.failed_at[row.id] = committed
            self.cpu_s = time.thread_time() - cpu if cpu is not None else 0.0
        except BaseException as exc:  # reported by the caller
            self.error = exc
            self.loaded.set()


def measure_supervision(
    *,
    transmitters: int = 250_000,
    interval_s: int = 90,
    silent: int = 100,
    database_url: str,
    duration_s: float = 45.0,
    grace_s: int = 30,
) -> dict[str, float | int]:
    """Run the supervisor over ``transmitters`` (``silent`` of them fall silent); see above."""
    settings = _settings(database_url)
    engine = create_db_engine(settings)
    upgrade(settings, engine)
    factory = create_session_factory(engine)
    tenant, site = _tenant_and_site(factory)
    live = transmitters - silent
    # Set-up (insert, heartbeat process, the supervisor's load) happens before the
    # measured run, which begins at run_start; the live transmitters' last beats
    # are placed as if they had been beating all along until then.
    setup = timedelta(seconds=8 + transmitters / 6_000)
    run_start = utcnow() + setup
    step = timedelta(seconds=interval_s / max(live, 1))
    last = [run_start - timedelta(seconds=interval_s) + i * step for i in range(live)]
    run = uuid.uuid4().hex[:6].upper()  # accounts unique per run, so a database can be reused
    live_rows = _rows(tenant, site, f"{run}1", last, interval_s, utcnow())
    began = time.perf_counter()
    _insert(factory, live_rows)
    insert_s = time.perf_counter() - began
    ids = [row["id"] for row in live_rows]
    del live_rows, last

    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    beater = context.Process(
        target=_heartbeats,
        args=(database_url, ids, run_start.timestamp(), interval_s, stop),
        daemon=True,
    )
    beater.start()
    del ids
    job = Supervisor(AlarmSettings(supervision_grace_s=grace_s), factory, metrics=Metrics())
    driver = _Driver(job)
    driver.start()
    driver.loaded.wait()
    if driver.error is not None:
        raise driver.error
    overrun = (utcnow() - run_start).total_seconds()
    time.sleep(max(-overrun, 0.0))

    driver.measure.set()
    wall = time.perf_counter()
    span = timedelta(seconds=interval_s + grace_s)
    lead, tail = 5.0, 5.0
    gap = max(duration_s - lead - tail, 1.0) / max(silent, 1)
    deadlines = [utcnow() + timedelta(seconds=lead + j * gap) for j in range(silent)]
    quiet = [moment - span for moment in deadlines]
    silent_rows = _rows(tenant, site, f"{run}2", quiet, interval_s, utcnow())
    _insert(factory, silent_rows)
    due = {row["id"]: moment for row, moment in zip(silent_rows, deadlines, strict=True)}

    time.sleep(max(duration_s - (time.perf_counter() - wall), 0.0))
    driver.halt.set()
    driver.join()
    run_wall = time.perf_counter() - wall
    stop.set()
    beater.join(timeout=30)
    engine.dispose()
    if driver.error is not None:
        raise driver.error

    delays = [
        (driver.failed_at[tid] - moment).total_seconds()
        for tid, moment in due.items()
        if tid in driver.failed_at
    ]
    return {
        "transmitters": transmitters,
        "interval_s": interval_s,
        "grace_s": grace_s,
        "heartbeats_per_s": round(live / interval_s, 1),
        "silent": silent,
        "detected": len(delays),
        "false_failures": len(set(driver.failed_at) - set(due)),
        "detect_delay_s_max": round(max(delays), 3) if delays else float("nan"),
        "detect_delay_s_mean": round(sum(delays) / len(delays), 3) if delays else float("nan"),
        "cpu_share": round(driver.cpu_s / run_wall, 4),
        "load_s": round(driver.load_s, 2),
        "insert_s": round(insert_s, 2),
        "setup_overrun_s": round(max(overrun, 0.0), 1),
        "duration_s": round(run_wall, 1),
    }
