"""Search text in list queries: a typed ``%`` or ``_`` matches itself, not any text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_


def like_pattern(q: str) -> str:
    """``%q%`` with LIKE's wildcards and the escape character escaped (escape is ``\\``)."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def like_prefix(q: str) -> str:
    """``q%``: what starts with ``q`` (escaped as :func:`like_pattern`)."""
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def contains(q: str, *columns: Any) -> ColumnElement[bool]:
    """Whether any of ``columns`` contains ``q``, ignoring case."""
    pattern = like_pattern(q.strip())
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))
