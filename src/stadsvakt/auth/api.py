"""Routes for login, the current actor, user accounts, roles and API tokens."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from sqlalchemy.orm import Session

from stadsvakt.api.deps import (
    SESSION_COOKIE,
    ActorDep,
    PagingDep,
    PendingSessionDep,
    Services,
    ServicesDep,
    SessionDep,
)
from stadsvakt.api.problems import problem_responses
from stadsvakt.auth import login, service, tokens
from stadsvakt.auth.models import User
from stadsvakt.auth.passwords import HashingBusy
from stadsvakt.auth.schemas import (
    LoginIn,
    LoginOut,
    MeOut,
    RoleAssignmentOut,
    RoleOut,
    RoleUpdate,
    TokenCreate,
    TokenCreated,
    TokenOut,
    TotpEnrollment,
    TotpIn,
    UserCreate,
    UserOut,
    UserUpdate,
)
from stadsvakt.auth.throttle import Throttle
from stadsvakt.db import read_only_session
from stadsvakt.errors import InvalidInput
from stadsvakt.schemas import NO_NUL
from stadsvakt.settings import Settings

router = APIRouter()
RoleName = Annotated[str, Path(max_length=40, pattern=NO_NUL, description="Role name")]


def set_session_cookie(response: Response, value: str, settings: Settings) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure unless turned off for local demos."""
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=settings.security.session_hours * 3600,
        httponly=True,
        secure=settings.security.cookie_secure,
        samesite="lax",
        path="/",
    )


def client_of(request: Request) -> str:
    """The client address, for throttling (the connection's; uvicorn puts a trusted
    proxy's ``X-Forwarded-For`` there)."""
    return request.client.host if request.client else "unknown"


def throttle_of(services: Services) -> Throttle:
    """The login backoff rules with the app's settings and clock."""
    return Throttle(services.settings.security, services.clock)


def password_login(
    session: Session, services: Services, username: str, password: str, request: Request
) -> User:
    """Check a password login (API and web form): Unauthenticated, TooManyAttempts or
    HashingBusy, or the user.

    An attempt that will be refused is turned away by a read-only look first. One that
    goes on is committed before argon2 runs, so it counts at once in every process and
    no database lock waits on the hash (on SQLite the alarm receivers need that lock);
    a wrong password's failure is then already stored whatever the route does.
    """
    provider = login.LocalPasswordProvider(
        services.passwords, services.settings.security, services.clock
    )
    client = client_of(request)
    with read_only_session(services.session_factory) as reading:
        provider.screen(reading, username, client)
    attempt = provider.begin(session, username, client)
    session.commit()
    try:
        result = provider.check(attempt, password)
    except HashingBusy:
        provider.withdraw(session, attempt)
        session.commit()
        raise
    return provider.conclude(session, attempt, result)


@router.post(
    "/auth/login",
    response_model=LoginOut,
    tags=["auth"],
    responses=problem_responses(401, 422, 429, 503),
)
def login_route(
    data: LoginIn, request: Request, response: Response, session: SessionDep, services: ServicesDep
) -> LoginOut:
    """Log in with username and password; a second factor may follow.

    Failed logins slow further attempts down (429 with ``Retry-After``) per address, per
    account and per account and address; 503 with ``Retry-After`` when every password
    hashing thread is busy."""
    user = password_login(session, services, data.username, data.password, request)
    started = login.start_session(session, user, services.settings.security)
    set_session_cookie(response, started.cookie, services.settings)
    return LoginOut(status=started.next_step, csrf_token=started.row.csrf_token)


@router.post("/auth/totp/enroll", response_model=TotpEnrollment, tags=["auth"])
def totp_enroll(
    pending: PendingSessionDep, session: SessionDep, services: ServicesDep
) -> TotpEnrollment:
    """Start setting up a second factor; confirm it with a code at /auth/totp."""
    row, user = pending
    secret, uri = login.begin_enrollment(session, row, user, services.box)
    return TotpEnrollment(secret=secret, otpauth_uri=uri)


