"""RFC 9457 problem details for every error the API returns.

Domain errors carry their own status and code; validation errors name the field
and the rule; anything unexpected becomes a 500 problem with the request id and
no stack trace.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from stadsvakt.context import current_request_id
from stadsvakt.errors import DomainError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://stadsvakt.se/problems/"


class FieldError(BaseModel):
    """One broken rule of a 422 problem."""

    field: str
    rule: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error response carries."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None
    errors: list[FieldError] | None = None


_DESCRIPTIONS = {
    401: "Not authenticated: log in or send a bearer token",
    403: "Authenticated, but not allowed to do this",
    404: "No such object, or not one the caller may see",
    409: "Clashes with an existing object (a natural key is taken)",
    422: "Invalid input; `errors` names each field and rule",
    429: "Too many failed attempts; try again later",
    503: "Could not be completed now (e.g. the result could not be stored); try again",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring problem+json bodies for the given statuses."""
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "model": Problem,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    request: Request,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": current_request_id(),
        **extra,
    }
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any], rule: str = "") -> str:
    if rule == "json_invalid":
        # The location of a JSON syntax error is a character offset, not a field.
        return "body"
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors as {field, rule, message}."""
    out = []
    for err in exc.errors():
        message = str(err.get("msg", "invalid"))
        field = _field(err.get("loc", ()), str(err.get("type", "")))
        # A model validator names its field at the start of its message ("owner_name: ...").
        if message.startswith("Value error, ") and ": " in message:
            named, _, rest = message.removeprefix("Value error, ").partition(": ")
            if named.isidentifier():
                field, message = f"{field}.{named}" if field != "body" else named, rest
        out.append({"field": field, "rule": str(err.get("type", "invalid")), "message": message})
    return out


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = exc.headers() or None
    return problem(exc.status, exc.code, exc.title, exc.detail, request, headers, **exc.extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    detail = "; ".join(f"{e['field']}: {e['message']} ({e['rule']})" for e in errors[:5])
    return problem(422, "validation_failed", "Invalid input", detail, request, errors=errors)


def _allowed_methods(request: Request) -> str:
    """Every method the OpenAPI document lists for a path template that matches this
    path ("" when none does).

    Starlette answers a 405 with the methods of the first route whose path matched, but
    each method of a path is its own route here (GET and PATCH /sites/{id}), so the
    Allow header is taken from the document the API publishes, which is also what a
    client reads.
    """
    paths: dict[str, dict[str, Any]] = request.app.openapi().get("paths", {})
    methods: set[str] = set()
    # Every template that matches counts: GET /alarms/inputs is routed to
    # /alarms/{alarm_id}, so GET is served there too.
    for template, operations in paths.items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods |= {method.upper() for method in operations}
    if "GET" in methods:
        methods.add("HEAD")  # Starlette serves HEAD wherever it serves GET
    return ", ".join(sorted(methods))


def _unreadable_body(exc: StarletteHTTPException) -> bool:
    """FastAPI's 400 for a body it could not parse (not UTF-8, nested too deep)."""
    return exc.status_code == 400 and exc.__cause__ is not None


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if _unreadable_body(exc):
        # The same answer as for a body that is not JSON: a documented 422 naming the
        # body, not an undocumented 400.
        errors = [{"field": "body", "rule": "json_invalid", "message": "body is not UTF-8 JSON"}]
        detail = "body: body is not UTF-8 JSON (json_invalid)"
        return problem(422, "validation_failed", "Invalid input", detail, request, errors=errors)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    titles = {
        404: "Not found",
        405: "Method not allowed",
        401: "Authentication required",
        403: "Forbidden",
        413: "Request too large",
    }
    code = titles.get(exc.status_code, "HTTP error").lower().replace(" ", "_")
    return problem(
        exc.status_code,
        code,
        titles.get(exc.status_code, "HTTP error"),
        str(exc.detail),
        request,
        headers=headers,
    )


def internal_error(request: Request) -> JSONResponse:
    """The 500 problem: the request id to quote, nothing about the cause."""
    return problem(
        500,
        "internal_error",
        "Internal error",
        "Something went wrong on our side; quote the request id when reporting it.",
        request,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return internal_error(request)


def install(app: FastAPI) -> None:
    """Register the problem handlers on an app."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
