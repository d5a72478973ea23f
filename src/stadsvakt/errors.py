"""The domain error hierarchy, rendered as RFC 9457 problem details by the API.

Services raise these; only ``api/`` turns them into HTTP responses.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a user can be shown."""

    code: str = "error"
    title: str = "Error"
    status: int = 400

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

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
