"""Online decisions for door controllers, the access event list, and the per-process
background work (following the change feed, writing events, purging old ones).

``POST /api/v1/access/decisions`` answers a controller: an unknown door or credential
is a deny with its reason, never an error. Every answer is stored as an access event
before the answer is sent (grouped with other decisions' events into one commit, see
``access.event_writer``). A decision's ``at`` must lie in a window around the server's
clock (:class:`DecisionTime`): an event dated 2999 would outlive every purge.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.access.decide import Decision, DecisionRequest, Reason, decide
from stadsvakt.access.event_writer import EventWriter
from stadsvakt.access.events import event_row, list_events, purge_events
from stadsvakt.access.index.follower import AccessIndex, IndexUnavailable
from stadsvakt.access.index.state import CompiledIndex
from stadsvakt.access.pin_attempts import PinAttempts
from stadsvakt.api.deps import (
    ActorDep,
    PagingDep,
    Services,
    SessionDep,
    authenticate,
    get_services,
)
from stadsvakt.api.openapi import ACTOR_REQUIREMENT
from stadsvakt.api.problems import problem_responses
from stadsvakt.auth.scope import require
from stadsvakt.auth.tokens import actor_for_token
from stadsvakt.bounds import BoundedDatetime
from stadsvakt.context import Actor, acting_as, current_request_id, system_actor
from stadsvakt.db import read_only, read_only_session, unit_of_work, utcnow
from stadsvakt.errors import InvalidInput, Unauthenticated
from stadsvakt.org.schemas import Page
from stadsvakt.schemas import NO_NUL, StrictInput
from stadsvakt.settings import AccessSettings

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
    kind: Literal["card", "mobile"] = Field(
        default="card",
        description="What the reader read: a card or tag's UID (card readers, the default) "
        "or a mobile key id (mobile readers). A credential of the other kind with the "
        "same text is not found.",
    )
    pin: SecretStr | None = Field(
        default=None,
        description="The digits typed on the reader's keypad, for doors that require a PIN "
        "(card and PIN). Never stored or logged.",
    )
    at: BoundedDatetime | None = Field(
        default=None,
        description="When it was presented (default: now); within "
        "access.decision_past_hours before and access.decision_ahead_seconds after now",
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


@dataclass(frozen=True, slots=True)
class DecisionTime:
    """When decisions happen: the clock, and how far a request's ``at`` may lie from it.

    A controller that was offline replays its buffered presentations with their own
    time, so ``at`` may lie up to ``past`` back; ahead only by clock skew. Anything else
    is refused (``at`` / ``window``): stored, it would be an event retention never purges.
    """

    clock: Callable[[], datetime]
    past: timedelta
    ahead: timedelta

    @classmethod
    def of(cls, settings: AccessSettings, clock: Callable[[], datetime] = utcnow) -> DecisionTime:
        """The window the settings give, on ``clock``."""
        return cls(
            clock,
            timedelta(hours=settings.decision_past_hours),
            timedelta(seconds=settings.decision_ahead_seconds),
        )

    def moment(self, data: DecisionIn) -> datetime:
        """The moment to decide at: the request's ``at`` if it is in the window, else now."""
        now = self.clock()
        at = data.at
        if at is None:
            return now
        if not now - self.past <= at <= now + self.ahead:
            raise InvalidInput(
                f"at: must lie at most {_span(self.past)} before and {_span(self.ahead)} after"
                f" the server's time ({now.isoformat(timespec='seconds')})",
                field="at",
                rule="window",
            )
        return at


def _span(span: timedelta) -> str:
    """A window's length as people read it: whole hours, else seconds."""
    seconds = int(span.total_seconds())
    return f"{seconds // 3600} h" if seconds % 3600 == 0 and seconds else f"{seconds} s"


def time_of_app(app: FastAPI) -> DecisionTime:
    """The app's decision clock and window (made by :func:`install`)."""
    timing: DecisionTime = app.state.access_time
    return timing


def index_of(request: Request) -> AccessIndex:
    """The process's decision index (made by :func:`install`)."""
    index: AccessIndex = request.app.state.access_index
    return index


