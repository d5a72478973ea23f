"""Authorization inside queries: one helper restricts any select to what the actor may see.

A model that can be scoped has ``tenant_id`` and names, in ``scope_unit_attr``,
the column holding the organisation unit it belongs to. A unit-scoped actor
sees rows whose unit lies in the subtree of one of their units.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVarTuple

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.context import Actor
from stadsvakt.errors import N_, Forbidden, NotFound
from stadsvakt.org.models import OrgUnit

Ts = TypeVarTuple("Ts")


#: A mapped class with ``tenant_id`` and either a ``scope_unit_attr`` class attribute naming
#: its unit column or a ``scope_unit_expr()`` classmethod giving the unit as an expression.
Scoped = type[Any]


def subtree_ids(roots: frozenset[uuid.UUID]) -> Select[tuple[uuid.UUID]]:
    """A select of the ids of the given units and every unit below them (recursive CTE).

    The CTE is anonymous: one query may hold two of them (a department administrator's
    scope and a filter by unit), and two CTEs of one name do not compile.
    """
    tree = select(OrgUnit.id).where(OrgUnit.id.in_(roots)).cte(recursive=True)
    child = aliased(OrgUnit)
    tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
    return select(tree.c.id)


def scope_clause(model: Scoped, actor: Actor, permission: str) -> ColumnElement[bool] | None:
    """The WHERE clause limiting ``model`` to the actor's scope for a permission, or None."""
    if not actor.can(permission):
        raise Forbidden(f"this needs the {permission} permission")
    clauses: list[ColumnElement[bool]] = []
    if actor.tenant_id is not None:
        clauses.append(model.tenant_id == actor.tenant_id)
    units = actor.scope(permission)
    if units is not None:
        expr = getattr(model, "scope_unit_expr", None)
        unit_column = expr() if expr is not None else getattr(model, model.scope_unit_attr)
        clauses.append(unit_column.in_(subtree_ids(units)))
    if not clauses:
        return None
    if len(clauses) == 1:
        return clauses[0]

    return and_(*clauses)


def restrict(stmt: Select[*Ts], model: Scoped, actor: Actor, permission: str) -> Select[*Ts]:
    """Limit any select over ``model`` to the rows the actor may see with ``permission``."""
    clause = scope_clause(model, actor, permission)
    return stmt if clause is None else stmt.where(clause)


def require(actor: Actor, permission: str) -> None:
    """Refuse unless the actor holds the permission somewhere."""
    if not actor.can(permission):
        raise Forbidden(f"this needs the {permission} permission")


def check_unit_in_scope(
    session: Session, actor: Actor, permission: str, unit_id: uuid.UUID | None, *, field: str
) -> None:
    """Refuse to place an object under a unit the actor cannot act in.

    An unknown unit and a unit outside the actor's scope give the same 404, so
    ids cannot be probed.
    """
    require(actor, permission)
    if unit_id is None:
        if actor.scope(permission) is not None:
            raise Forbidden(
                f"{field}: a department administrator must name one of their own units"
            ).said(N_("Choose a unit within your own organisation."))
        return
    stmt = restrict(select(OrgUnit.id).where(OrgUnit.id == unit_id), OrgUnit, actor, permission)
    if session.execute(stmt).first() is None:
        raise NotFound(f"{field}: no organisation unit {unit_id} in your scope").said(
            N_("Choose a unit within your own organisation.")
        )
