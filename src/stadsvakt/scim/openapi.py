"""The SCIM endpoints as ``/openapi.json`` describes them (tag "SCIM 2.0"), so ``/docs``
and ``/redoc`` show them beside the rest of the API.

The description is data: one :class:`ScimOperation` per method and path, each with
what it does, an example of what it takes and what it answers, and every status it can
answer. Bodies are ``application/scim+json`` as RFC 7644 has them; FastAPI never reads
them (scim2-server does), so each is described as an object whose attributes
``/scim/v2/Schemas`` publishes, with an example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stadsvakt.api.openapi import BEARER_SCHEME
from stadsvakt.scim.models import ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA

TAG = "SCIM 2.0"
MEDIA_TYPE = "application/scim+json"
_LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

USER_EXAMPLE: dict[str, Any] = {
    "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
    "userName": "anna.svensson@malmo.se",
    "externalId": "5b0f2c1e-8d52-4c1f-9a77-2f1d0c3e4b5a",
    "active": True,
    "name": {"givenName": "Anna", "familyName": "Svensson"},
    "emails": [{"type": "work", "value": "anna.svensson@malmo.se"}],
    "title": "Lärare",
    ENTERPRISE_SCHEMA: {"employeeNumber": "100234", "department": "SKOL"},
}
GROUP_EXAMPLE: dict[str, Any] = {
    "schemas": [GROUP_SCHEMA],
    "displayName": "Lärare Centrumskolan",
    "members": [{"value": "2819c223-7f76-453a-919d-413861904646", "type": "User"}],
}
PATCH_EXAMPLE: dict[str, Any] = {
    "schemas": [_PATCH],
    "Operations": [{"op": "replace", "path": f"{ENTERPRISE_SCHEMA}:department", "value": "OMS"}],
}
SEARCH_EXAMPLE: dict[str, Any] = {
    "schemas": [_SEARCH],
    "filter": 'userName eq "anna.svensson@malmo.se"',
    "startIndex": 1,
    "count": 50,
}
#: An example error document's ``scimType`` and ``detail`` per status.
_ERROR_EXAMPLES: dict[int, tuple[str | None, str]] = {
    400: (
        "invalidValue",
        "department 'Fritid' is neither the code nor the name of a unit of this municipality",
    ),
    401: (None, "the token is unknown, expired or revoked"),
    403: (None, "the token lacks the scim.provision scope"),
    404: (None, "Resource 2819c223-7f76-453a-919d-413861904646 not found"),
    409: ("uniqueness", "userName 'anna.svensson@malmo.se' is already used"),
    412: (None, "the resource has changed since the If-Match version"),
    413: (None, "the body is larger than 2097152 bytes"),
    501: (None, "sorting is not supported"),
}

#: What each status means for a SCIM request (every error is a SCIM Error document).
_STATUS = {
    200: "The resource, or the list of resources found.",
    201: "Created: the resource as stored, with its `id`, `meta.location` and ETag.",
    204: "Deleted (a person is deactivated first: every right ends in the same request).",
    304: "Not modified (`If-None-Match` named the current version).",
    400: "The request is refused: `scimType` says why (`invalidFilter`, `invalidValue`, "
    "`invalidSyntax`, `invalidPath`, `noTarget`, `tooMany`, `mutability`).",
    401: "No bearer token, or one that is unknown, expired or revoked.",
    403: "The token lacks the `scim.provision` scope (or a discovery request has a filter).",
    404: "No such resource in the token's municipality.",
    409: "`uniqueness`: the `userName`, `externalId`, employee number or group name is taken.",
    412: "`If-Match` names a version that is no longer current.",
    413: "The body is larger than 2 MB.",
    501: "Not supported (sorting, bulk, searching at the root).",
}
_ERRORS = (400, 401, 403, 413)


@dataclass(frozen=True, slots=True)
class ScimOperation:
    """One documented SCIM operation."""

    method: str
    path: str
    summary: str
    description: str
    #: Statuses besides the errors every request can meet (:data:`_ERRORS`).
    statuses: tuple[int, ...]
    #: (what the body is, its example) for the success answer; None: no body.
    answer: tuple[str, dict[str, Any]] | None
    #: (what the request body is, its example); None: no body.
    body: tuple[str, dict[str, Any]] | None = None
    #: Readable without a token (RFC 7644 §4: how to authenticate).
    public: bool = False


def _listed(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "schemas": [_LIST],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": list(resources),
    }


_ID = "{resource_id}"
_READ = ("attributes", "excludedAttributes")
_USER = ("A SCIM User with the enterprise extension", USER_EXAMPLE)
_GROUP = ("A SCIM Group", GROUP_EXAMPLE)
_PATCH_BODY = ("A SCIM PatchOp", PATCH_EXAMPLE)
_SEARCH_BODY = ("A SCIM SearchRequest", SEARCH_EXAMPLE)


def _crud(endpoint: str, what: str, body: tuple[str, dict[str, Any]]) -> list[ScimOperation]:
    """The operations of one resource type's endpoint."""
    one = f"/{endpoint}/{_ID}"
    found = ("A SCIM ListResponse", _listed(body[1]))
    return [
        ScimOperation(
            "GET",
            f"/{endpoint}",
            f"List or filter {what}",
            f"{what.capitalize()} of the token's municipality, oldest first, paged by "
            "`startIndex` and `count` (at most 200), filtered by `filter` (RFC 7644 §3.4.2).",
            (200, 501),
            found,
        ),
        ScimOperation(
            "POST",
            f"/{endpoint}/.search",
            f"Search {what} with a body",
            "The same search as a GET, with the query in a SearchRequest body.",
            (200, 501),
            found,
            _SEARCH_BODY,
        ),
        ScimOperation(
            "POST",
            f"/{endpoint}",
            f"Create one of the {what}",
            "Read-only and unknown attributes are ignored; everything is audited and fed "
            "to the access change feed.",
            (201, 409),
            body,
            body,
        ),
        ScimOperation("GET", one, f"Read one of the {what}", "", (200, 304, 404), body),
        ScimOperation(
            "PUT",
            one,
            f"Replace one of the {what}",
            "`If-Match` makes the change conditional on the version read.",
            (200, 404, 409, 412),
            body,
            body,
        ),
        ScimOperation(
            "PATCH",
            one,
            f"Change one of the {what}",
            "`add`, `replace` and `remove` operations, checked against the schemas before "
            "any is applied; answers 200 with the resource.",
            (200, 404, 409, 412),
            body,
            _PATCH_BODY,
        ),
        ScimOperation("DELETE", one, f"Delete one of the {what}", "", (204, 404, 412), None),
    ]


