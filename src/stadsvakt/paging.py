"""Sorting and paging of list queries, shared by every feature's list services.

A service names the columns a list may be sorted by (``{"name": Person.family_name,
...}``); :func:`sorted_by` applies the chosen one with a stable tie-break (the row's
id), so paging never shows a row twice or skips one when values repeat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from stadsvakt.errors import InvalidInput

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Order:
    """A list's sort: a key the service knows and the direction."""

    key: str
    descending: bool = False


def sorted_by(
    stmt: Select[Any],
    columns: Mapping[str, Any | Sequence[Any]],
    order: Order,
    *,
    tiebreak: Any,
) -> Select[Any]:
    """``stmt`` ordered by the column(s) named by ``order.key``, then by ``tiebreak``.

    An unknown key is refused with the rule ``sort`` (the web layer checks first; this
    guards the API and the CLI).
    """
    if order.key not in columns:
        raise InvalidInput(f"sort: cannot sort by {order.key!r}", field="sort", rule="sort")
    chosen = columns[order.key]
    keys: list[Any] = list(chosen) if isinstance(chosen, (list, tuple)) else [chosen]
    direction = [k.desc() if order.descending else k.asc() for k in keys]
    tie = tiebreak.desc() if order.descending else tiebreak.asc()
    return stmt.order_by(None).order_by(*direction, tie)


def contains(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own ``%``, ``_`` and ``\\`` taken
    literally (use with ``escape="\\"``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def counted_page(
    session: Session, stmt: Select[tuple[T]], *, limit: int, offset: int
) -> tuple[list[T], int]:
    """One page of ``stmt`` and how many rows match in all."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return list(session.scalars(stmt.limit(limit).offset(offset))), total
