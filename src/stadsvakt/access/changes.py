"""The access change feed: services call :func:`note_change` in the transaction of every change
that can alter a decision, and each process's decision index follows the feed.

Which entity to name, and with which id (see :class:`Entity`):

=====================  ==================================================================
entity                 id, and what the index reloads
=====================  ==================================================================
``person``             person id: flags, assignments, training, groups, then their rights.
                       Also note the person when one of their assignments, training
                       records or group memberships is *deleted* (the row is gone then).
``assignment``         assignment id (or the person's id): that person
``training``           training record id (or the person's id): that person
``group``              group id: the members (memberships changed) and their rights
``credential``         credential id: that card, tag or mobile key
``door``               door id
``zone``               zone id: the profiles that open the zone
``schedule``           schedule id
``holiday_calendar``   calendar id: the schedules that use it
``profile``            access profile id (its zones, schedule, course)
``position_profile``   position profile id: the people holding the position
``grant``              grant id: the person, or the group's members
``org_unit``           unit id (moved in the tree): the people in its subtree
``site_door_rules``    site id: the site's holiday calendar choice (its doors)
``site_emergency``     site id: the site's emergency open was set or ended (its doors)
``door_lockdown``      door id: the door went into lockdown or out of it (noted beside
                       ``door``)
=====================  ==================================================================

:data:`URGENT` names the kinds that open or shut doors at once (emergency open,
lockdown): a sender of deltas to edge agents sends them ahead of other changes.

An entity the index does not know makes it reload everything, which is correct but slow.

Each process also counts the changes it notes itself (:func:`local_generation`): once
when noted and again when the noting session commits. A decision whose index has not
caught up with that count reads the feed first, so a process sees its own changes at
once; changes made elsewhere arrive with the index's background poll.
"""

from __future__ import annotations

import threading
import uuid
from enum import StrEnum

from sqlalchemy import event
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessChange


class Entity(StrEnum):
    """The kinds of change the decision index follows."""

    PERSON = "person"
    ASSIGNMENT = "assignment"
    TRAINING = "training"
    GROUP = "group"
    CREDENTIAL = "credential"
    DOOR = "door"
    ZONE = "zone"
    SCHEDULE = "schedule"
    HOLIDAY_CALENDAR = "holiday_calendar"
    PROFILE = "profile"
    POSITION_PROFILE = "position_profile"
    GRANT = "grant"
    ORG_UNIT = "org_unit"
    SITE_DOOR_RULES = "site_door_rules"
    SITE_EMERGENCY = "site_emergency"
    DOOR_LOCKDOWN = "door_lockdown"


#: The kinds of change to send ahead of all others (they open or shut doors at once).
URGENT = frozenset({Entity.SITE_EMERGENCY, Entity.DOOR_LOCKDOWN})


def note_change(
    session: Session, *, tenant_id: uuid.UUID, entity: str, entity_id: object, op: str = "upsert"
) -> None:
    """Append one change (``op`` is ``upsert`` or ``delete``) for ``entity`` (e.g. ``person``)."""
    session.add(AccessChange(tenant_id=tenant_id, entity=entity, entity_id=str(entity_id), op=op))
    session.info[_NOTED] = True
    _bump()


#: ``Session.info`` key: this session noted a change, so its commit bumps the generation.
_NOTED = "stadsvakt_access_change_noted"
_generation = 0
_generation_lock = threading.Lock()


def local_generation() -> int:
    """How many times this process noted (or committed) an access change; only grows."""
    return _generation


def _bump() -> None:
    global _generation
    with _generation_lock:
        _generation += 1


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    # The bump at note time may be consumed by a catch-up that ran before the commit made
    # the row visible; this second bump makes the next decision read the feed again.
    if session.info.pop(_NOTED, False):
        _bump()
