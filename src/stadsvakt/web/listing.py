"""Server-side lists in the web UI: search, filters, sorting and paging kept in the URL.

A list page declares a :class:`ListSpec` (the sort keys, the filters and their allowed
values) and reads the request with :func:`read_list`. Every parameter is checked: a page
size that is not offered, an unknown sort key, a filter value that is not one of the
choices, a page past the end or a parameter the list does not know is refused with a
422 naming the field and the rule, never ignored, so a bookmarked or shared URL shows
exactly what it says. :meth:`ListState.url` writes URLs that keep the whole state;
``_listing.html`` draws the count, the sortable headers and the pager from them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from stadsvakt.errors import InvalidInput
from stadsvakt.paging import Order
from stadsvakt.web.forms import N_

T = TypeVar("T")

#: The page sizes a list offers; the first is the default.
PAGE_SIZES = (25, 50, 100)
#: The longest search text a list accepts.
SEARCH_MAX = 100
#: Parameters a page may carry besides the list's own (messages after a redirect).
NOTICE_PARAMS = frozenset({"saved", "lost", "deleted", "revoked", "undone", "created"})


class ListParameterError(InvalidInput):
    """A list parameter out of range: ``message`` is the msgid shown, with ``params``."""

    def __init__(self, field_name: str, rule: str, message: str, **params: object) -> None:
        super().__init__(f"{field_name}: {message % params}", field=field_name, rule=rule)
        self.message = message
        self.said(message, **{key: str(value) for key, value in params.items()})


@dataclass(frozen=True, slots=True)
class ListSpec:
    """What a list page accepts: its path, sort keys and filters.

    ``filters`` maps a parameter to its allowed values, or to ``None`` for free text
    (at most ``SEARCH_MAX`` characters) or to a callable that checks the value and
    returns it cleaned (raising :class:`ListParameterError` when it is wrong).
    """

    path: str
    sorts: Sequence[str]
    default_sort: str
    default_descending: bool = False
    filters: Mapping[str, Collection[str] | Callable[[str], str] | None] = field(
        default_factory=dict
    )
    extra: Collection[str] = NOTICE_PARAMS


@dataclass(frozen=True, slots=True)
class ListState:
    """One request's view of a list: search text, filters, sort and page."""

    spec: ListSpec
    q: str = ""
    filters: Mapping[str, str] = field(default_factory=dict)
    sort: str = ""
    descending: bool = False
    page: int = 1
    size: int = PAGE_SIZES[0]

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return (self.page - 1) * self.size

    @property
    def order(self) -> Order:
        """The sort as a service takes it."""
        return Order(self.sort, self.descending)

    def params(self, **changes: Any) -> dict[str, str]:
        """The URL parameters of this state with ``changes``; defaults are left out."""
        values: dict[str, Any] = {"q": self.q, **self.filters}
        sort = changes.pop("sort", self.sort)
        descending = changes.pop("descending", self.descending)
        values.update(changes)
        if (sort, descending) != (self.spec.default_sort, self.spec.default_descending):
            values["sort"] = f"-{sort}" if descending else sort
        page, size = values.pop("page", self.page), values.pop("size", self.size)
        if size != PAGE_SIZES[0]:
            values["size"] = size
        if page != 1:
            values["p"] = page
        return {k: str(v) for k, v in values.items() if v not in ("", None)}

    def url(self, **changes: Any) -> str:
        """This list's URL with ``changes`` (``page=``, ``sort=``, a filter, ...)."""
        query = urlencode(self.params(**changes))
        return f"{self.spec.path}?{query}" if query else self.spec.path

    def sort_url(self, key: str) -> str:
        """The URL sorting by ``key``: ascending first, again to turn it around."""
        descending = not self.descending if key == self.sort else False
        return self.url(sort=key, descending=descending, page=1)

    def aria_sort(self, key: str) -> str | None:
        """``ascending``/``descending`` on the column the list is sorted by."""
        if key != self.sort:
            return None
        return "descending" if self.descending else "ascending"

    def hidden_fields(self) -> dict[str, str]:
        """Sort and size to carry as hidden fields of the search form (page starts over)."""
        kept = self.params(page=1)
        return {k: v for k, v in kept.items() if k in {"sort", "size"}}

    def result(self, rows: list[T], total: int) -> Listing[T]:
        """This page's rows; a page past the end (of a non-empty list) is refused."""
        pages = max(1, math.ceil(total / self.size))
        if self.page > pages:
            raise ListParameterError(
                "p",
                "page_range",
                N_("There is no page %(page)s; the list has %(pages)s pages."),
                page=self.page,
                pages=pages,
            )
        return Listing(self, rows, total, pages)


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """One page of a list with what the pager needs."""

    state: ListState
    rows: list[T]
    total: int
    pages: int

    @property
    def first(self) -> int:
        """The number of this page's first row (1-based; 0 for an empty list)."""
        return self.state.offset + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """The number of this page's last row."""
        return self.state.offset + len(self.rows)

    @property
    def prev_url(self) -> str | None:
        """The previous page's URL."""
        return self.state.url(page=self.state.page - 1) if self.state.page > 1 else None

    @property
    def next_url(self) -> str | None:
        """The next page's URL."""
        return self.state.url(page=self.state.page + 1) if self.state.page < self.pages else None

    def page_links(self, around: int = 2) -> list[tuple[int | None, str | None]]:
        """Page numbers near this one, with the first and last; ``(None, None)`` is a gap."""
        current, wanted = self.state.page, {1, self.pages}
        wanted.update(range(max(1, current - around), min(self.pages, current + around) + 1))
        links: list[tuple[int | None, str | None]] = []
        previous = 0
        for number in sorted(wanted):
            if number - previous > 1:
                links.append((None, None))
            links.append((number, self.state.url(page=number)))
            previous = number
        return links

    def size_urls(self) -> list[tuple[int, str]]:
        """Each offered page size with the URL showing it (from the first page)."""
        return [(size, self.state.url(size=size, page=1)) for size in PAGE_SIZES]


