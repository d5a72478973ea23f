"""The field units' register: create, change, list and remove units, and their status.

Who sees a unit follows :mod:`stadsvakt.centre.tenancy`: centre staff see the units of
every municipality their centre serves, anyone else only their own municipality's, and
another municipality's unit is "not found", even by id. A unit's own phone (its linked
user with ``unit.report``) or device token acts only for that unit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.audit.service import record, snapshot
from stadsvakt.auth.models import ApiToken, User
from stadsvakt.auth.scope import require
from stadsvakt.centre.tenancy import restrict
from stadsvakt.centre.units.models import Dispatch, FieldUnit, UnitStatus, UnitType
from stadsvakt.centre.units.schemas import UnitCreate, UnitUpdate
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.errors import Conflict, Forbidden, InvalidInput, NotFound

#: The statuses a unit or an operator sets by hand; the others follow dispatches.
MANUAL_STATUSES = frozenset({UnitStatus.AVAILABLE, UnitStatus.BUSY, UnitStatus.OFF_DUTY})
#: The permission of a unit's own phone or device.
REPORT = "unit.report"


def _tenant(actor: Actor) -> uuid.UUID:
    if actor.tenant_id is None:
        raise Forbidden("a field unit belongs to a municipality: act as one of its users")
    return actor.tenant_id


def audit(session: Session, action: str, unit: FieldUnit, before: dict[str, Any] | None) -> None:
    """One audit row for a change to ``unit`` (``field_unit.<action>``)."""
    record(
        session,
        action=f"field_unit.{action}",
        object_type="field_unit",
        object_id=unit.id,
        object_text=f"{unit.call_sign} ({unit.name})",
        tenant_id=unit.tenant_id,
        before=before,
        after=None if action == "delete" else snapshot(unit),
    )


def list_units(
    session: Session,
    actor: Actor,
    *,
    unit_type: UnitType | None = None,
    status: UnitStatus | None = None,
) -> list[FieldUnit]:
    """The units the actor sees, by call sign."""
    stmt = restrict(select(FieldUnit), session, actor, "centre.read", FieldUnit)
    if unit_type is not None:
        stmt = stmt.where(FieldUnit.unit_type == unit_type)
    if status is not None:
        stmt = stmt.where(FieldUnit.status == status)
    return list(session.execute(stmt.order_by(FieldUnit.call_sign)).scalars())


def get_unit(
    session: Session,
    actor: Actor,
    unit_id: uuid.UUID,
    permission: str = "centre.read",
    *,
    for_update: bool = False,
) -> FieldUnit:
    """One unit the actor sees with ``permission``, else :class:`NotFound`."""
    stmt = restrict(
        select(FieldUnit).where(FieldUnit.id == unit_id), session, actor, permission, FieldUnit
    )
    if for_update:
        stmt = stmt.with_for_update()
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound("field unit not found")
    return found


def own_unit(session: Session, actor: Actor) -> FieldUnit | None:
    """The unit whose phone (linked user) or device (token) the actor is, if any."""
    if not actor.can(REPORT) or actor.id is None:
        return None
    column = FieldUnit.user_id if actor.kind == "user" else FieldUnit.token_id
    if actor.kind not in ("user", "token"):
        return None
    stmt = select(FieldUnit).where(column == actor.id)
    if actor.tenant_id is not None:
        stmt = stmt.where(FieldUnit.tenant_id == actor.tenant_id)
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def reporting_unit(
    session: Session, actor: Actor, unit_id: uuid.UUID, *, for_update: bool = False
) -> FieldUnit:
    """The unit if the actor may report for it: its own phone or device, or centre staff
    (``centre.operate``) who see it; else :class:`NotFound`."""
    own = own_unit(session, actor)
    if own is not None and own.id == unit_id:
        if for_update:
            session.refresh(own, with_for_update=True)
        return own
    if actor.can("centre.operate"):
        return get_unit(session, actor, unit_id, "centre.operate", for_update=for_update)
    if actor.can(REPORT) or actor.can("centre.read"):
        raise NotFound("field unit not found")
    raise Forbidden(f"this needs the {REPORT} permission")


def open_dispatch(session: Session, unit_id: uuid.UUID) -> Dispatch | None:
    """The unit's current job: dispatched and neither cleared nor called off."""
    return session.execute(
        select(Dispatch)
        .where(Dispatch.unit_id == unit_id)
        .where(Dispatch.cleared_at.is_(None))
        .where(Dispatch.cancelled_at.is_(None))
        .order_by(Dispatch.dispatched_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def _check_links(
    session: Session, tenant: uuid.UUID, user_id: uuid.UUID | None, token_id: uuid.UUID | None
) -> None:
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None or user.tenant_id != tenant:
            raise InvalidInput(
                "user_id: no such user in the unit's municipality", field="user_id", rule="exists"
            )
    if token_id is not None:
        token = session.get(ApiToken, token_id)
        if token is None or token.tenant_id != tenant:
            raise InvalidInput(
                "token_id: no such token in the unit's municipality",
                field="token_id",
                rule="exists",
            )


def _call_sign_free(
    session: Session, tenant: uuid.UUID, call_sign: str, unit_id: uuid.UUID | None
) -> None:
    stmt = select(FieldUnit.id).where(
        FieldUnit.tenant_id == tenant, FieldUnit.call_sign == call_sign
    )
    found = session.execute(stmt).scalars().first()
    if found is not None and found != unit_id:
        raise Conflict(
            f"call_sign: {call_sign!r} is already a unit's call sign",
            field="call_sign",
            rule="unique",
        )


def create_unit(session: Session, actor: Actor, data: UnitCreate) -> FieldUnit:
    """Register a unit in the actor's municipality (``centre.admin``)."""
    require(actor, "centre.admin")
    tenant = _tenant(actor)
    _call_sign_free(session, tenant, data.call_sign, None)
    _check_links(session, tenant, data.user_id, data.token_id)
    unit = FieldUnit(
        id=uuid.uuid4(),
        tenant_id=tenant,
        call_sign=data.call_sign,
        name=data.name,
        unit_type=data.unit_type,
        company=data.company,
        status=data.status,
        status_at=utcnow(),
        user_id=data.user_id,
        token_id=data.token_id,
    )
    session.add(unit)
    session.flush()
    audit(session, "create", unit, None)
    return unit


def update_unit(session: Session, actor: Actor, unit_id: uuid.UUID, data: UnitUpdate) -> FieldUnit:
    """Change a unit's register entry (``centre.admin``)."""
    unit = get_unit(session, actor, unit_id, "centre.admin", for_update=True)
    before = snapshot(unit)
    changes = data.model_dump(exclude_unset=True)
    if "call_sign" in changes:
        _call_sign_free(session, unit.tenant_id, changes["call_sign"], unit.id)
    _check_links(session, unit.tenant_id, changes.get("user_id"), changes.get("token_id"))
    for name, value in changes.items():
        setattr(unit, name, value)
    session.flush()
    audit(session, "update", unit, before)
    return unit


def delete_unit(session: Session, actor: Actor, unit_id: uuid.UUID) -> None:
    """Remove a unit (``centre.admin``); refused while it is on a dispatch. Its past
    dispatches stay, with its type and name."""
    unit = get_unit(session, actor, unit_id, "centre.admin", for_update=True)
    if open_dispatch(session, unit.id) is not None:
        raise Conflict(
            f"{unit.call_sign} is on a dispatch: clear or cancel it first",
            field="unit_id",
            rule="on_dispatch",
        )
    before = snapshot(unit)
    audit(session, "delete", unit, before)
    session.delete(unit)
    session.flush()


def set_status(session: Session, actor: Actor, unit_id: uuid.UUID, status: UnitStatus) -> FieldUnit:
    """Set a unit available, busy or off duty (its phone, or centre staff)."""
    unit = reporting_unit(session, actor, unit_id, for_update=True)
    if status not in MANUAL_STATUSES:
        raise InvalidInput(
            f"status: {status.value} is set by a dispatch, not by hand",
            field="status",
            rule="manual_status",
        )
    if unit.status == status:
        return unit
    if open_dispatch(session, unit.id) is not None:
        raise Conflict(
            f"{unit.call_sign} is on a dispatch: clear it before changing status",
            field="status",
            rule="on_dispatch",
            unit_status=unit.status.value,
        )
    before = snapshot(unit)
    unit.status = status
    unit.status_at = utcnow()
    session.flush()
    audit(session, "status", unit, before)
    return unit


def names(units: Sequence[FieldUnit]) -> dict[uuid.UUID, str]:
    """Call signs by id."""
    return {unit.id: unit.call_sign for unit in units}
