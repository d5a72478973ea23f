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
=====================  ==================================================================

An entity the index does not know makes it reload everything, which is correct but slow.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

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


def note_change(
    session: Session, *, tenant_id: uuid.UUID, entity: str, entity_id: object, op: str = "upsert"
) -> None:
    """Append one change (``op`` is ``upsert`` or ``delete``) for ``entity`` (e.g. ``person``)."""
    session.add(AccessChange(tenant_id=tenant_id, entity=entity, entity_id=str(entity_id), op=op))
