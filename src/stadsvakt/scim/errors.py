"""stadsvakt's errors as SCIM errors (RFC 7644 §3.12), never RFC 9457 problems.

The directory service raises :class:`~stadsvakt.errors.DomainError`; SCIM clients
expect ``urn:ietf:params:scim:api:messages:2.0:Error`` bodies with a ``scimType``.
"""

from __future__ import annotations

from pydantic import ValidationError
from scim2_models import (
    ForbiddenException,
    InvalidValueException,
    NotFoundException,
    SCIMException,
    UnauthorizedException,
    UniquenessException,
)

from stadsvakt.errors import Conflict, DomainError, Forbidden, NotFound, Unauthenticated

#: The stadsvakt field names a client knows by their SCIM attribute names.
_ATTRIBUTES = {
    "given_name": "name.givenName",
    "family_name": "name.familyName",
    "user_name": "userName",
    "external_id": "externalId",
    "email": "emails.value",
    "employee_number": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "display_name": "displayName",
    "position": "title",
}


def invalid_value(exc: ValidationError, *, prefix: str | None = None) -> InvalidValueException:
    """A 400 invalidValue naming each SCIM attribute and what is wrong with it."""
    parts = []
    for error in exc.errors()[:5]:
        field = str(error["loc"][0]) if error["loc"] else ""
        name = prefix or _ATTRIBUTES.get(field, field or "value")
        parts.append(f"{name}: {error['msg']}")
    return InvalidValueException(detail="; ".join(parts))


def scim_error(exc: DomainError) -> SCIMException:
    """The SCIM error for a domain error of the services."""
    detail = exc.detail
    for field, attribute in _ATTRIBUTES.items():
        detail = (
            detail.replace(f"{field} ", f"{attribute} ") if detail.startswith(field) else detail
        )
    if isinstance(exc, NotFound):
        return NotFoundException(detail=detail)
    if isinstance(exc, Conflict):
        return UniquenessException(detail=detail)
    if isinstance(exc, Forbidden):
        return ForbiddenException(detail=detail)
    if isinstance(exc, Unauthenticated):
        return UnauthorizedException(detail=detail)
    return InvalidValueException(detail=detail)
