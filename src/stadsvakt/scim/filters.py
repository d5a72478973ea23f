"""SCIM filters (RFC 7644 §3.4.2.2) translated into SQL over people and groups.

scim2-models parses and validates the filter; this module walks its syntax tree
and builds a WHERE clause, so a search filters, counts and pages in the
database. String comparisons ignore case except on ``id``, ``externalId`` and
``members.value`` (caseExact in RFC 7643). An attribute stadsvakt does not keep
matches nothing, as RFC 7644 §3.4.2.1 asks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scim2_models import InvalidFilterException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from sqlalchemy import String, and_, exists, false, func, literal, not_, or_, select, true
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.directory.models import Assignment, Group, GroupMember, Person
from stadsvakt.org.models import OrgUnit
from stadsvakt.scim.models import ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA

SCIM_SOURCE = "scim"


@dataclass(frozen=True, slots=True)
class _Column:
    """How one SCIM attribute reads in SQL."""

    expr: ColumnElement[Any]
    kind: str = "string"  # string, exact (case-exact string), bool, datetime, uuid


def _col(attr: QueryableAttribute[Any] | ColumnElement[Any], kind: str = "string") -> _Column:
    expr = attr.expression if isinstance(attr, QueryableAttribute) else attr
    return _Column(expr, kind)


#: Wraps the condition on an attribute whose value lives in another table (an EXISTS).
_Related = Callable[[ColumnElement[bool]], ColumnElement[bool]]


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _parse_datetime(value: Any) -> datetime:
    """A filter's dateTime in UTC; one outside the years 1 to 9999 in UTC is refused."""
    if not isinstance(value, str):
        raise InvalidFilterException(detail=f"{value!r} is not a dateTime")
    try:
        parsed = datetime.fromisoformat(value)
        # In UTC now: "0001-01-01T00:00+14:00" is a year 0 no database takes.
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidFilterException(
            detail=f"{value!r} is not a dateTime between the years 1 and 9999"
        ) from None


def _compare(column: _Column, op: CompareOperator, value: Any) -> ColumnElement[bool]:
    """``column op value`` with SCIM's typing rules."""
    expr = column.expr
    if column.kind == "bool":
        if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail="a boolean attribute takes eq or ne with a boolean")
        return expr.is_(value) if op == CompareOperator.eq else expr.is_not(value)
    if column.kind == "datetime":
        value = _parse_datetime(value)
    elif column.kind == "uuid":
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail="an id takes eq or ne")
        try:
            as_uuid = uuid.UUID(str(value))
        except ValueError:
            return false() if op == CompareOperator.eq else true()
        return expr == as_uuid if op == CompareOperator.eq else expr != as_uuid
    else:
        if not isinstance(value, str):
            raise InvalidFilterException(detail=f"{value!r} is not a string")
        if "\x00" in value:
            # No stored text holds one, and PostgreSQL refuses it in a parameter.
            raise InvalidFilterException(detail="a filter value cannot contain a NUL character")
        if column.kind == "string":
            expr, value = func.lower(expr), value.lower()
    clause: ColumnElement[bool] | None = None
    match op:
        case CompareOperator.eq:
            clause = expr == value
        case CompareOperator.ne:
            clause = or_(expr != value, expr.is_(None))
        case CompareOperator.gt:
            clause = expr > value
        case CompareOperator.ge:
            clause = expr >= value
        case CompareOperator.lt:
            clause = expr < value
        case CompareOperator.le:
            clause = expr <= value
    if clause is not None:
        return clause
    if column.kind == "datetime":
        raise InvalidFilterException(detail=f"{op.value} does not apply to a dateTime")
    pattern = _like_escape(value)
    pattern = {
        CompareOperator.co: f"%{pattern}%",
        CompareOperator.sw: f"{pattern}%",
        CompareOperator.ew: f"%{pattern}",
    }[op]
    return expr.like(pattern, escape="\\")


def _present(column: _Column) -> ColumnElement[bool]:
    if column.kind in ("string", "exact"):
        return and_(column.expr.is_not(None), column.expr != "")
    return column.expr.is_not(None)


