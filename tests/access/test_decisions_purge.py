"""Access events are kept only for the retention period."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.decide import Decision, Reason
from stadsvakt.access.events import purge_events, store_event
from stadsvakt.access.models import AccessEvent
from stadsvakt.audit.models import AuditEntry
from stadsvakt.context import acting_as, system_actor

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_purge_deletes_only_events_past_retention(session: Session) -> None:
    tenant, door = uuid.uuid4(), uuid.uuid4()
    decision = Decision(False, Reason.UNKNOWN_CREDENTIAL, None, door, 0)
    for days in (20, 15, 14, 13, 1):
        store_event(
            session,
            tenant_id=tenant,
            decision=decision,
            presented=f"CARD{days}",
            credential_id=None,
            at=NOW - timedelta(days=days, seconds=-1 if days == 14 else 0),
        )
    with acting_as(system_actor("test")):
        assert purge_events(session, now=NOW, retention_days=14) == 2
    left = session.scalars(
        select(AccessEvent.credential).where(AccessEvent.tenant_id == tenant)
    ).all()
    assert sorted(left) == ["CARD1", "CARD13", "CARD14"]
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "access_event.purge")
    ).all()
    assert audit and audit[-1].object_text.startswith("2 access events before")
    with acting_as(system_actor("test")):
        assert purge_events(session, now=NOW, retention_days=14) == 0
