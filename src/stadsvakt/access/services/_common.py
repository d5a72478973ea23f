"""Helpers shared by the access services: paging, lookups in scope, audit plus change feed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadsvakt.access.changes import note_change
from stadsvakt.audit.service import record, snapshot
from stadsvakt.auth.scope import require, restrict, subtree_ids
from stadsvakt.bounds import EARLIEST, LATEST, RULE, in_range
from stadsvakt.context import Actor
from stadsvakt.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from stadsvakt.org.models import Site

T = TypeVar("T")


def tenant_of(actor: Actor) -> uuid.UUID:
    """The actor's municipality (access objects always belong to one)."""
    if actor.tenant_id is None:
        raise InvalidInput("act within a municipality", field="tenant", rule="required")
    return actor.tenant_id


def page(session: Session, stmt: Select[T], limit: int, offset: int) -> tuple[list[T], int]:
    """One page of a select and the total number of rows."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return list(session.scalars(stmt.limit(limit).offset(offset))), total


def get_in_scope(
    session: Session, actor: Actor, model: type[T], object_id: uuid.UUID, permission: str, what: str
) -> T:
    """One row the actor may see with ``permission``; 404 when unknown or out of scope."""
    stmt = restrict(select(model).where(model.id == object_id), model, actor, permission)  # type: ignore[attr-defined]
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no {what} {object_id}")
    return found


def shared_or_scoped(stmt: Select[T], model: Any, actor: Actor, permission: str) -> Select[T]:
    """Limit to the actor's municipality and to rows owned by their units or by no unit.

    Schedules and profiles without a unit are the municipality's shared ones: a
    department administrator may read and use them, not change them.
    """
    restrict(select(model.id), model, actor, permission)  # refuses without the permission
    if actor.tenant_id is not None:
        stmt = stmt.where(model.tenant_id == actor.tenant_id)
    units = actor.scope(permission)
    if units is not None:
        stmt = stmt.where(
            or_(model.org_unit_id.is_(None), model.org_unit_id.in_(subtree_ids(units)))
        )
    return stmt


def get_shared_or_scoped(
    session: Session, actor: Actor, model: type[T], object_id: uuid.UUID, permission: str, what: str
) -> T:
    """One shared or own row (see :func:`shared_or_scoped`); 404 otherwise."""
    stmt = shared_or_scoped(select(model).where(model.id == object_id), model, actor, permission)  # type: ignore[attr-defined]
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no {what} {object_id}")
    return found


def tenant_wide(stmt: Select[T], model: Any, actor: Actor, permission: str) -> Select[T]:
    """Limit to the actor's municipality: for rows that belong to no unit (calendars, levels)."""
    require(actor, permission)
    return stmt if actor.tenant_id is None else stmt.where(model.tenant_id == actor.tenant_id)


def get_tenant_wide(
    session: Session, actor: Actor, model: type[T], object_id: uuid.UUID, permission: str, what: str
) -> T:
    """One row of the actor's municipality; 404 otherwise."""
    stmt = tenant_wide(select(model).where(model.id == object_id), model, actor, permission)  # type: ignore[attr-defined]
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no {what} {object_id}")
    return found


def whole_municipality(actor: Actor, permission: str, what: str) -> None:
    """Refuse a unit-scoped actor: ``what`` belongs to the whole municipality."""
    if not actor.can(permission):
        raise Forbidden(f"this needs the {permission} permission").said(
            N_("You do not have permission to do this.")
        )
    if actor.scope(permission) is not None:
        raise Forbidden(
            f"{what} belong to the whole municipality; a system owner changes them"
        ).said(N_("This belongs to the whole municipality; a system owner changes it."))


def site_in_scope(session: Session, actor: Actor, site_id: uuid.UUID, permission: str) -> Site:
    """A site the actor may work in with ``permission``; 404 naming ``site_id`` otherwise."""
    stmt = restrict(select(Site).where(Site.id == site_id), Site, actor, permission)
    site = session.execute(stmt).scalar_one_or_none()
    if site is None:
        raise NotFound(f"site_id: no site {site_id} in your scope", field="site_id").said(
            N_("Choose a site within your scope.")
        )
    return site


def code_free(
    session: Session, model: Any, tenant_id: uuid.UUID, code: str, own: uuid.UUID | None
) -> None:
    """409 when another row of the municipality already uses ``code``."""
    stmt = select(model.id).where(model.tenant_id == tenant_id, model.code == code)
    existing = session.execute(stmt).scalar_one_or_none()
    if existing is not None and existing != own:
        raise Conflict(f"code '{code}' is already used", field="code").said(
            N_("This code is already used.")
        )


def flush_or_conflict(session: Session, what: str) -> None:
    """Flush; a unique key clash (a concurrent insert) becomes a 409."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{what} clashes with an existing record") from exc


def distinct(values: Iterable[object] | None, field: str) -> None:
    """Refuse a list that names the same value twice."""
    if values is None:
        return
    items = list(values)
    if len(set(items)) != len(items):
        raise InvalidInput(f"{field}: a value is listed twice", field=field, rule="distinct")


def bounded(value: datetime | None, field: str) -> None:
    """Refuse a time outside the dates every input is held to (``stadsvakt.bounds``): the
    API's schemas refuse them already; this covers the web UI, the CLI and other callers."""
    if value is not None and not in_range(value):
        raise InvalidInput(
            f"{field}: must be between {EARLIEST} and {LATEST}", field=field, rule=RULE
        )


def window(valid_from: datetime | None, valid_to: datetime | None) -> None:
    """Refuse a validity window outside the supported years or ending before it starts."""
    bounded(valid_from, "valid_from")
    bounded(valid_to, "valid_to")
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        raise InvalidInput(
            "valid_to: must be after valid_from", field="valid_to", rule="after_valid_from"
        ).said(N_("The end must be after the start."))


def apply(obj: object, changes: Mapping[str, Any], *, required: tuple[str, ...]) -> None:
    """Set changed attributes; a required one cannot be emptied."""
    for key, value in changes.items():
        if value is None and key in required:
            raise InvalidInput(f"{key}: cannot be emptied", field=key, rule="required")
        setattr(obj, key, value)


def changed(
    session: Session,
    *,
    action: str,
    obj: Any,
    text: str,
    before: Mapping[str, Any] | None,
    entity: str | None,
    deleted: bool = False,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Audit one change (``<type>.<verb>``) and, for decision-relevant ``entity``, note it."""
    object_type = action.split(".", 1)[0]
    after = None if deleted else {**snapshot(obj), **(extra or {})}
    record(
        session,
        action=action,
        object_type=object_type,
        object_id=obj.id,
        object_text=text,
        tenant_id=obj.tenant_id,
        before=before,
        after=after,
    )
    if entity is not None:
        note_change(
            session,
            tenant_id=obj.tenant_id,
            entity=entity,
            entity_id=obj.id,
            op="delete" if deleted else "upsert",
        )
