"""Part 1: the signed snapshot of one edge's doors, built and sealed at the centre and
accepted (checked and read into its decision state) at the edge."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from benchmarks.edge.centre import Centre
from benchmarks.edge.figures import summary
from stadsvakt.db import unit_of_work
from stadsvakt.edge.snapshot.build import build_snapshot, seal_snapshot
from stadsvakt.edge.snapshot.settings import SnapshotSettings
from stadsvakt.edge.snapshot.state import SnapshotState
from stadsvakt.edge.snapshot.verify import accept_snapshot


@dataclass
class Snapshot:
    """The last sealed payload, the state the edge read from it, and the figures."""

    payload: bytes
    state: SnapshotState
    figures: dict[str, Any]


def measure_snapshot(
    centre: Centre,
    device_id: uuid.UUID,
    door_ids: list[uuid.UUID],
    now: datetime,
    *,
    runs: int,
    settings: SnapshotSettings,
) -> Snapshot:
    """Build and seal the snapshot ``runs`` times (each in a fresh session, as the centre
    does for each edge that asks), then accept it at the edge as many times."""
    tenant = centre.city.tenant_id
    build_ms: list[float] = []
    payload = b""
    for _ in range(runs):
        with unit_of_work(centre.session_factory) as session:
            started = time.perf_counter()
            body = build_snapshot(session, tenant, door_ids, now, settings=settings)
            payload = seal_snapshot(body, device_id, settings)
            build_ms.append((time.perf_counter() - started) * 1000)
    accept_ms: list[float] = []
    key = settings.public_key()
    state: SnapshotState | None = None
    for _ in range(runs):
        started = time.perf_counter()
        state = accept_snapshot(payload, key, device_id, tenant, None)
        accept_ms.append((time.perf_counter() - started) * 1000)
    if state is None:
        raise ValueError("runs must be at least 1")
    figures: dict[str, Any] = {
        **summary("snapshot_build", build_ms),
        **summary("snapshot_accept", accept_ms),
        "snapshot_bytes": len(payload),
        "snapshot_runs": runs,
        "snapshot_version": state.version,
        "snapshot.doors": len(state.doors),
        "snapshot.people": len(state.people),
        "snapshot.credentials": len(state.credentials_by_id),
        "snapshot.profiles": len(state.profiles),
        "snapshot.schedules": len(state.schedules),
    }
    # The headline figures are the medians.
    figures["snapshot_build_ms"] = figures["snapshot_build_p50_ms"]
    figures["snapshot_accept_ms"] = figures["snapshot_accept_p50_ms"]
    return Snapshot(payload, state, figures)
