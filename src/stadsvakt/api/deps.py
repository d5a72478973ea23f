"""FastAPI dependencies: the unit of work, the actor, pagination and shared services."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

# The cookie is named where the OpenAPI schemes are; it is still this module's to import.
from stadsvakt.api.openapi import SESSION_COOKIE as SESSION_COOKIE
from stadsvakt.api.openapi import bearer_token, session_cookie
from stadsvakt.auth.login import load_session
from stadsvakt.auth.models import User, WebSession
from stadsvakt.auth.passwords import Passwords
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.auth.service import actor_for_user
from stadsvakt.auth.tokens import actor_for_token
from stadsvakt.context import Actor, set_actor
from stadsvakt.db import read_only_session, utcnow
from stadsvakt.errors import Forbidden, Unauthenticated
from stadsvakt.settings import Settings

CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Services:
    """What the app builds once from its settings and shares with every request."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    passwords: Passwords
    box: SecretBox
    #: The time for rules that count it (login backoff); tests pass a clock they move.
    clock: Callable[[], datetime] = utcnow


def get_services(request: Request) -> Services:
    """The app's shared services."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


#: The attribute :func:`writes_on_read` sets on an endpoint.
_WRITES_ON_READ = "_stadsvakt_writes_on_read"
E = TypeVar("E", bound=Callable[..., Any])


def writes_on_read(endpoint: E) -> E:
    """Mark a GET endpoint that writes (it logs who viewed a picture, pins the action plan
    it shows): it gets a write transaction like a POST. On SQLite a read-only transaction
    cannot safely become a writing one while another connection writes (it would fail at
    once with "database is locked"), so a read that writes must say so up front."""
    setattr(endpoint, _WRITES_ON_READ, True)
    return endpoint


def get_session(request: Request, services: ServicesDep) -> Iterator[Session]:
    """One unit of work per request: committed when the handler succeeds, else rolled back.

    Reads (GET, HEAD) use a read-only session so SQLite does not take its write lock,
    unless the endpoint is marked :func:`writes_on_read`.
    """
    factory = services.session_factory
    reads = request.method in SAFE_METHODS and not getattr(
        request.scope.get("endpoint"), _WRITES_ON_READ, False
    )
    session = read_only_session(factory) if reads else factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _web_session(request: Request, session: Session) -> tuple[WebSession, User] | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or len(cookie) > 200:
        return None
    return load_session(session, cookie)


def check_csrf(request: Request, row: WebSession, form_token: str | None = None) -> None:
    """Unsafe requests made with a session cookie must carry the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    sent = form_token or request.headers.get(CSRF_HEADER) or ""
    if not secrets.compare_digest(sent.encode(), row.csrf_token.encode()):
        raise Forbidden("missing or wrong CSRF token (send the X-CSRF-Token header)")


def authenticate(request: Request, session: SessionDep) -> Actor:
    """Who is asking: a bearer token, or a complete web session (with CSRF check)."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value:
            raise Unauthenticated("use 'Authorization: Bearer <token>'")
        actor = actor_for_token(session, value.strip(), touch=request.method not in SAFE_METHODS)
        if actor is None:
            raise Unauthenticated("the token is unknown, expired or revoked")
        return actor
    loaded = _web_session(request, session)
    if loaded is None or not loaded[0].complete:
        raise Unauthenticated("log in, or send a bearer token")
    row, user = loaded
    check_csrf(request, row)
    return actor_for_user(user)


#: The schemes an actor may come with, as dependencies only so OpenAPI lists them on
#: every operation that needs an actor (``authenticate`` reads the request itself).
_BearerDoc = Annotated[HTTPAuthorizationCredentials | None, Security(bearer_token)]
_CookieDoc = Annotated[str | None, Security(session_cookie)]


async def current_actor(
    actor: Annotated[Actor, Depends(authenticate)], _bearer: _BearerDoc, _cookie: _CookieDoc
) -> Actor:
    """The authenticated actor, also set as context for the audit trail.

    This runs on the event loop (not in the thread pool) so the context variable
    it sets is seen by the handler and the services it calls.
    """
    set_actor(actor)
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]


def pending_web_session(
    request: Request, session: SessionDep, _cookie: _CookieDoc
) -> tuple[WebSession, User]:
    """The web session even before its second factor is given (for the TOTP step)."""
    loaded = _web_session(request, session)
    if loaded is None:
        raise Unauthenticated("log in first")
    check_csrf(request, loaded[0])
    return loaded


PendingSessionDep = Annotated[tuple[WebSession, User], Depends(pending_web_session)]


@dataclass(frozen=True, slots=True)
class Paging:
    """Limit and offset of a list request."""

    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=500, description="Rows per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip")] = 0,
) -> Paging:
    """Pagination from the query string, with limits."""
    return Paging(limit=limit, offset=offset)


PagingDep = Annotated[Paging, Depends(paging)]
