"""Storing JSON alarm messages that arrive over HTTP, for the token that sent them. Callers commit.

The sender's transmitters are found inside the query (:func:`~stadsvakt.auth.scope.restrict`
with ``alarm.input``): a token of one municipality never finds another's transmitter,
and both an unregistered account and someone else's get the same refusal. A body is
stored whole or not at all. Alarm reception is not written to the audit trail (as
with DC-09): the alarms are their own record, kept with the bytes as received.
"""

from __future__ import annotations

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
)
from stadsvakt.alarms.models import Transmitter, TransmitterProtocol
from stadsvakt.alarms.normalise import AlarmRecord, Source
from stadsvakt.alarms.store import Stored, receive_alarms, touch_transmitters
from stadsvakt.auth.scope import require, restrict
from stadsvakt.context import Actor


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
    stored = _store(session, [record for record in records if record is not None])
    touch_transmitters(session, heartbeats)
    return results(items, records, stored)


def _store(session: Session, records: list[AlarmRecord]) -> list[Stored]:
    if not records:
        return []
    try:
        with session.begin_nested():
            return receive_alarms(session, records)
    except IntegrityError:
        # Another request stored the same re-sent message between our check and our
        # insert; the second attempt finds it.
        with session.begin_nested():
            return receive_alarms(session, records)
