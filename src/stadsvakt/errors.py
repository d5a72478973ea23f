"""The domain error hierarchy, rendered as RFC 9457 problem details by the API.

Services raise these; only ``api/`` turns them into HTTP responses. ``detail`` is
English and goes to API clients as it is; what a person reads in the web UI is the
error's *message*: a gettext message id with named parameters, given with
:meth:`DomainError.said` and marked with :func:`N_` so extraction finds it::

    raise Conflict(f"employee number {value!r} is already used", field="employee_number").said(
        N_("The employee number %(value)s is already used."), value=value
    )

A parameter that is itself words to translate (a field's or a thing's name) is a
:class:`Term`: ``.said(N_("%(what)s cannot be emptied."), what=Term(N_("Name")))``.
The web UI renders an error through ``stadsvakt.web.errors.explain``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

#: A message parameter: a value shown as it is, or a :class:`Term` translated too.
Param = str | int | float


class Term(str):
    """A message parameter that is a message id itself (a field's name): translated too."""

    __slots__ = ()


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


class DomainError(Exception):
    """Base of every error a user can be shown."""

    code: str = "error"
    title: str = "Error"
    status: int = 400
    #: What the UI says (a gettext message id), or None: see :meth:`said`.
    msgid: str | None = None
    params: Mapping[str, object] = {}

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def said(self, msgid: str, /, **params: Param) -> Self:
        """The same refusal in words for people: a gettext message id with ``%(name)s``
        parameters (a :class:`Term` parameter is translated too). Returns the error."""
        self.msgid = msgid
        self.params = params
        return self

    def headers(self) -> dict[str, str]:
        """Response headers that go with the problem (``Retry-After``, say); none by default."""
        return {}


class NotFound(DomainError):
    """The object does not exist, or the actor may not know it exists."""

    code = "not_found"
    title = "Not found"
    status = 404


class Conflict(DomainError):
    """A natural key is already taken, or the change clashes with current state."""

    code = "conflict"
    title = "Conflict"
    status = 409


class InvalidInput(DomainError):
    """Input broke a business rule that a schema cannot express."""

    code = "invalid_input"
    title = "Invalid input"
    status = 422

    def __init__(self, detail: str, *, field: str, rule: str) -> None:
        super().__init__(detail, errors=[{"field": field, "rule": rule, "message": detail}])


class Unauthenticated(DomainError):
    """No valid credentials came with the request."""

    code = "unauthenticated"
    title = "Authentication required"
    status = 401


class Forbidden(DomainError):
    """The actor is known but may not do this."""

    code = "forbidden"
    title = "Forbidden"
    status = 403


class TooManyAttempts(DomainError):
    """Login throttling is in force: try again after ``retry_after`` seconds."""

    code = "too_many_attempts"
    title = "Too many attempts"
    status = 429

    def __init__(self, detail: str, *, retry_after: int = 60) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        """``Retry-After``: when the next attempt will be considered."""
        return {"Retry-After": str(self.retry_after)}