def _typed_pin(data: DecisionIn) -> str | None:
    """The typed PIN, cut to one digit more than any PIN has (a longer one is wrong anyway,
    and is not hashed whole)."""
    if data.pin is None:
        return None
    return data.pin.get_secret_value()[: _LONGEST_PIN + 1]


#: PINs are 4 to 8 digits (``access.services.credentials``).
_LONGEST_PIN = 8


def decide_on(
    state: CompiledIndex,
    actor: Actor,
    data: DecisionIn,
    *,
    timing: DecisionTime,
    attempts: PinAttempts | None = None,
) -> Outcome:
    """Decide for a controller on an index state: the decision, its time, the credential's
    id and tenant (no I/O); ``attempts`` is the process's wrong-PIN count, read and kept."""
    require(actor, "access.decide")
    tenant = actor.tenant_id
    if tenant is None:
        raise InvalidInput(
            "a decision needs a municipality's device token", field="token", rule="tenant"
        )
    at = timing.moment(data)
    request = DecisionRequest(tenant, data.door_id, data.credential, data.kind, _typed_pin(data))
    decision = decide(request, state, at, attempts)
    if attempts is not None:
        attempts.record(tenant, decision, at.timestamp())
    credential = state.credential(tenant, data.kind, data.credential)
    return Outcome(decision, at, credential.id if credential is not None else None, tenant)


def decide_online(
    session: Session,
    actor: Actor,
    index: AccessIndex,
    data: DecisionIn,
    *,
    timing: DecisionTime,
    attempts: PinAttempts | None = None,
) -> Outcome:
    """Decide for a controller, building the index or reading the change feed first if due."""
    require(actor, "access.decide")
    timing.moment(data)  # a request outside the window is refused before any query
    return decide_on(index.ensure(session), actor, data, timing=timing, attempts=attempts)


#: How long a device token's lookup is reused: a revoked token stops working within this.
TOKEN_CACHE_SECONDS = 1.0
_token_cache: dict[str, tuple[Actor, float]] = {}


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, else ``None``."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value:
        return None
    return value.strip()


def _bearer(request: Request) -> str | None:
    return bearer_token(request.headers.get("authorization", ""))


def cached_actor(token: str | None) -> Actor | None:
    """The device token's actor if it was looked up less than a second ago."""
    cached = _token_cache.get(token) if token is not None else None
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    return None


def _device_actor(request: Request, session: Session) -> Actor:
    """The caller. A controller asks many times a second, so a bearer token is looked up
    without recording its use (the read stays read-only) and the answer is reused for
    :data:`TOKEN_CACHE_SECONDS`."""
    token = _bearer(request)
    if token is None:
        return authenticate(request, session)
    cached = cached_actor(token)
    if cached is not None:
        return cached
    actor = actor_for_token(session, token, touch=False)
    if actor is None:
        _token_cache.pop(token, None)
        raise Unauthenticated("the token is unknown, expired or revoked")
    if len(_token_cache) > 10_000:
        _token_cache.clear()
    _token_cache[token] = (actor, time.monotonic() + TOKEN_CACHE_SECONDS)
    return actor


def _read_and_decide(
    services: Services,
    index: AccessIndex,
    request: Request,
    data: DecisionIn,
    timing: DecisionTime,
    attempts: PinAttempts,
) -> Outcome:
    # The slow path, in a worker thread: the device token and, when this process noted a
    # change, the change feed are read in a read-only transaction (on SQLite no write lock
    # is taken, so a decision never queues behind a writer here).
    reader = read_only_session(services.session_factory)
    try:
        actor = _device_actor(request, reader)
        # Keep the request's id (the middleware set it) for anything the build logs.
        with acting_as(actor, current_request_id()):
            return decide_online(reader, actor, index, data, timing=timing, attempts=attempts)
    except SQLAlchemyError as exc:
        # The database is out of reach (the token could not be looked up, or the index
        # could not be built): a problem the controller can retry, not a 500.
        raise IndexUnavailable("the decision could not read the database; try again") from exc
    finally:
        reader.rollback()
        reader.close()


