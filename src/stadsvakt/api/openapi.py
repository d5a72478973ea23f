"""How the API says who may call it, in ``/openapi.json``: the security schemes (an API
token as a bearer token; the web session's cookie) as FastAPI security dependencies.

:mod:`stadsvakt.api.deps` makes every authenticating dependency depend on them, so
FastAPI derives each operation's ``security`` from its dependencies: an operation that
needs an actor lists both schemes (either one will do), one that needs the web session
lists the cookie, and a public one (health, login) lists none. An endpoint that reads
its token by itself (the access decision's fast path) says so with
:data:`ACTOR_REQUIREMENT` in its ``openapi_extra``.
"""

from __future__ import annotations

from typing import Any

from fastapi.security import APIKeyCookie, HTTPBearer

#: The web session's cookie, set by ``POST /api/v1/auth/login`` and the login page.
SESSION_COOKIE = "stadsvakt_session"
#: The names of the schemes in ``components.securitySchemes``.
BEARER_SCHEME = "bearerToken"
COOKIE_SCHEME = "sessionCookie"

#: An API token (``svt_…``) as ``Authorization: Bearer <token>``. ``auto_error=False``:
#: the dependency only documents the scheme; ``authenticate`` decides, with stadsvakt's
#: own problems (401 naming what is missing).
bearer_token = HTTPBearer(
    scheme_name=BEARER_SCHEME,
    bearerFormat="svt_…",
    description=(
        "A stadsvakt API token (`stadsvakt token create`, or `POST /api/v1/auth/tokens`), "
        "sent as `Authorization: Bearer <token>`. What it may do is its scopes' and its "
        "municipality's."
    ),
    auto_error=False,
)

#: The web session's cookie; a browser logged in to stadsvakt sends it by itself.
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name=COOKIE_SCHEME,
    description=(
        "The web session of a user logged in to stadsvakt (the login page or "
        "`POST /api/v1/auth/login`). A browser sends it by itself on this origin; a request "
        "that changes something also needs the session's CSRF token in `X-CSRF-Token`."
    ),
    auto_error=False,
)

#: The ``openapi_extra`` of an operation that authenticates by itself as ``authenticate``
#: does: either scheme will do.
ACTOR_REQUIREMENT: dict[str, Any] = {"security": [{BEARER_SCHEME: []}, {COOKIE_SCHEME: []}]}
