"""Factories for SCIM tests: request bodies as Entra ID sends them."""

from __future__ import annotations

from typing import Any

SCIM_JSON = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def user_body(
    user_name: str,
    *,
    department: str | None,
    given: str = "Anna",
    family: str = "Svensson",
    title: str | None = "Lärare",
    external_id: str | None = None,
    employee_number: str | None = None,
    email: str | None = None,
    active: bool = True,
) -> dict[str, Any]:
    """A SCIM User the way Entra ID's default mapping sends it."""
    body: dict[str, Any] = {
        "schemas": [USER, ENTERPRISE],
        "userName": user_name,
        "active": active,
        "displayName": f"{given} {family}",
        "name": {"givenName": given, "familyName": family, "formatted": f"{given} {family}"},
        "emails": [{"primary": True, "type": "work", "value": email or f"{user_name}"}],
        ENTERPRISE: {"organization": "Testby kommun", "manager": {"value": "boss"}},
    }
    if email is None:
        body.pop("emails")
    if department is not None:
        body[ENTERPRISE]["department"] = department
    if employee_number is not None:
        body[ENTERPRISE]["employeeNumber"] = employee_number
    if title is not None:
        body["title"] = title
    if external_id is not None:
        body["externalId"] = external_id
    return body


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    """A PatchOp message."""
    return {"schemas": [PATCH], "Operations": list(operations)}
