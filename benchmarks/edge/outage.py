"""Part 3: an hour (``hours``) without the centre, then the upload of what the doors decided.

The agent decides one card read per door per second on the signed snapshot's state,
with the centre down (its uploader tries every ``upload_interval_seconds`` and is
refused a connection); the agent's clock moves one second per round, so an hour takes
as long as its decisions and buffer writes do, not an hour. Then the centre comes up:
``stadsvakt serve`` (uvicorn) on a free port over the city's database, where the device
was enrolled through the enrolment service (or, for quick runs, the same app under
uvicorn on a thread here: :mod:`.serving`). Once it is idle (its start-up work, the
decision index, done), the agent's own :class:`Uploader` sends the buffer, batch after
batch, until it is empty. The last batch is then sent a second time (it must be answered
as duplicates), and the centre's database is counted: every buffered id must be stored
once, with one access-log row per access event.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from benchmarks.decisions.http_load import cpu_seconds, free_port
from benchmarks.edge.centre import Centre, EnrolledDevice
from benchmarks.edge.rig import SteppedClock, edge_config, reader_name
from benchmarks.edge.serving import centre as centre_server
from stadsvakt.access.models import AccessEvent
from stadsvakt.db import unit_of_work
from stadsvakt.edge.agent.agent import Agent
from stadsvakt.edge.agent.buffer import BufferedEvent, EventBuffer
from stadsvakt.edge.agent.osdp_reader import CardRead
from stadsvakt.edge.agent.outputs import SimulatedOutputs
from stadsvakt.edge.agent.uploader import EVENTS_PATH, Uploader
from stadsvakt.edge.envelope import seal
from stadsvakt.edge.ingest.models import EdgeEvent
from stadsvakt.edge.snapshot.state import SnapshotState

#: Share of reads by a card the centre never issued (the rest: the snapshot's cards).
UNKNOWN_SHARE = 0.05
#: The centre is idle (its start-up work done) below this share of one core.
IDLE_CPU_SHARE = 0.1
Advance = Callable[[int], None]


class SilentFeedback:
    """No reader LEDs: this part's reads come straight to the agent, not over OSDP."""

    def granted(self, reader: str, seconds: float) -> None:
        """Nothing to show."""

    def denied(self, reader: str) -> None:
        """Nothing to show."""

    def pin_wanted(self, reader: str, seconds: float) -> None:
        """Nothing to show."""


def decide_offline(
    agent: Agent,
    uploader: Uploader,
    clock: SteppedClock,
    cards: list[str],
    seconds: int,
    *,
    seed: int,
    advance: Advance,
) -> dict[str, Any]:
    """``seconds`` rounds of one read at each door, the centre unreachable throughout."""
    rng = random.Random(seed)
    doors = len(agent.config.doors)
    interval = max(1, round(agent.config.upload_interval_seconds))
    granted = refused_uploads = 0
    started = time.perf_counter()
    for second in range(seconds):
        for index in range(doors):
            if rng.random() < UNKNOWN_SHARE or not cards:
                uid = f"{rng.getrandbits(56):014X}"
            else:
                uid = rng.choice(cards)
            decision = agent.on_reader_event(CardRead(reader_name(index), uid))
            granted += decision is not None and decision.granted
        clock.advance(1)
        agent.poll()
        if second % interval == 0:
            refused_uploads += uploader.upload_once() == 0
        advance(doors)
    elapsed = time.perf_counter() - started
    if agent.health.centre_reachable:
        raise RuntimeError("the centre answered during the outage")
    return {
        "outage_decide_s": round(elapsed, 2),
        "outage_granted": granted,
        "outage_upload_attempts_refused": refused_uploads,
    }


