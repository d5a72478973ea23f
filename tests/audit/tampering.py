"""What an attacker who can write the database does to the audit trail (tests only).

They drop the append-only triggers first, as anyone with the database owner's password
can, and they have stadsvakt's source, so they know ``row_hash``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from stadsvakt.audit.chain import ChainRow
from stadsvakt.audit.models import AuditEntry, AuditHead
from stadsvakt.audit.service import HEAD_ID, chain_row, record
from stadsvakt.context import acting_as, system_actor


def write(session: Session, count: int) -> list[int]:
    """Record ``count`` changes; their sequence numbers."""
    seqs = []
    with acting_as(system_actor("test")):
        for i in range(count):
            entry = record(
                session,
                action="site.update",
                object_type="site",
                object_id=uuid.uuid4(),
                object_text=f"Skola {i}",
                tenant_id=None,
                before={"name": f"Skola {i}"},
                after={"name": f"Skolan {i}"},
            )
            seqs.append(entry.seq)
    return seqs


def unguard(session: Session) -> None:
    """Drop the append-only triggers inside the test's transaction (rolled back after)."""
    if session.get_bind().dialect.name == "sqlite":
        for name in ("audit_log_no_update", "audit_log_no_delete"):
            session.execute(text(f"DROP TRIGGER {name}"))
    else:
        session.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))


def rewrite(session: Session, seq: int, rehash: Callable[[ChainRow], str]) -> None:
    """Change row ``seq``'s actor and recompute its hash and every later one with
    ``rehash``; move the head's hash along (its MAC is left as it was)."""
    unguard(session)
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.seq >= seq).order_by(AuditEntry.seq)
    ).all()
    prev = entries[0].prev_hash
    for entry in entries:
        if entry.seq == seq:
            entry.actor_name = "mallory"
        entry.prev_hash = prev
        entry.hash = prev = rehash(chain_row(entry))
    head = session.get(AuditHead, HEAD_ID)
    assert head is not None
    head.hash = prev
    session.flush()


def truncate(session: Session, keep: int) -> AuditHead:
    """Delete every row after ``keep`` and point the head at row ``keep`` (MAC unchanged)."""
    unguard(session)
    session.execute(delete(AuditEntry).where(AuditEntry.seq > keep))
    last = session.get(AuditEntry, keep)
    head = session.get(AuditHead, HEAD_ID)
    assert last is not None and head is not None
    head.seq, head.hash, head.key_id = last.seq, last.hash, last.key_id
    session.flush()
    session.expire_all()
    return head
