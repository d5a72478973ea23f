"""``stadsvakt bench edge``: the edge's snapshot, door decision, outage and revocation figures.

For each backend the city of ``benchmarks/decisions/city.py`` is written to a fresh
database (60,000 people at scale 1) with one large site whose ``doors`` doors one edge
device serves (:mod:`benchmarks.edge.centre`), and that device is enrolled through the
enrolment service. Then, each part on its own module:

1. snapshot (:mod:`.snapshot`): build and seal its snapshot, accept it at the edge;
2. latency (:mod:`.latency`, once, on the first backend's snapshot: no database is
   involved): card read at a libosdp reader to the lock relay;
3. outage (:mod:`.outage`): hours of reads decided with the centre down, then uploaded;
4. revocation (:mod:`.revocation`): a card revoked at the centre until ``edges`` edges
   deny it.

Decisions are made at a fixed moment (:data:`NOW`, a Wednesday morning in the city's
January), so every run sees the same rights whatever the day it runs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from benchmarks.dc09.run import DEFAULT_POSTGRES
from benchmarks.edge import revocation
from benchmarks.edge.centre import Centre, EnrolledDevice, database, enrol, write_city
from benchmarks.edge.latency import granted_reads, measure_latency, running_agent
from benchmarks.edge.outage import measure_outage
from benchmarks.edge.snapshot import Snapshot, measure_snapshot
from stadsvakt.db import unit_of_work
from stadsvakt.edge.snapshot.settings import SnapshotSettings
from stadsvakt.runtime import settle_heap

PARTS = ("snapshot", "latency", "outage", "revocation")
#: 10:00 in Stockholm on Wednesday 14 January 2026, in the city's generated week.
NOW = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)
#: The keys every run prints (None for a part skipped).
HEADLINE = {
    "snapshot": ("snapshot_build_ms", "snapshot_bytes"),
    "latency": ("edge_decision_p99_ms",),
    "outage": ("outage_events", "outage_upload_s", "outage_lost", "outage_duplicated"),
    "revocation": ("revocation_p50_ms", "revocation_p99_ms"),
}
#: How the backends' figures of a key combine into the headline: the worse one.
_WORSE: dict[str, Callable[[list[Any]], Any]] = {
    "outage_events": min,
    "outage_lost": sum,
    "outage_duplicated": sum,
}


@dataclass
class Options:
    """What to run; the defaults are the full run."""

    scale: float = 1.0
    seed: int = 20261206
    backends: tuple[str, ...] = ("sqlite", "postgresql")
    postgres_url: str = DEFAULT_POSTGRES
    edges: int = 1000
    outage_hours: float = 1.0
    doors: int = 20
    skip: frozenset[str] = field(default_factory=frozenset)
    #: Builds (and accepts) of the snapshot timed.
    snapshot_runs: int = 7
    #: Granted card reads timed at the libosdp readers.
    reads: int = 300
    #: Events per upload (edge.toml's ``upload_batch``).
    upload_batch: int = 200
    #: The outage's centre on a thread here instead of ``stadsvakt serve`` (quick runs).
    centre_in_process: bool = False
    #: The hub's MQTT client's QoS 1 messages in flight (None: as the hub makes it).
    hub_inflight: int | None = None


class _Bars:
    """Rich progress bars on stderr, one task per phase."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def task(self, description: str) -> Callable[[int], Callable[[int], None]]:
        """A factory: given the total, a task's ``advance``."""

        def start(total: int) -> Callable[[int], None]:
            task = self.progress.add_task(description, total=total)
            return lambda n: self.progress.advance(task, n)

        return start


def _enrol_edge(centre: Centre) -> EnrolledDevice:
    with unit_of_work(centre.session_factory) as session:
        return enrol(
            session, centre.city.tenant_id, centre.site_id, centre.edge_doors, "Bänkskolan"
        )


def _latency(snapshot: Snapshot, device: EnrolledDevice, options: Options, bars: _Bars) -> Any:
    reads = granted_reads(snapshot.state, list(device.door_ids), NOW)
    with tempfile.TemporaryDirectory(prefix="stadsvakt-bench-edge-osdp-") as tmp:
        with running_agent(
            Path(tmp),
            device_id=device.id,
            door_ids=list(device.door_ids),
            state=snapshot.state,
            tenant_id=snapshot.state.tenant_id,
            now=NOW,
        ) as rig:
            advance = bars.task("Card reads over OSDP")(options.reads)
            return measure_latency(rig, reads, options.reads, seed=options.seed, advance=advance)