OPERATIONS: tuple[ScimOperation, ...] = (
    ScimOperation(
        "GET",
        "/ServiceProviderConfig",
        "What the SCIM service supports",
        "PATCH, filters and ETags; no bulk, sorting or passwords; bearer tokens. Readable "
        "without a token.",
        (200,),
        ("A SCIM ServiceProviderConfig", {"patch": {"supported": True}}),
        public=True,
    ),
    ScimOperation(
        "GET",
        "/ResourceTypes",
        "The resource types: User and Group",
        "",
        (200,),
        ("A SCIM ListResponse of ResourceTypes", _listed({"id": "User", "endpoint": "/Users"})),
    ),
    ScimOperation(
        "GET",
        "/Schemas",
        "The attributes stadsvakt keeps",
        "The User, enterprise User and Group schemas, limited to what stadsvakt keeps. "
        "`department`'s `canonicalValues` are the unit codes of the token's municipality.",
        (200,),
        (
            "A SCIM ListResponse of Schemas",
            _listed({"id": ENTERPRISE_SCHEMA, "attributes": [{"name": "department"}]}),
        ),
    ),
    ScimOperation(
        "GET",
        "/Schemas/{schema_id}",
        "One schema, by its URN",
        "",
        (200, 404),
        ("A SCIM Schema", {"id": ENTERPRISE_SCHEMA}),
    ),
    *_crud("Users", "people", _USER),
    *_crud("Groups", "groups", _GROUP),
)


def _content(what: str, example: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "description": f"{what}; its attributes: /scim/v2/Schemas."}
    return {MEDIA_TYPE: {"schema": schema, "example": example}}


def error_example(status: int) -> dict[str, Any]:
    """An example SCIM Error document of the status."""
    scim_type, detail = _ERROR_EXAMPLES[status]
    example: dict[str, Any] = {"schemas": [_ERROR], "status": str(status), "detail": detail}
    if scim_type is not None:
        example["scimType"] = scim_type
    return example


def operation_id(operation: ScimOperation) -> str:
    """A readable, unique operation id: ``scim_patch_users_resource_id``."""
    words = [w.strip("{}.") for w in operation.path.split("/") if w.strip("{}.")]
    return "_".join(["scim", operation.method.lower(), *words]).lower()


def responses(operation: ScimOperation) -> dict[int | str, dict[str, Any]]:
    """Every status the operation can answer, each with its meaning and body."""
    found: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*operation.statuses, *_ERRORS} - ({401} if operation.public else set())):
        answer: dict[str, Any] = {"description": _STATUS[status]}
        if status < 300 and operation.answer is not None:
            answer["content"] = _content(*operation.answer)
        elif status >= 400:
            answer["content"] = _content("A SCIM Error", error_example(status))
        found[status] = answer
    return found


def _parameter(name: str, where: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": {"type": "string"},
        "description": description,
    }


def openapi_extra(operation: ScimOperation) -> dict[str, Any]:
    """The operation's parameters, request body and security, as OpenAPI has them."""
    parameters = [
        _parameter(name.strip("{}"), "path", "The resource's id (or the schema's URN).")
        for name in operation.path.split("/")
        if name.startswith("{")
    ]
    if operation.method == "GET" and operation.path.endswith(("/Users", "/Groups")):
        parameters += [
            _parameter("filter", "query", 'A SCIM filter, e.g. `userName eq "anna@x.se"`.'),
            _parameter("startIndex", "query", "The first result, from 1."),
            _parameter("count", "query", "Results per page, at most 200."),
        ]
    if operation.answer is not None and not operation.public:
        parameters += [
            _parameter(name, "query", "Comma-separated attribute paths.") for name in _READ
        ]
    extra: dict[str, Any] = {} if operation.public else {"security": [{BEARER_SCHEME: []}]}
    if parameters:
        extra["parameters"] = parameters
    if operation.body is not None:
        extra["requestBody"] = {"required": True, "content": _content(*operation.body)}
    return extra