@router.post("/auth/totp", response_model=LoginOut, tags=["auth"], responses=problem_responses(429))
def totp_verify(
    data: TotpIn,
    request: Request,
    pending: PendingSessionDep,
    session: SessionDep,
    services: ServicesDep,
) -> LoginOut:
    """Give the TOTP code that completes the login (or confirms enrolment)."""
    row, user = pending
    try:
        login.verify_totp_step(
            session, row, user, data.code, services.box, throttle_of(services), client_of(request)
        )
    except InvalidInput:
        session.commit()  # a wrong code counts towards throttling, as a wrong password does
        raise
    return LoginOut(status="ok", csrf_token=row.csrf_token)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
def logout(request: Request, pending: PendingSessionDep, session: SessionDep) -> Response:
    """End the web session."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    login.end_session(session, cookie)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=MeOut, tags=["auth"])
def me(actor: ActorDep) -> MeOut:
    """Who the caller is and what they may do, with scopes."""
    return MeOut(
        id=actor.id,
        kind=actor.kind,
        name=actor.name,
        tenant_id=actor.tenant_id,
        permissions={
            p: (sorted(s) if s is not None else None) for p, s in sorted(actor.grants.items())
        },
    )


def user_out(user: User) -> UserOut:
    """A user as the API shows it."""
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        language=user.language,
        active=user.active,
        totp_enabled=user.totp_enabled,
        created_at=user.created_at,
        roles=[
            RoleAssignmentOut(role=a.role.name, org_unit_id=a.org_unit_id) for a in user.assignments
        ],
    )


@router.get("/users", response_model=list[UserOut], tags=["users"])
def list_users(session: SessionDep, actor: ActorDep, page: PagingDep) -> list[UserOut]:
    """User accounts of the caller's municipality."""
    return [
        user_out(u)
        for u in service.list_users(session, actor, limit=page.limit, offset=page.offset)
    ]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, tags=["users"])
def create_user(
    data: UserCreate, session: SessionDep, actor: ActorDep, services: ServicesDep
) -> UserOut:
    """Create a user account."""
    return user_out(service.create_user(session, actor, data, services.passwords))


@router.get("/users/{user_id}", response_model=UserOut, tags=["users"])
def get_user(user_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> UserOut:
    """One user account."""
    return user_out(service.get_user(session, actor, user_id))


@router.patch("/users/{user_id}", response_model=UserOut, tags=["users"])
def update_user(
    user_id: uuid.UUID, data: UserUpdate, session: SessionDep, actor: ActorDep
) -> UserOut:
    """Change a user account's details, roles or active flag."""
    return user_out(service.update_user(session, actor, user_id, data))


@router.get("/roles", response_model=list[RoleOut], tags=["users"])
def list_roles(session: SessionDep, actor: ActorDep) -> list[RoleOut]:
    """Roles and their permissions."""
    return [RoleOut.model_validate(r) for r in service.list_roles(session, actor)]


@router.patch("/roles/{name}", response_model=RoleOut, tags=["users"])
def update_role(name: RoleName, data: RoleUpdate, session: SessionDep, actor: ActorDep) -> RoleOut:
    """Change a role's permissions or require a second factor for it."""
    return RoleOut.model_validate(service.update_role(session, actor, name, data))


@router.get("/tokens", response_model=list[TokenOut], tags=["tokens"])
def list_tokens(session: SessionDep, actor: ActorDep) -> list[TokenOut]:
    """API tokens (never their secrets)."""
    return [TokenOut.model_validate(t) for t in tokens.list_tokens(session, actor)]


@router.post(
    "/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED, tags=["tokens"]
)
def create_token(data: TokenCreate, session: SessionDep, actor: ActorDep) -> TokenCreated:
    """Create an API token; the secret is in this response only."""
    secret, row = tokens.create_token(
        session, actor, name=data.name, scopes=data.scopes, expires_days=data.expires_days
    )
    return TokenCreated.model_validate(
        {**TokenOut.model_validate(row).model_dump(), "token": secret}
    )


@router.delete("/tokens/{token_id}", response_model=TokenOut, tags=["tokens"])
def revoke_token(token_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> TokenOut:
    """Revoke an API token at once."""
    return TokenOut.model_validate(tokens.revoke_token(session, actor, token_id))
