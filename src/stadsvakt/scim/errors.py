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
from stadsvakt.scim.models import ENTERPRISE_SCHEMA

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


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


#: The SCIM attribute that holds each complex model, for errors raised inside one.
_HOLDERS = {
    "Name": "name.",
    "Email": "emails.",
    "Member": "members.",
    "EnterpriseUser": f"{ENTERPRISE_SCHEMA}:",
}


def invalid_patch_value(exc: ValidationError) -> InvalidValueException:
    """A 400 invalidValue for a value a PATCH wrote, naming the SCIM attribute and the rule.

    scim2-models passes on pydantic's whole message, which names the field within the
    model that refused it (``givenName`` for ``name.givenName``) and links to pydantic's
    site; a client wants the attribute's path and the rule.
    """
    holder = _HOLDERS.get(exc.title, "")
    parts = []
    for error in exc.errors()[:5]:
        location = ".".join(_camel(str(p)) for p in error["loc"] if isinstance(p, str))
        parts.append(f"{holder}{location or 'value'}: {error['msg']}")
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
