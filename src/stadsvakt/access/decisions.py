"""Online decisions for door controllers, the access event list, and the per-process
background work (following the change feed, purging old events).

``POST /api/v1/access/decisions`` answers a controller: an unknown door or credential
is a deny with its reason, never an error. Every answer is stored as an access event
in the request's transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.access.decide import Decision, DecisionRequest, Reason, decide
from stadsvakt.access.events import list_events, purge_events, store_event
from stadsvakt.access.index.follower import AccessIndex
from stadsvakt.api.deps import ActorDep, PagingDep, Services, ServicesDep, SessionDep, authenticate
from stadsvakt.auth.scope import require
from stadsvakt.auth.tokens import actor_for_token
from stadsvakt.context import Actor, acting_as, system_actor
from stadsvakt.db import read_only, read_only_session, unit_of_work, utcnow
from stadsvakt.errors import InvalidInput, Unauthenticated
from stadsvakt.org.schemas import Page
from stadsvakt.schemas import NO_NUL, StrictInput

log = logging.getLogger(__name__)


class DecisionIn(StrictInput):
    """A credential presented at a door."""

    door_id: uuid.UUID
    credential: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            pattern=NO_NUL,
            description="Card UID in hex or mobile key id, as the reader sent it",
        ),
    ]
    at: AwareDatetime | None = Field(
        default=None, description="When it was presented (default: now)"
    )


class DecisionOut(BaseModel):
    """The answer to a controller."""

    granted: bool
    reason: Reason
    person_id: uuid.UUID | None
    door_id: uuid.UUID
    decided_at: datetime
    unlock_seconds: int


class AccessEventOut(BaseModel):
    """One stored decision."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    door_id: uuid.UUID | None
    credential: str
    person_id: uuid.UUID | None
    granted: bool
    reason: str
    source: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """A decision with what its event needs."""

    decision: Decision
    at: datetime
    credential_id: uuid.UUID | None
    tenant_id: uuid.UUID


def index_of(request: Request) -> AccessIndex:
    """The process's decision index (made by :func:`install`)."""
    index: AccessIndex = request.app.state.access_index
    return index


def decide_online(
    session: Session, actor: Actor, index: AccessIndex, data: DecisionIn, *, now: datetime
) -> Outcome:
    """Decide for a controller: the decision, its time, the credential's id and tenant."""
    require(actor, "access.decide")
    tenant = actor.tenant_id
    if tenant is None:
        raise InvalidInput(
            "a decision needs a municipality's device token", field="token", rule="tenant"
        )
    at = data.at or now
    state = index.ensure(session)
    decision = decide(DecisionRequest(tenant, data.door_id, data.credential), state, at)
    credential = state.credential(tenant, data.credential)
    return Outcome(decision, at, credential.id if credential is not None else None, tenant)


#: How long a device token's lookup is reused: a revoked token stops working within this.
TOKEN_CACHE_SECONDS = 1.0
_token_cache: dict[str, tuple[Actor, float]] = {}


def _device_actor(request: Request, session: Session) -> Actor:
    """The caller. A controller asks many times a second, so a bearer token is looked up
    without recording its use (the read stays read-only) and the answer is reused for
    :data:`TOKEN_CACHE_SECONDS`."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value:
        return authenticate(request, session)
    now = time.monotonic()
    cached = _token_cache.get(value)
    if cached is not None and cached[1] > now:
        return cached[0]
    actor = actor_for_token(session, value.strip(), touch=False)
    if actor is None:
        _token_cache.pop(value, None)
        raise Unauthenticated("the token is unknown, expired or revoked")
    if len(_token_cache) > 10_000:
        _token_cache.clear()
    _token_cache[value] = (actor, now + TOKEN_CACHE_SECONDS)
    return actor


def _answer(
    services: Services, index: AccessIndex, request: Request, data: DecisionIn
) -> DecisionOut:
    # One thread does the whole request: reading (the device token, the change feed) in a
    # read-only transaction, then a short write of the event. On SQLite no write lock is
    # held while the decision is made, and no request waits for a thread while holding one.
    reader = read_only_session(services.session_factory)
    try:
        actor = _device_actor(request, reader)
        with acting_as(actor):
            outcome = decide_online(reader, actor, index, data, now=utcnow())
    finally:
        reader.rollback()
        reader.close()
    decision = outcome.decision
    with unit_of_work(services.session_factory) as writer:
        store_event(
            writer,
            tenant_id=outcome.tenant_id,
            decision=decision,
            presented=data.credential,
            credential_id=outcome.credential_id,
            at=outcome.at,
        )
    return DecisionOut(
        granted=decision.granted,
        reason=decision.reason,
        person_id=decision.person_id,
        door_id=decision.door_id,
        decided_at=outcome.at,
        unlock_seconds=decision.unlock_seconds,
    )


router = APIRouter(prefix="/access", tags=["access decisions"])


@router.post("/decisions", response_model=DecisionOut)
async def post_decision(data: DecisionIn, request: Request, services: ServicesDep) -> DecisionOut:
    """Whether a credential opens a door now (or at ``at``), and why (device token:
    ``access.decide``). Every answer is stored as an access event."""
    return await run_in_threadpool(_answer, services, index_of(request), request, data)


@router.get("/events", response_model=Page[AccessEventOut])
def get_events(
    session: SessionDep,
    actor: ActorDep,
    page: PagingDep,
    door_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    since: Annotated[AwareDatetime | None, Query(description="From this time")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Before this time")] = None,
    granted: bool | None = None,
) -> Page[AccessEventOut]:
    """Stored decisions, newest first, in the caller's scope."""
    items, total = list_events(
        session,
        actor,
        limit=page.limit,
        offset=page.offset,
        door_id=door_id,
        person_id=person_id,
        since=since,
        until=until,
        granted=granted,
    )
    return Page[AccessEventOut](
        items=[AccessEventOut.model_validate(e) for e in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


# -- per-process background work ---------------------------------------------------------


def install(app: FastAPI, services: Services) -> None:
    """Give the app its decision index (one per process)."""
    app.state.access_index = AccessIndex(services.settings.access.index_poll_ms)


def purge_once(services: Services) -> int:
    """Purge access events past their retention, in a transaction of its own."""
    with acting_as(system_actor("access-purge")), unit_of_work(services.session_factory) as s:
        return purge_events(
            s, now=utcnow(), retention_days=services.settings.access.event_retention_days
        )


async def _purge_forever(services: Services) -> None:
    interval = services.settings.access.purge_interval_minutes * 60
    while True:
        # The first purge waits one interval, so starting a process never blocks on it.
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(purge_once, services)
        except Exception:  # a failed purge is retried at the next interval
            log.exception("access event purge failed")


@asynccontextmanager
async def background(app: FastAPI) -> AsyncIterator[None]:
    """Run the index poll and the event purge while the app serves; stop by cancellation."""
    services: Services = app.state.services
    index = index_of_app(app)
    # The poll reads with its own read-only sessions, never a request's.
    factory = sessionmaker(bind=read_only(services.engine), expire_on_commit=False)
    tasks = [
        asyncio.create_task(index.run(factory), name="access-index-poll"),
        asyncio.create_task(_purge_forever(services), name="access-event-purge"),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def index_of_app(app: FastAPI) -> AccessIndex:
    """The app's decision index."""
    index: AccessIndex = app.state.access_index
    return index
