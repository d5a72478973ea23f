"""Which municipalities' activations an actor sees: one centre may serve several.

A municipality runs the centre (its staff hold ``centre.operate`` or ``centre.lead``) and
may serve others (:class:`~stadsvakt.centre.models.ServedMunicipality`), as Skåne
Nordost serves six. Centre staff see their own municipality and every one it serves;
anyone else (a municipality's own admin, an auditor) sees only their own, and a
unit-scoped admin only their units' sites. An activation outside what an actor sees is
"not found", never "forbidden", so ids cannot be probed.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVarTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from stadsvakt.auth.scope import require, subtree_ids
from stadsvakt.centre.models import Activation, ServedMunicipality
from stadsvakt.context import Actor
from stadsvakt.errors import NotFound

Ts = TypeVarTuple("Ts")
#: Permissions that make an actor one of the centre's staff, who see served municipalities.
STAFF = ("centre.operate", "centre.lead")


def served_by(session: Session, centre_tenant: uuid.UUID) -> frozenset[uuid.UUID]:
    """The municipality running a centre and every municipality it serves."""
    rows = session.execute(
        select(ServedMunicipality.served_tenant_id).where(
            ServedMunicipality.centre_tenant_id == centre_tenant
        )
    ).scalars()
    return frozenset({centre_tenant, *rows})


def visible_tenants(session: Session, actor: Actor) -> frozenset[uuid.UUID] | None:
    """The municipalities whose activations the actor sees (``None``: every one, for the
    system itself)."""
    if actor.tenant_id is None:
        return None
    if any(actor.can(permission) for permission in STAFF) and actor.kind != "system":
        return served_by(session, actor.tenant_id)
    return frozenset({actor.tenant_id})


def restrict(
    stmt: Select[*Ts],
    session: Session,
    actor: Actor,
    permission: str = "centre.read",
    model: Any = Activation,
) -> Select[*Ts]:
    """Limit a select over ``model`` (with ``tenant_id`` and ``scope_unit_expr``) to what
    the actor sees with ``permission``."""
    require(actor, permission)
    tenants = visible_tenants(session, actor)
    if tenants is not None:
        stmt = stmt.where(model.tenant_id.in_(sorted(tenants)))
    units = actor.scope(permission)
    if units is not None:
        stmt = stmt.where(model.scope_unit_expr().in_(subtree_ids(units)))
    return stmt


def visible_activation(
    session: Session,
    actor: Actor,
    activation_id: uuid.UUID,
    permission: str = "centre.read",
    *,
    for_update: bool = False,
) -> Activation:
    """The activation if the actor sees it with ``permission``, else :class:`NotFound`."""
    stmt = restrict(
        select(Activation).where(Activation.id == activation_id), session, actor, permission
    )
    if for_update:
        stmt = stmt.with_for_update()
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound("activation not found")
    return found
