"""Writing checkpoints: once (``stadsvakt audit checkpoint``) or on a timer while
``stadsvakt serve`` runs (:class:`CheckpointTimer`, alongside the alarm receivers)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.audit.checkpoints import (
    Checkpoint,
    CheckpointNotWritten,
    CheckpointSink,
    publish,
    signing_key,
    sinks_of,
    take_checkpoint,
)
from stadsvakt.audit.models import AuditEntry
from stadsvakt.audit.service import seal
from stadsvakt.db import unit_of_work, utcnow
from stadsvakt.errors import DomainError
from stadsvakt.settings import AuditSettings, Mode, Settings

log = logging.getLogger(__name__)


def write_checkpoint(
    factory: sessionmaker[Session],
    audit: AuditSettings,
    sinks: Sequence[CheckpointSink],
    *,
    clock: Callable[[], datetime] = utcnow,
) -> Checkpoint:
    """Take a checkpoint in its own transaction (committing a rotation row if the key
    changed) and append it to every sink."""
    if not sinks:
        raise CheckpointNotWritten(
            "no checkpoint destination: set STADSVAKT_AUDIT__CHECKPOINT_FILE to a file path,"
            " or STADSVAKT_AUDIT__CHECKPOINT_SYSLOG=true"
        )
    private = signing_key(audit)
    with unit_of_work(factory) as session:
        checkpoint = take_checkpoint(session, private=private, now=clock())
    publish(checkpoint, sinks)
    return checkpoint


class CheckpointTimer:
    """Writes a checkpoint when started and then every interval, until cancelled.

    Runs in one process only (the first worker, with the receivers). A checkpoint that
    fails (database away, disk full, a head that does not hold) is logged as an error
    and tried again at the next interval.
    """

    def __init__(
        self,
        audit: AuditSettings,
        factory: sessionmaker[Session],
        sinks: Sequence[CheckpointSink],
        *,
        interval_s: float | None = None,
    ) -> None:
        self._audit = audit
        self._factory = factory
        self._sinks = list(sinks)
        self.interval_s = (
            interval_s if interval_s is not None else audit.checkpoint_interval_minutes * 60.0
        )

    async def serve(self) -> None:
        """Checkpoint now and every interval until cancelled."""
        while True:
            await self.tick()
            await asyncio.sleep(self.interval_s)

    async def tick(self) -> Checkpoint | None:
        """Write one checkpoint (in a worker thread); None when it failed (logged)."""
        try:
            return await asyncio.to_thread(
                write_checkpoint, self._factory, self._audit, self._sinks
            )
        except DomainError as exc:
            log.error("audit checkpoint not written: %s", exc.detail)
        except Exception:  # the database or a sink failed; tried again next interval
            log.exception("audit checkpoint not written")
        return None

    def describe(self) -> str:
        """One line for the console."""
        where = ", ".join(sink.describe() for sink in self._sinks)
        return f"Audit checkpoints every {self.interval_s / 60:g} min to {where}"


def checkpoint_timers(settings: Settings, factory: sessionmaker[Session]) -> list[CheckpointTimer]:
    """The checkpoint timer ``stadsvakt serve`` runs, or none when no destination is set
    (a warning in production mode: without checkpoints, truncation by someone holding
    the HMAC key goes unseen)."""
    sinks = sinks_of(settings.audit)
    if not sinks:
        if settings.mode is Mode.PRODUCTION:
            log.warning(
                "audit checkpoints are off: set STADSVAKT_AUDIT__CHECKPOINT_FILE"
                " or STADSVAKT_AUDIT__CHECKPOINT_SYSLOG=true"
            )
        return []
    return [CheckpointTimer(settings.audit, factory, sinks)]


def seal_chain(factory: sessionmaker[Session]) -> AuditEntry | None:
    """Commit the rotation row that hands the chain to the configured key, if it is due
    (``stadsvakt db upgrade`` runs it, so keyed hashing starts with the upgrade)."""
    with unit_of_work(factory) as session:
        return seal(session)