def _wait_idle(pid: int, timeout_s: float = 180.0) -> float:
    """Wait until the centre's processes use less than :data:`IDLE_CPU_SHARE` of a core over a
    second (its decision index built); the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        before = cpu_seconds(pid)
        time.sleep(1.0)
        if cpu_seconds(pid) - before < IDLE_CPU_SHARE:
            break
    return time.monotonic() - started


def _resend(client: httpx.Client, device: EnrolledDevice, batch: list[BufferedEvent]) -> Any:
    """The same events sent again, in a new envelope as the agent would after a lost answer."""
    payload = seal(
        {
            "kind": "events",
            "device": str(device.id),
            "body": {
                "sent_at": datetime.now(UTC).isoformat(),
                "events": [event.body for event in batch],
            },
        },
        device.key,
    )
    response = client.post(
        EVENTS_PATH, content=payload, headers={"content-type": "application/json"}
    )
    response.raise_for_status()
    return response.json()


def _count(
    centre: Centre, device: EnrolledDevice, ids: set[uuid.UUID], access: int
) -> dict[str, int]:
    with unit_of_work(centre.session_factory) as session:
        stored = list(session.scalars(select(EdgeEvent.id).where(EdgeEvent.device_id == device.id)))
        logged = session.scalar(
            select(func.count())
            .select_from(AccessEvent)
            .where(AccessEvent.source == f"edge:{device.id}")
        )
    distinct = set(stored)
    return {
        "outage_lost": len(ids - distinct),
        "outage_duplicated": (len(stored) - len(distinct))
        + len(distinct - ids)
        + max(0, int(logged or 0) - access),
        "outage_stored_rows": len(stored),
        "outage_access_log_rows": int(logged or 0),
    }


def measure_outage(
    centre: Centre,
    device: EnrolledDevice,
    state: SnapshotState,
    workdir: Path,
    *,
    now: datetime,
    hours: float,
    upload_batch: int,
    seed: int,
    advance: Advance,
    say: Callable[[str], None],
    in_process: bool = False,
) -> dict[str, Any]:
    """Decide ``hours`` offline at the device's doors, then upload to a centre that came up."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = edge_config(
        workdir,
        device_id=device.id,
        tenant_id=state.tenant_id,
        door_ids=list(device.door_ids),
        key=device.key,
        upload_batch=upload_batch,
    )
    clock = SteppedClock(now)
    buffer = EventBuffer(config.buffer_path)
    agent = Agent(
        config,
        state=state,
        buffer=buffer,
        outputs=SimulatedOutputs(),
        feedback=SilentFeedback(),
        clock=clock,
    )
    cards = sorted(entry.identifier for entry in state.credentials_by_id.values())
    try:
        down = httpx.Client(base_url=f"http://127.0.0.1:{free_port()}", timeout=2.0)
        with down:
            offline = decide_offline(
                agent,
                Uploader(agent, device.key, down),
                clock,
                cards,
                round(hours * 3600),
                seed=seed,
                advance=advance,
            )
        everything = buffer.pending(buffer.count(uploaded=False))
        ids = {event.id for event in everything}
        access = sum(event.body["type"] == "access" for event in everything)
        say(f"outage: {len(ids)} events buffered; the centre comes up")
        with (
            centre_server(centre.url, workdir, in_process=in_process) as running,
            httpx.Client(base_url=running.base, timeout=60.0) as client,
        ):
            waited = _wait_idle(running.pid) if running.pid is not None else 0.0
            uploader = Uploader(agent, device.key, client)
            batches = confirmed = 0
            started = time.perf_counter()
            while (sent := uploader.upload_once()) > 0:
                confirmed += sent
                batches += 1
            upload_s = time.perf_counter() - started
            left = buffer.count(uploaded=False)
            if left:
                raise RuntimeError(f"{left} events not uploaded: {agent.health.faults}")
            last = everything[(len(everything) - 1) // upload_batch * upload_batch :]
            again = _resend(client, device, last)
        counts = _count(centre, device, ids, access)
    finally:
        buffer.close()
    return {
        "outage_events": len(ids),
        "outage_hours": hours,
        "outage_doors": len(config.doors),
        "outage_upload_s": round(upload_s, 2),
        "outage_events_per_s": round(len(ids) / upload_s, 1) if upload_s else None,
        "outage_upload_batches": batches,
        "outage_upload_batch": upload_batch,
        "outage_confirmed": confirmed,
        "outage_centre_idle_wait_s": round(waited, 1),
        "outage_centre": "in_process" if in_process else "stadsvakt_serve",
        "outage_resent": len(last),
        "outage_resent_stored": len(again["stored"]),
        "outage_resent_duplicates": len(again["duplicates"]),
        **offline,
        **counts,
    }
