"""Storing JSON alarm messages that arrive over HTTP, for the token that sent them. Callers commit.

The sender's transmitters are found inside the query (:func:`~stadsvakt.auth.scope.restrict`
with ``alarm.input``): a token of one municipality never finds another's transmitter,
and both an unregistered account and someone else's get the same refusal. A body is
stored whole or not at all. Alarm reception is not written to the audit trail (as
with DC-09): the alarms are their own record, kept with the bytes as received.

Should the database refuse a row of a body (the schema and
:func:`~stadsvakt.alarms.normalise.fitted` leave it nothing to refuse, but a database
may differ), each alarm is stored on its own and the refused one as unreadable, its
bytes kept; a database that is away gives :class:`StorageUnavailable` (503), never a
500.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadsvakt.alarms.inputs.json_input import Item, results, to_record
from stadsvakt.alarms.inputs.schema import (
    INPUT_PERMISSION,
    AccountNotRegistered,
    AlarmMessage,
    InputResult,
    StorageUnavailable,
)
from stadsvakt.alarms.models import Transmitter, TransmitterProtocol
from stadsvakt.alarms.normalise import AlarmRecord, Source, refused
from stadsvakt.alarms.store import (
    Stored,
    describe,
    receive_alarms,
    touch_transmitters,
    unavailable,
)
from stadsvakt.auth.scope import require, restrict
from stadsvakt.context import Actor

log = logging.getLogger(__name__)


def json_transmitters(session: Session, actor: Actor, accounts: set[str]) -> dict[str, Transmitter]:
    """The actor's JSON transmitters with these accounts (receiver and line 0), by account."""
    stmt = restrict(
        select(Transmitter).where(
            Transmitter.account.in_(sorted(accounts)),
            Transmitter.receiver == "0",
            Transmitter.line == "0",
            Transmitter.protocol == TransmitterProtocol.JSON,
        ),
        Transmitter,
        actor,
        INPUT_PERMISSION,
    )
    return {row.account: row for row in session.scalars(stmt)}


def accept(
    session: Session, actor: Actor, items: Sequence[Item], *, received_at: datetime
) -> list[InputResult]:
    """Store the alarms and note the heartbeats of a body; one result per message."""
    require(actor, INPUT_PERMISSION)
    found = json_transmitters(session, actor, {item.account for item in items})
    missing = [item for item in items if item.account not in found]
    if missing:
        errors = [
            {
                "field": item.field("account"),
                "rule": "unknown_account",
                "message": f"no transmitter with account {item.account} and protocol json"
                " (receiver 0, line 0) in your municipality",
            }
            for item in missing
        ]
        raise AccountNotRegistered(
            f"{errors[0]['field']}: {errors[0]['message']}", reason="unknown_account", errors=errors
        )
    records: list[AlarmRecord | None] = []
    heartbeats: dict[uuid.UUID, datetime] = {}
    for item in items:
        row = found[item.account]
        if isinstance(item.message, AlarmMessage):
            source = Source(row.tenant_id, row.site_id, row.id)
            records.append(to_record(item.message, item.raw, source, received_at))
        else:
            records.append(None)
            heartbeats[row.id] = received_at
    kept, stored = _store(session, [record for record in records if record is not None])
    as_stored = {record.id: record for record in kept}
    records = [None if record is None else as_stored[record.id] for record in records]
    touch_transmitters(session, heartbeats)
    return results(items, records, stored)


def _store(session: Session, records: list[AlarmRecord]) -> tuple[list[AlarmRecord], list[Stored]]:
    """The records as stored (a refused one as unreadable) and what became of each."""
    if not records:
        return [], []
    try:
        return records, _attempt(session, records)
    except Exception as exc:
        if unavailable(exc):
            raise _unavailable(exc) from exc
    # The database refused a row: each alarm on its own, so the others go in as sent.
    kept: list[AlarmRecord] = []
    stored: list[Stored] = []
    for record in records:
        try:
            stored += _attempt(session, [record])
        except Exception as exc:
            if unavailable(exc):
                raise _unavailable(exc) from exc
            log.warning(
                "JSON alarm from %s stored as unreadable: %s", record.account, describe(exc)
            )
            record = refused(record, f"the database refused it as sent ({describe(exc)})")
            try:
                stored += _attempt(session, [record])
            except Exception as again:
                raise _unavailable(again) from again
        kept.append(record)
    return kept, stored


def _attempt(session: Session, records: list[AlarmRecord]) -> list[Stored]:
    """Store the records in a savepoint (undone on failure, the request's work kept)."""
    try:
        with session.begin_nested():
            return receive_alarms(session, records)
    except IntegrityError:
        # Another request stored the same re-sent message between our check and our
        # insert; the second attempt finds it.
        with session.begin_nested():
            return receive_alarms(session, records)


def _unavailable(exc: BaseException) -> StorageUnavailable:
    # The driver's words go to the log, not to the sender.
    log.warning("JSON alarms not stored, the sender is asked to retry: %s", describe(exc))
    return StorageUnavailable("the alarms could not be stored now; send them again")
