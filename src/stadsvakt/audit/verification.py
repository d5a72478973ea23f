"""``audit verify`` on demand from the web UI, its outcome kept as an audit row.

A walk of a trail of millions of rows takes longer than a request may, so the web UI
starts :func:`run_verification` after its response (a background task) and shows the
outcome when it is there. The outcome is an ``audit.verify`` row of the reader's
municipality (object type ``audit_verification``, object id the run's id): every worker
process finds it (a result kept in memory would be lost on another worker or a
restart), and the trail records who checked it and what they were shown. The walk is
the CLI's (:func:`stadsvakt.audit.service.verify`), in one snapshot, and proves the
chain against the configured checkpoint file too when there is one.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.audit.chain import Anchor, ChainBreak
from stadsvakt.audit.checkpoints import load_anchors, trusted_keys
from stadsvakt.audit.diff import parse_side
from stadsvakt.audit.keys import keyring_of
from stadsvakt.audit.models import AuditEntry
from stadsvakt.audit.service import entries_query, record, stored_head, verify
from stadsvakt.context import Actor, acting_as
from stadsvakt.db import read_only_session, unit_of_work, utcnow
from stadsvakt.settings import AuditSettings

log = logging.getLogger(__name__)

VERIFY_ACTION = "audit.verify"
VERIFICATION_TYPE = "audit_verification"
#: One walk at a time in a process: a second request waits rather than doubling the load.
_ONE_AT_A_TIME = threading.Lock()


def new_run_id() -> str:
    """A fresh id for one verification run."""
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class CheckpointInfo:
    """What the configured checkpoint file held: how many checkpoints, and the last."""

    count: int
    last_seq: int | None = None
    last_at: str | None = None
    #: Why the file could not be read (missing, not readable); None when it was.
    unreadable: str | None = None


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of one walk, as stored in its ``audit.verify`` row."""

    run: str
    #: "intact", "broken", or "failed" (the walk itself could not finish).
    result: str
    rows: int
    seconds: float
    brk: ChainBreak | None = None
    checkpoints: CheckpointInfo | None = None
    #: Rows ``1..unkeyed_until`` predate keyed hashing (weaker guarantee).
    unkeyed_until: int | None = None
    #: The configured HMAC key has not written a row yet.
    key_waiting: bool = False
    failure: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The row's ``after``."""
        return {
            "run": self.run,
            "result": self.result,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "break": None
            if self.brk is None
            else {"seq": self.brk.seq, "kind": self.brk.kind, "message": self.brk.message},
            "checkpoints": None
            if self.checkpoints is None
            else {
                "count": self.checkpoints.count,
                "last_seq": self.checkpoints.last_seq,
                "last_at": self.checkpoints.last_at,
                "unreadable": self.checkpoints.unreadable,
            },
            "unkeyed_until": self.unkeyed_until,
            "key_waiting": self.key_waiting,
            "failure": self.failure,
        }

    @classmethod
    def from_entry(cls, entry: AuditEntry) -> VerifyReport:
        """The report an ``audit.verify`` row holds."""
        data = parse_side(entry.after) or {}
        brk, points = data.get("break"), data.get("checkpoints")
        return cls(
            run=str(data.get("run", entry.object_id or "")),
            result=str(data.get("result", "failed")),
            rows=int(data.get("rows") or 0),
            seconds=float(data.get("seconds") or 0.0),
            brk=ChainBreak(int(brk["seq"]), str(brk["kind"]), str(brk["message"]))
            if isinstance(brk, dict)
            else None,
            checkpoints=CheckpointInfo(**points) if isinstance(points, dict) else None,
            unkeyed_until=data.get("unkeyed_until"),
            key_waiting=bool(data.get("key_waiting")),
            failure=data.get("failure"),
        )


def _snapshot(factory: sessionmaker[Session]) -> Session:
    """A session reading the head and every row from one snapshot, as the CLI's does.

    A session bound to one connection (a test's transaction) reads from one already.
    """
    session = read_only_session(factory)
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return session


def _anchors(
    audit: AuditSettings,
) -> tuple[dict[int, Anchor], CheckpointInfo | None, ChainBreak | None]:
    """The configured checkpoint file's anchors, what it held, and a problem with its lines."""
    path = audit.checkpoint_file
    if path is None:
        return {}, None, None
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            anchors, problem = load_anchors(lines, trusted_keys(audit))
    except FileNotFoundError:
        return {}, CheckpointInfo(0, unreadable="missing"), None
    except OSError:
        return {}, CheckpointInfo(0, unreadable="unreadable"), None
    last = max(anchors.values(), key=lambda a: a.seq, default=None)
    info = CheckpointInfo(len(anchors), last.seq if last else None, last.at if last else None, None)
    return anchors, info, problem


def _walk(factory: sessionmaker[Session], audit: AuditSettings, run: str) -> VerifyReport:
    started = time.monotonic()
    anchors, info, problem = _anchors(audit)
    with _snapshot(factory) as session:
        count, found = verify(session, anchors=anchors)
        found = problem or found
        unkeyed, waiting = _notes(session) if found is None else (None, False)
    result = "intact" if found is None else "broken"
    return VerifyReport(
        run, result, count, time.monotonic() - started, found, info, unkeyed, waiting
    )


def _notes(session: Session) -> tuple[int | None, bool]:
    """As the CLI notes for an intact chain: the last row from before keyed hashing, and
    whether the configured key has yet to write."""
    keyed_from = session.scalar(
        select(AuditEntry.seq)
        .where(AuditEntry.key_id.is_not(None))
        .order_by(AuditEntry.seq)
        .limit(1)
    )
    head = stored_head(session)
    waiting = bool(head.seq) and head.key_id != keyring_of(session).current_id
    return (keyed_from - 1 if keyed_from and keyed_from > 1 else None), waiting


def run_verification(
    factory: sessionmaker[Session], audit: AuditSettings, *, actor: Actor, run: str
) -> VerifyReport:
    """Walk the chain and record the outcome as an ``audit.verify`` row (its own unit of
    work). A walk that fails (the database went away) is recorded as ``failed``."""
    started = utcnow()
    with _ONE_AT_A_TIME:
        try:
            report = _walk(factory, audit, run)
        # Whatever stopped the walk (the database went away), the reader is told it did
        # not finish rather than left waiting for an outcome that never comes.
        except Exception as exc:
            log.exception("audit verification %s failed", run)
            report = VerifyReport(run, "failed", 0, 0.0, failure=type(exc).__name__)
    with acting_as(actor), unit_of_work(factory) as session:
        record(
            session,
            action=VERIFY_ACTION,
            object_type=VERIFICATION_TYPE,
            object_id=run,
            object_text=f"audit verify {started.isoformat(timespec='seconds')}",
            tenant_id=actor.tenant_id,
            after=report.as_json(),
        )
    return report


def verification_rows(
    session: Session, actor: Actor, *, run: str = "", limit: int = 1
) -> list[AuditEntry]:
    """The newest ``audit.verify`` rows the actor may read (of one run, when given);
    ``ix_audit_log_object`` finds them among millions."""
    stmt = entries_query(actor, object_type=VERIFICATION_TYPE, object_id=run or None)
    return list(session.scalars(stmt.where(AuditEntry.action == VERIFY_ACTION).limit(limit)))
