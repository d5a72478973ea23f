"""Bounds on the size and shape of SCIM filters and attribute lists (RFC 7644 §3.4.2).

A filter becomes SQL whose expression nests about one level per term, so an
unbounded one reaches SQLite's expression depth (1,000) or PostgreSQL's stack
after seconds of work, and fails as a 500. These checks refuse such a request
first, with ``400 invalidFilter`` naming the rule, in two steps:

* on the text, before it is parsed: its length, and how deep its parentheses and
  brackets nest (a string literal's contents do not count);
* on the parsed tree, before any SQL is built: how many comparisons and presence
  tests it holds, and how deep ``and``, ``or``, ``not`` and value paths nest.

The bounds are :class:`~stadsvakt.settings.ScimSettings`; their upper limits keep
every accepted filter far inside both databases' limits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scim2_models import InvalidFilterException, InvalidPathException, TooManyException
from scim2_models.path import (
    Comparison,
    FilterNode,
    LogicalExpr,
    Not,
    Present,
    ValuePath,
)

from stadsvakt.settings import ScimSettings

#: The search parameters that hold lists of attribute paths (RFC 7644 §3.9).
ATTRIBUTE_LISTS = ("attributes", "excludedAttributes")


def _text_depth(text: str) -> int:
    """How deep parentheses and brackets nest in ``text``, outside string literals."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]":
            depth -= 1
    return deepest


def check_filter_text(text: str, limits: ScimSettings, *, name: str = "filter") -> None:
    """Refuse a filter that is too long or nests too deep, before it is parsed."""
    if len(text) > limits.filter_max_length:
        raise InvalidFilterException(
            detail=f"{name}: at most {limits.filter_max_length} characters "
            f"({len(text)} sent); split the search"
        )
    if _text_depth(text) > limits.filter_max_depth:
        raise InvalidFilterException(
            detail=f"{name}: parentheses and brackets nest at most {limits.filter_max_depth} deep"
        )


def _children(node: FilterNode) -> tuple[FilterNode, ...]:
    if isinstance(node, LogicalExpr):
        return node.terms
    if isinstance(node, Not):
        return (node.expr,)
    if isinstance(node, ValuePath):
        return (node.val_filter,)
    return ()


def _walk(root: FilterNode) -> Iterator[tuple[FilterNode, int]]:
    """Every node with its depth (nested ``and``/``or``/``not``/value paths), no recursion."""
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        yield node, depth
        nested = depth + (not isinstance(node, Comparison | Present))
        stack.extend((child, nested) for child in _children(node))


def check_filter_tree(root: FilterNode, limits: ScimSettings, *, name: str = "filter") -> None:
    """Refuse a parsed filter with too many terms or too deep a nesting, before SQL is built."""
    terms = 0
    for node, depth in _walk(root):
        if depth > limits.filter_max_depth:
            raise InvalidFilterException(
                detail=f"{name}: and, or, not and value paths nest at most "
                f"{limits.filter_max_depth} deep"
            )
        if isinstance(node, Comparison | Present):
            terms += 1
            if terms > limits.filter_max_terms:
                raise InvalidFilterException(
                    detail=f"{name}: at most {limits.filter_max_terms} comparisons; "
                    "split the search"
                )


def _entries(value: Any) -> list[Any]:
    """The entries of an attribute list as scim2-models reads it (comma-separated or a list)."""
    if isinstance(value, str):
        return [v for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        if len(value) == 1 and isinstance(value[0], str):
            return [v for v in value[0].split(",") if v.strip()]
        return value
    return []


def check_attribute_list(name: str, value: Any, limits: ScimSettings) -> None:
    """Refuse an ``attributes``/``excludedAttributes`` list that is too long, before parsing."""
    if isinstance(value, str) and len(value) > limits.max_attributes * (limits.path_max_length + 1):
        raise TooManyException(
            detail=f"{name}: at most {limits.max_attributes} attributes of at most "
            f"{limits.path_max_length} characters ({len(value)} characters sent)"
        )
    entries = _entries(value)
    if len(entries) > limits.max_attributes:
        raise TooManyException(
            detail=f"{name}: at most {limits.max_attributes} attributes ({len(entries)} sent)"
        )
    for entry in entries:
        if isinstance(entry, str) and len(entry.strip()) > limits.path_max_length:
            raise InvalidPathException(
                detail=f"{name}: an attribute path has at most {limits.path_max_length} characters"
            )


def check_search(payload: Any, limits: ScimSettings) -> None:
    """Refuse the parts of a search request (query or ``.search`` body) that are too big."""
    if not isinstance(payload, dict):
        return
    for key, value in payload.items():
        if not isinstance(key, str):
            continue
        folded = key.casefold()
        if folded == "filter" and isinstance(value, str):
            check_filter_text(value, limits)
        for name in ATTRIBUTE_LISTS:
            if folded == name.casefold():
                check_attribute_list(name, value, limits)


def check_response_parameters(query: Any, limits: ScimSettings) -> None:
    """Refuse ``attributes``/``excludedAttributes`` query parameters that are too big."""
    for name in ATTRIBUTE_LISTS:
        if name in query:
            check_attribute_list(name, query[name], limits)
