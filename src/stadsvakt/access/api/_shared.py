"""What the access routes share: the search parameter and turning a page of rows into a Page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import Query

from stadsvakt.api.deps import Paging
from stadsvakt.org.schemas import Page
from stadsvakt.schemas import NO_NUL

Search = Annotated[
    str | None,
    Query(max_length=100, pattern=NO_NUL, description="Text to look for in name or code"),
]

Row = TypeVar("Row")
Out = TypeVar("Out")


def to_page(
    rows: tuple[Sequence[Row], int], paging: Paging, convert: Callable[[Row], Out]
) -> Page[Out]:
    """A page of API objects from a service's (rows, total)."""
    items, total = rows
    return Page[Out](
        items=[convert(r) for r in items], total=total, limit=paging.limit, offset=paging.offset
    )