def _one_backend(
    backend: str, options: Options, bars: _Bars, console: Console, first: bool
) -> dict[str, Any]:
    result: dict[str, Any] = {"backend": backend, "scale": options.scale}
    settings = SnapshotSettings()
    wanted = {part for part in PARTS if part not in options.skip}
    with database(backend, options.postgres_url) as url:
        plan = revocation.Plan(options.edges) if "revocation" in wanted else None
        centre = write_city(
            url,
            scale=options.scale,
            seed=options.seed,
            doors=options.doors,
            extra=plan.add_rows if plan is not None else None,
            progress=bars.task(f"Writing the city ({backend})"),
        )
        try:
            result.update({f"city.{k}": v for k, v in centre.city.sizes.items()})
            device = _enrol_edge(centre)
            result["edge_doors"] = len(device.door_ids)
            # The generated rows are this process's, not the centre's or the edge's.
            centre.city.rows.clear()
            settle_heap()
            snapshot: Snapshot | None = None
            if wanted & {"snapshot", "latency", "outage"}:
                snapshot = measure_snapshot(
                    centre,
                    device.id,
                    list(device.door_ids),
                    NOW,
                    runs=options.snapshot_runs if "snapshot" in wanted else 1,
                    settings=settings,
                )
                if "snapshot" in wanted:
                    result.update(snapshot.figures)
            if snapshot is not None and "latency" in wanted and first:
                result.update(_latency(snapshot, device, options, bars))
            if snapshot is not None and "outage" in wanted:
                with tempfile.TemporaryDirectory(prefix="stadsvakt-bench-edge-outage-") as tmp:
                    result.update(
                        measure_outage(
                            centre,
                            device,
                            snapshot.state,
                            Path(tmp),
                            now=NOW,
                            hours=options.outage_hours,
                            upload_batch=options.upload_batch,
                            seed=options.seed,
                            advance=bars.task(f"Outage: reads decided ({backend})")(
                                round(options.outage_hours * 3600) * len(device.door_ids)
                            ),
                            say=console.log,
                            in_process=options.centre_in_process,
                        )
                    )
            if plan is not None:
                result.update(
                    revocation.measure(
                        centre, plan, settings, bars.task, hub_inflight=options.hub_inflight
                    )
                )
        finally:
            centre.engine.dispose()
    return result


def _headline(runs: dict[str, dict[str, Any]], options: Options) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part, keys in HEADLINE.items():
        for key in keys:
            values = [run[key] for run in runs.values() if run.get(key) is not None]
            if part in options.skip or not values:
                out[key] = None
            else:
                out[key] = _WORSE.get(key, max)(values)
    return out


def run(options: Options, console: Console) -> dict[str, Any]:
    """The brief's keys at the top (each the worse of the backends run; the latency's from
    the first backend's snapshot) and each backend's whole result under ``by_backend``."""
    unknown = options.skip - set(PARTS)
    if unknown:
        raise ValueError(f"unknown parts to skip: {sorted(unknown)} (known: {PARTS})")
    runs: dict[str, dict[str, Any]] = {}
    with Progress(console=console, transient=True) as progress:
        bars = _Bars(progress)
        for i, backend in enumerate(options.backends):
            runs[backend] = _one_backend(backend, options, bars, console, first=i == 0)
    result: dict[str, Any] = {
        "backend": ",".join(runs),
        "scale": options.scale,
        "edges": options.edges if "revocation" not in options.skip else None,
        "doors": options.doors,
        "outage_hours": options.outage_hours,
        "decided_at": NOW.isoformat(),
        "skipped": sorted(options.skip),
        "by_backend": runs,
    }
    result.update(_headline(runs, options))
    first = runs[options.backends[0]] if options.backends else {}
    for key in ("edge_decision_p50_ms", "edge_decision_reads"):
        result[key] = first.get(key)
    return result