def _name(attr: AttrPath, schema: str, prefix: str | None = None) -> str:
    """The attribute's lower-case dotted name without the core schema URN."""
    parts = [attr.attr.lower()]
    if attr.sub_attr:
        parts.append(attr.sub_attr.lower())
    if prefix:
        parts.insert(0, prefix)
    name = ".".join(parts)
    uri = (attr.uri or "").lower()
    if uri and uri != schema.lower():
        name = f"{uri}:{name}"
    return name


class _Translator:
    """Walks a filter tree into a WHERE clause over one model."""

    def __init__(
        self,
        schema: str,
        columns: dict[str, _Column],
        related: dict[str, tuple[_Column, _Related]],
    ) -> None:
        self.schema = schema
        self.columns = columns
        self.related = related

    def visit(self, node: FilterNode, prefix: str | None = None) -> ColumnElement[bool]:
        """The clause of one node; ``prefix`` is the multi-valued attribute of a value path."""
        if isinstance(node, LogicalExpr):
            clauses = [self.visit(term, prefix) for term in node.terms]
            return and_(*clauses) if node.op == LogicalOperator.and_ else or_(*clauses)
        if isinstance(node, Not):
            return not_(self.visit(node.expr, prefix))
        if isinstance(node, ValuePath):
            return self.visit(node.val_filter, _name(node.attr_path, self.schema))
        if isinstance(node, Comparison):
            name = _name(node.attr_path, self.schema, prefix)
            return self._leaf(name, lambda c: _compare(c, node.op, node.value))
        if isinstance(node, Present):
            name = _name(node.attr_path, self.schema, prefix)
            return self._leaf(name, _present)
        raise InvalidFilterException(detail=f"unsupported filter expression {node}")

    def _leaf(
        self, name: str, build: Callable[[_Column], ColumnElement[bool]]
    ) -> ColumnElement[bool]:
        if name in self.columns:
            return build(self.columns[name])
        if name in self.related:
            column, wrap = self.related[name]
            return wrap(build(column))
        return false()


def _scim_assignment(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists(
        select(Assignment.id)
        .join(OrgUnit, OrgUnit.id == Assignment.org_unit_id)
        .where(Assignment.person_id == Person.id, Assignment.source == SCIM_SOURCE, condition)
    )


def _member(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists(select(GroupMember.person_id).where(GroupMember.group_id == Group.id, condition))


def _has_email(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(Person.email.is_not(None), condition)


_ENTERPRISE = ENTERPRISE_SCHEMA.lower()
_full_name = Person.given_name + " " + Person.family_name

_USERS = _Translator(
    USER_SCHEMA,
    {
        "id": _col(Person.id, "uuid"),
        "externalid": _col(Person.external_id, "exact"),
        "username": _col(Person.user_name),
        "name.givenname": _col(Person.given_name),
        "name.familyname": _col(Person.family_name),
        "name.formatted": _col(_full_name),
        "displayname": _col(_full_name),
        "active": _col(Person.active, "bool"),
        "emails": _col(Person.email),
        "emails.value": _col(Person.email),
        "meta.created": _col(Person.created_at, "datetime"),
        "meta.lastmodified": _col(Person.updated_at, "datetime"),
        f"{_ENTERPRISE}:employeenumber": _col(Person.employee_number),
    },
    {
        # The one address kept is published as the primary work address.
        "emails.type": (_col(literal("work", String)), _has_email),
        "title": (_col(Assignment.position), _scim_assignment),
        f"{_ENTERPRISE}:department": (_col(OrgUnit.code), _scim_assignment),
    },
)

_GROUPS = _Translator(
    GROUP_SCHEMA,
    {
        "id": _col(Group.id, "uuid"),
        "externalid": _col(Group.external_id, "exact"),
        "displayname": _col(Group.display_name),
        "meta.created": _col(Group.created_at, "datetime"),
        "meta.lastmodified": _col(Group.updated_at, "datetime"),
    },
    {
        "members": (_col(GroupMember.person_id, "uuid"), _member),
        "members.value": (_col(GroupMember.person_id, "uuid"), _member),
    },
)


def user_clause(node: FilterNode) -> ColumnElement[bool]:
    """The WHERE clause over :class:`Person` for a parsed SCIM filter."""
    return _USERS.visit(node)


def group_clause(node: FilterNode) -> ColumnElement[bool]:
    """The WHERE clause over :class:`Group` for a parsed SCIM filter."""
    return _GROUPS.visit(node)
