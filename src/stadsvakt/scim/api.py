"""The SCIM 2.0 endpoints at ``/scim/v2`` (RFC 7644), for Entra ID, Okta and HR systems.

One route takes every SCIM request and hands it to scim2-server's handler with
a storage over the request's session. Authentication is a stadsvakt API token
with the ``scim.provision`` scope; the municipality is the token's. Errors,
401 and 403 included, are SCIM error documents (``application/scim+json``),
never RFC 9457 problems. The operations are in ``/openapi.json`` for people (tag
"SCIM 2.0", described in :mod:`stadsvakt.scim.openapi`); SCIM clients discover the
service at ``/scim/v2/ServiceProviderConfig``, ``/Schemas`` and ``/ResourceTypes``.
"""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response
from scim2_models import ForbiddenException, SCIMException, UnauthorizedException
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import SCIM_MEDIA_TYPE, ScimResponse
from scim2_server.routing import Operation
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from stadsvakt.api.deps import SAFE_METHODS, ServicesDep, SessionDep
from stadsvakt.auth.tokens import actor_for_token
from stadsvakt.context import Actor, acting_as, current_request_id
from stadsvakt.scim import openapi as scim_openapi
from stadsvakt.scim.discovery import unit_codes
from stadsvakt.scim.models import build_provider
from stadsvakt.scim.service import StadsvaktScimService
from stadsvakt.scim.storage import DatabaseStorage

log = logging.getLogger(__name__)

SCIM_PREFIX = "/scim/v2"
#: The token scope that allows provisioning.
SCOPE = "scim.provision"
#: What a provisioning token may do through the directory service, municipality-wide.
PROVISIONING_GRANTS = ("person.read", "person.write", "org.read")
#: Largest request body accepted (a group with 10,000 members fits).
MAX_BODY = 2 * 1024 * 1024

#: What the service serves; built once, as it depends on no setting.
_PROVIDER = build_provider()
#: The requests answered with the schemas, whose ``department`` lists the unit codes.
_DISCOVERY_OF_SCHEMAS = frozenset({Operation.schemas, Operation.schema})

router = APIRouter(prefix=SCIM_PREFIX, tags=[scim_openapi.TAG])


def provisioning_actor(session: Session, request: ScimRequest) -> Actor:
    """The actor behind the request's bearer token; it must hold ``scim.provision``."""
    header = request.header("Authorization") or ""
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise UnauthorizedException(detail="send 'Authorization: Bearer <token>'")
    token = actor_for_token(
        session, secret.strip(), touch=request.method.upper() not in SAFE_METHODS
    )
    if token is None:
        raise UnauthorizedException(detail="the token is unknown, expired or revoked")
    if not token.can(SCOPE):
        raise ForbiddenException(detail=f"the token lacks the {SCOPE} scope")
    return Actor(
        kind=token.kind,
        id=token.id,
        name=token.name,
        tenant_id=token.tenant_id,
        grants={SCOPE: None, **dict.fromkeys(PROVISIONING_GRANTS)},
    )


def serve(session: Session, request: ScimRequest, service: StadsvaktScimService) -> ScimResponse:
    """Serve one SCIM request; on any error the session is rolled back."""
    try:
        target = service.match(request)
        if target.operation is Operation.service_provider_config:
            # RFC 7644 §4: how to authenticate is readable without authenticating.
            return service.service_provider_config(request.url, request.query)
        actor = provisioning_actor(session, request)
        if target.operation in _DISCOVERY_OF_SCHEMAS and actor.tenant_id is not None:
            service = service.for_departments(unit_codes(session, actor.tenant_id))
        with acting_as(actor, current_request_id()):
            return ScimHandler(service, DatabaseStorage(session, actor)).handle(request)
    except SCIMException as exc:
        session.rollback()
        return service.error_response(exc)
    except Exception as exc:
        session.rollback()
        log.exception("SCIM %s %s failed", request.method, request.path)
        return service.error_response(exc)


async def _bounded_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None once it passes ``limit`` bytes (the rest is never read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _response(response: ScimResponse) -> Response:
    headers = dict(response.headers)
    headers.setdefault("Cache-Control", "no-cache")
    headers.pop("Content-Type", None)
    body = b"" if response.body is None else json.dumps(response.body).encode()
    return Response(
        body, status_code=int(response.status), headers=headers, media_type=SCIM_MEDIA_TYPE
    )


async def _scim(path: str, request: Request, services: ServicesDep, session: Session) -> Response:
    """Serve the SCIM request for ``path`` (below the prefix)."""
    service = StadsvaktScimService(_PROVIDER, services.settings.scim)
    body = await _bounded_body(request, MAX_BODY)
    if body is None:
        return _response(service.error_response(service.payload_too_large(MAX_BODY)))
    scim_request = ScimRequest(
        method=request.method,
        base_url=str(request.base_url).rstrip("/") + SCIM_PREFIX,
        path="/" + path,
        query=dict(request.query_params),
        headers=list(request.headers.items()),
        body=body,
    )
    return _response(await run_in_threadpool(serve, session, scim_request, service))


async def documented(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    """A SCIM request to a documented path: served like any other."""
    _, _, path = request.url.path.partition(SCIM_PREFIX)
    return await _scim(path.lstrip("/"), request, services, session)


# The documented operations first (what /docs shows), then one route for every other
# SCIM request (bulk, the root, unknown paths), which scim2-server answers as SCIM.
for _operation in scim_openapi.OPERATIONS:
    router.add_api_route(
        _operation.path,
        documented,
        methods=[_operation.method],
        summary=_operation.summary,
        description=_operation.description or None,
        responses=scim_openapi.responses(_operation),
        openapi_extra=scim_openapi.openapi_extra(_operation),
        response_class=Response,
        status_code=_operation.statuses[0],
        operation_id=scim_openapi.operation_id(_operation),
        name=scim_openapi.operation_id(_operation),
    )


@router.api_route(
    "/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
async def scim(path: str, request: Request, session: SessionDep, services: ServicesDep) -> Response:
    """Every SCIM request."""
    return await _scim(path, request, services, session)