def _integer(params: QueryParams, name: str, default: int) -> int:
    text = params.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or len(text) > 7:
        raise ListParameterError(name, "integer", N_("Give a whole number."))
    return int(text)


def _sort(spec: ListSpec, text: str) -> tuple[str, bool]:
    if not text:
        return spec.default_sort, spec.default_descending
    key, descending = (text[1:], True) if text.startswith("-") else (text, False)
    if key not in spec.sorts:
        raise ListParameterError(
            "sort", "sort", N_("The list cannot be sorted by %(key)s."), key=key[:40]
        )
    return key, descending


def _filter(name: str, rule: Collection[str] | Callable[[str], str] | None, text: str) -> str:
    value = text.strip()
    if not value:
        return ""
    if rule is None:
        if len(value) > SEARCH_MAX:
            raise ListParameterError(
                name, "max_length", N_("Use at most %(max)s characters."), max=SEARCH_MAX
            )
        return value
    if callable(rule):
        return rule(value)
    if value not in rule:
        raise ListParameterError(name, "choice", N_("Choose one of the options."))
    return value


def read_list(params: QueryParams, spec: ListSpec) -> ListState:
    """The list state a URL asks for; every parameter checked (see the module docstring)."""
    known = {"q", "sort", "p", "size", *spec.filters, *spec.extra}
    for name in params:
        if name not in known:
            raise ListParameterError(
                name[:40],
                "unknown_parameter",
                N_("This list has no filter named %(name)s."),
                name=name[:40],
            )
        if len(params.getlist(name)) > 1:
            raise ListParameterError(name, "repeated", N_("Give this parameter once."))
    q = _filter("q", None, params.get("q", ""))
    page = _integer(params, "p", 1)
    if page < 1:
        raise ListParameterError("p", "page_range", N_("Pages are numbered from 1."))
    size = _integer(params, "size", PAGE_SIZES[0])
    if size not in PAGE_SIZES:
        raise ListParameterError(
            "size",
            "page_size",
            N_("Show %(sizes)s rows per page."),
            sizes=", ".join(map(str, PAGE_SIZES)),
        )
    sort, descending = _sort(spec, params.get("sort", "").strip())
    filters = {
        name: _filter(name, rule, params.get(name, "")) for name, rule in spec.filters.items()
    }
    return ListState(spec, q, filters, sort, descending, page, size)


def with_filters(state: ListState, **values: str) -> ListState:
    """The state with filters replaced (a view that fixes one, e.g. a person's page)."""
    return replace(state, filters={**state.filters, **values})
