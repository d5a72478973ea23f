"""Domain events between features, so that dependencies point one way.

A feature *announces* what happened, inside its own transaction; the features that depend
on it *react* in the same transaction, so a reaction commits or rolls back with the change
itself. The announcer knows only this module, never who listens: the directory announces
that a person left, and access control (which depends on the directory, not the other way
round) revokes the person's credentials and grants.

Reactions register when their feature's package is imported (``stadsvakt.access`` does so
on import). An event that no feature reacts to is a wiring mistake, never something to
skip quietly: :func:`announce` raises then, so a leaver can never keep a working card
because access control was not loaded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class RecordChanged:
    """A directory record that access decisions read (a person, an assignment, a training
    record, a group) was written or deleted."""

    tenant_id: uuid.UUID
    entity: str
    entity_id: uuid.UUID
    op: str = "upsert"


@dataclass(frozen=True, slots=True)
class PersonLeft:
    """A person was deactivated: every right they hold ends at ``now``."""

    tenant_id: uuid.UUID
    person_id: uuid.UUID
    display_name: str
    now: datetime


@dataclass(frozen=True, slots=True)
class PersonRemoving:
    """A person's row is about to be deleted; the rows that name the person go with it."""

    tenant_id: uuid.UUID
    person_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class StoredAlarm:
    """What the safety centre needs of one alarm just stored (not a re-send)."""

    alarm_id: uuid.UUID
    tenant_id: uuid.UUID
    site_id: uuid.UUID | None
    transmitter_id: uuid.UUID | None
    category: str
    qualifier: str
    code: str
    description: str
    zone: int | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class AlarmsStored:
    """Alarm reception stored new alarms in this transaction; the centre routes them to
    its queue in the same transaction, so an acknowledged alarm is never lost on the way."""

    alarms: tuple[StoredAlarm, ...]


E = TypeVar("E")
_reactions: dict[type[Any], list[Callable[[Session, Any], None]]] = {}


def react(kind: type[E], reaction: Callable[[Session, E], None]) -> None:
    """Call ``reaction(session, event)`` for every ``kind`` event announced (once per
    function, however often its module is imported)."""
    registered = _reactions.setdefault(kind, [])
    if reaction not in registered:
        registered.append(reaction)


def announce(session: Session, event: object) -> None:
    """Run every reaction to ``event`` in the caller's transaction."""
    reactions = _reactions.get(type(event))
    if not reactions:
        raise RuntimeError(
            f"no feature reacts to {type(event).__name__}: import stadsvakt.access and "
            "stadsvakt.centre first"
        )
    for reaction in reactions:
        reaction(session, event)