def answer_json(outcome: Outcome) -> bytes:
    """The JSON body of the answer (a :class:`DecisionOut`, built without re-validation)."""
    decision = outcome.decision
    out = DecisionOut.model_construct(
        granted=decision.granted,
        reason=decision.reason,
        person_id=decision.person_id,
        door_id=decision.door_id,
        decided_at=outcome.at,
        unlock_seconds=decision.unlock_seconds,
    )
    return DecisionOut.__pydantic_serializer__.to_json(out)


def outcome_event(outcome: Outcome, data: DecisionIn) -> dict[str, Any]:
    """The access event row of an answered decision."""
    return event_row(
        tenant_id=outcome.tenant_id,
        decision=outcome.decision,
        presented=data.credential,
        credential_id=outcome.credential_id,
        at=outcome.at,
    )


router = APIRouter(prefix="/access", tags=["access decisions"])


@router.post(
    "/decisions",
    response_model=DecisionOut,
    responses=problem_responses(401, 403, 422, 503),
    # The token is read by the endpoint itself (and the fast path), not by a dependency.
    openapi_extra=ACTOR_REQUIREMENT,
)
async def post_decision(data: DecisionIn, request: Request) -> Response:
    """Whether a credential opens a door now (or at ``at``), and why (device token:
    ``access.decide``). Every answer is stored as an access event before it is sent."""
    index = index_of(request)
    timing = time_of_app(request.app)
    attempts = pin_attempts_of_app(request.app)
    actor = cached_actor(_bearer(request))
    state = index.current()
    if actor is not None and state is not None:
        # The common case needs no database read: decide here, on the event loop
        # (microseconds), rather than pay for a thread hop and a session.
        outcome = decide_on(state, actor, data, timing=timing, attempts=attempts)
    else:
        services = get_services(request)
        outcome = await run_in_threadpool(
            _read_and_decide, services, index, request, data, timing, attempts
        )
    await events_of(request).store(outcome_event(outcome, data))
    # Built here, already valid: FastAPI would validate the model again on the way out.
    return Response(answer_json(outcome), media_type="application/json")


@router.get("/events", response_model=Page[AccessEventOut])
def get_events(
    session: SessionDep,
    actor: ActorDep,
    page: PagingDep,
    door_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    since: Annotated[BoundedDatetime | None, Query(description="From this time")] = None,
    until: Annotated[BoundedDatetime | None, Query(description="Before this time")] = None,
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
    """Give the app its decision index, its event writer (one each per process) and its
    decision clock (tests put their own clock in ``app.state.access_time``)."""
    app.state.access_index = AccessIndex(services.settings.access.index_poll_ms)
    app.state.access_time = DecisionTime.of(services.settings.access)
    app.state.access_pin_attempts = PinAttempts()
    app.state.access_events = EventWriter(
        services.session_factory, gather_ms=services.settings.access.event_gather_ms
    )


def events_of(request: Request) -> EventWriter:
    """The process's access event writer (made by :func:`install`)."""
    return events_of_app(request.app)


def events_of_app(app: FastAPI) -> EventWriter:
    """The app's access event writer."""
    writer: EventWriter = app.state.access_events
    return writer


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
    """Run the index poll, the event writer and the event purge while the app serves;
    stop by cancellation."""
    services: Services = app.state.services
    index = index_of_app(app)
    writer = events_of_app(app)
    # The poll reads with its own read-only sessions, never a request's.
    factory = sessionmaker(bind=read_only(services.engine), expire_on_commit=False)
    tasks = [
        asyncio.create_task(index.run(factory), name="access-index-poll"),
        asyncio.create_task(writer.run(), name="access-event-writer"),
        asyncio.create_task(_purge_forever(services), name="access-event-purge"),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def pin_attempts_of_app(app: FastAPI) -> PinAttempts:
    """The app's wrong-PIN count (made by :func:`install`)."""
    attempts: PinAttempts = app.state.access_pin_attempts
    return attempts


def index_of_app(app: FastAPI) -> AccessIndex:
    """The app's decision index."""
    index: AccessIndex = app.state.access_index
    return index
