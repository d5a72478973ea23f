"""Status reports written in batches, off the gateway's loop.

Each device reports after its hello and then periodically, so after an outage a
thousand reports arrive at once. Written one by one in the gateway's loop, each would
hold up the next device's hello by a worker thread's turn and a commit. Instead the
handler only checks the body and queues it here; a writer task stores everything
queued so far in one transaction (a savepoint per report, so a revoked device's report
does not undo the others) and then commits.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from stadsvakt.edge.devices.live import record_door_states
from stadsvakt.edge.devices.service import record_status
from stadsvakt.edge.hub.messages import StatusBody
from stadsvakt.errors import NotFound

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Report:
    """One checked status report, and when the centre received it."""

    device_id: uuid.UUID
    body: StatusBody
    seen_at: datetime


def _store(session: Session, report: Report) -> None:
    body = report.body
    record_status(
        session,
        report.device_id,
        software_version=body.software_version,
        health=body.health,
        health_detail=body.health_detail,
        snapshot_version=body.snapshot_version or 0,
        pending_events=body.pending_events,
        clock_drift_ms=body.clock_drift_ms,
        seen_at=report.seen_at,
    )
    states = {str(door): state.value for door, state in body.doors.items()}
    record_door_states(session, report.device_id, states, body.at)


def store_reports(factory: Callable[[], Session], reports: list[Report]) -> list[uuid.UUID]:
    """Store the reports in one transaction and commit; the devices found revoked or
    unknown (their reports are left out). Blocking: from a worker thread."""
    gone: list[uuid.UUID] = []
    with factory() as session:
        for report in reports:
            try:
                with session.begin_nested():
                    _store(session, report)
            except NotFound:
                gone.append(report.device_id)
        session.commit()
    return gone


class StatusWriter:
    """Queues checked reports and stores them in batches until cancelled."""

    def __init__(
        self, factory: Callable[[], Session], on_gone: Callable[[uuid.UUID], None]
    ) -> None:
        self._factory = factory
        self._on_gone = on_gone
        self._queued: list[Report] = []
        self._wake = asyncio.Event()
        #: Reports stored, and reports lost to a failed write (logged).
        self.written = 0
        self.failed = 0

    def add(self, report: Report) -> None:
        """Queue a report (stored with the next batch)."""
        self._queued.append(report)
        self._wake.set()

    async def serve(self) -> None:
        """Store what is queued, batch after batch, until cancelled."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._queued = self._queued, []
            try:
                gone = await asyncio.to_thread(store_reports, self._factory, batch)
            except Exception:  # the database is away: these reports are lost, not the hub
                self.failed += len(batch)
                log.exception("storing %d edge status reports failed", len(batch))
                continue
            for device_id in gone:
                self._on_gone(device_id)
            self.written += len(batch) - len(gone)
