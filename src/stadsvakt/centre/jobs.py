"""The centre's periodic work in every serving process: held activations back to the
queue and fair offering, unanswered dispatches escalated, old camera evidence purged.

Each :class:`Job` first asks, reading only, whether there is anything to do
(:attr:`Job.due`), and only then writes, in a transaction of its own that does not
wait for SQLite's write lock (another process writing now is doing the same work; the
next round retries). Every job is safe to run in several processes at once: each
writes with conditional updates, so work is done once whichever process finds it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.centre import dispatch, receiving
from stadsvakt.centre.cameras.models import Snapshot
from stadsvakt.centre.cameras.service import purge_evidence
from stadsvakt.centre.models import Activation, ActivationState
from stadsvakt.centre.units.models import Dispatch
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import lock_was_busy, read_only_session, unit_of_work, utcnow
from stadsvakt.settings import CentreSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    """A piece of periodic work: how often, whether it is due now, and the work."""

    name: str
    every_s: float
    due: Callable[[Session, datetime], bool]
    run: Callable[[Session, datetime], object]


def _offering_due(session: Session, now: datetime) -> bool:
    held = exists().where(Activation.state == ActivationState.ON_HOLD, Activation.held_until <= now)
    waiting = exists().where(
        Activation.state == ActivationState.OPEN, Activation.claimed_by.is_(None)
    )
    listening = exists().where(receiving.Receiver.receiving.is_(True))
    return bool(session.scalar(select(held | (waiting & listening))))


def jobs_of(settings: CentreSettings) -> list[Job]:
    """The centre's jobs with the installation's settings."""

    def unanswered_due(session: Session, now: datetime) -> bool:
        limit = now - timedelta(seconds=settings.dispatch_accept_s)
        late = exists().where(
            Dispatch.accepted_at.is_(None),
            Dispatch.escalated_at.is_(None),
            Dispatch.cleared_at.is_(None),
            Dispatch.cancelled_at.is_(None),
            Dispatch.dispatched_at <= limit,
        )
        return bool(session.scalar(select(late)))

    def evidence_due(session: Session, now: datetime) -> bool:
        cutoff = now - timedelta(days=settings.evidence_retention_days)
        return bool(session.scalar(select(exists().where(Snapshot.requested_at < cutoff))))

    return [
        Job("offer", settings.jobs_poll_s, _offering_due, receiving.tick),
        Job(
            "unanswered-dispatches",
            settings.jobs_poll_s,
            unanswered_due,
            lambda session, now: dispatch.escalate_unanswered(
                session, now, accept_s=settings.dispatch_accept_s
            ),
        ),
        Job(
            "evidence-purge",
            3600.0,
            evidence_due,
            lambda session, now: purge_evidence(session, settings, now=now),
        ),
    ]


def run_once(factory: sessionmaker[Session], job: Job, now: datetime | None = None) -> bool:
    """Run ``job`` if it is due; whether it wrote. A busy SQLite lock skips the round."""
    now = now or utcnow()
    with read_only_session(factory) as session:
        if not job.due(session, now):
            return False
    with acting_as(system_actor(f"centre-{job.name}")):
        try:
            with unit_of_work(factory, wait=False) as session:
                job.run(session, now)
        except OperationalError as exc:
            if lock_was_busy(exc):
                return False
            raise
    return True


async def _every(factory: sessionmaker[Session], job: Job) -> None:
    while True:
        await asyncio.sleep(job.every_s)
        try:
            await asyncio.to_thread(run_once, factory, job)
        except Exception:  # a failed round is retried at the next one
            log.exception("centre job %s failed", job.name)


@asynccontextmanager
async def running(factory: sessionmaker[Session], settings: CentreSettings) -> AsyncIterator[None]:
    """Run the centre's jobs while the block runs (nothing when ``jobs_poll_s`` is 0)."""
    if settings.jobs_poll_s <= 0:
        yield
        return
    tasks = [
        asyncio.create_task(_every(factory, job), name=f"centre-{job.name}")
        for job in jobs_of(settings)
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
